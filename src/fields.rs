//! Field schemas and payload validation, as Segment's action runtime does it: empty values
//! are pruned, scalars are coerced (`42` → `"42"` for a string field, `["x"]` → `"x"`),
//! unknown keys are dropped, and every problem is reported, each naming its field.

use crate::datetime;
use crate::js;
use serde::Serialize;
use serde_json::{Map, Value};

/// Segment's field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Text.
    String,
    /// A JSON object.
    Object,
    /// A date: a string `dayjs` can read, or a number (epoch milliseconds).
    Datetime,
    /// `true` / `false`.
    Boolean,
    /// Any number.
    Number,
    /// A whole number.
    Integer,
}

impl FieldType {
    fn accepts_empty_string(self) -> bool {
        matches!(self, FieldType::String | FieldType::Datetime)
    }

    fn describe(self) -> &'static str {
        match self {
            FieldType::String => "a string",
            FieldType::Object => "an object",
            FieldType::Datetime => "a date (string or number)",
            FieldType::Boolean => "a boolean",
            FieldType::Number => "a number",
            FieldType::Integer => "an integer",
        }
    }
}

/// One input field of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Key in the payload (`ext_id`).
    pub key: &'static str,
    /// Human label (`User ID`).
    pub label: &'static str,
    /// Expected type.
    pub field_type: FieldType,
    /// Whether a value must be present.
    pub required: bool,
    /// Default mapping: the event path it is read from (`$.userId`).
    pub default_path: Option<&'static str>,
}

impl FieldSpec {
    /// A field read by default from `default_path`.
    pub const fn new(
        key: &'static str,
        label: &'static str,
        field_type: FieldType,
        required: bool,
        default_path: &'static str,
    ) -> FieldSpec {
        FieldSpec {
            key,
            label,
            field_type,
            required,
            default_path: Some(default_path),
        }
    }
}

/// Why a field is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorCode {
    /// A required field has no value.
    Required,
    /// The value has the wrong type and cannot be coerced.
    Type,
    /// The value has the right type but the wrong form (e.g. not a date).
    Format,
    /// The mapping itself failed while running on this event.
    Mapping,
    /// The event is not usable at all (not an object).
    Event,
    /// Nudge refused the request carrying the event (a final 4xx).
    Rejected,
    /// Nudge did not accept the request within the retries and time budget.
    Unavailable,
}

/// One problem with one field of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's key (`ext_id`); empty when the problem is the event as a whole.
    pub field: String,
    /// What kind of problem.
    pub code: ErrorCode,
    /// A sentence naming the field's label, e.g. `User ID (ext_id) is required`.
    pub message: String,
}

impl FieldError {
    /// An error on `spec`'s field; `what` follows the label, e.g. `is required`.
    pub fn new(spec: &FieldSpec, code: ErrorCode, what: &str) -> FieldError {
        FieldError {
            field: spec.key.to_string(),
            code,
            message: format!("{} ({}) {what}", spec.label, spec.key),
        }
    }
}

/// Segment's `removeEmptyValues`: `null`s go, and so do `""`s where the field is not text;
/// at the top level of a single event's payload (`at_root`) every `""` goes.
pub fn prune_empty(payload: &mut Map<String, Value>, fields: &[FieldSpec], at_root: bool) {
    payload.retain(|key, value| {
        let spec = fields.iter().find(|f| f.key == key);
        match (spec, &*value) {
            (_, Value::String(s)) if s.is_empty() && at_root => false,
            (Some(_), Value::Null) => false,
            (Some(spec), Value::String(s)) if s.is_empty() => {
                spec.field_type.accepts_empty_string()
            }
            _ => true,
        }
    });
}

/// Validates and coerces `payload` against `fields`, keeping only known keys (in the
/// payload's order, as Segment sends them). Dates are given in UTC `toISOString` form; a
/// number no date can hold passes unchanged, as in Segment's schema.
///
/// Returns the coerced payload or every error found, in field order.
pub fn validate(
    mut payload: Map<String, Value>,
    fields: &[FieldSpec],
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut errors: Vec<(usize, FieldError)> = fields
        .iter()
        .enumerate()
        .filter(|(_, spec)| spec.required && !payload.contains_key(spec.key))
        .map(|(i, spec)| (i, FieldError::new(spec, ErrorCode::Required, "is required")))
        .collect();
    payload.retain(|key, value| {
        let Some((i, spec)) = fields.iter().enumerate().find(|(_, f)| f.key == key) else {
            return false;
        };
        let problem = match coerce(std::mem::take(value), spec.field_type) {
            // A date is kept in its UTC ISO form. As in Segment's schema, the date check
            // applies to strings: a number that is no time at all passes unchanged.
            Some(date) if spec.field_type == FieldType::Datetime => {
                match (datetime::normalize(&date), date) {
                    (Some(iso), _) => {
                        *value = Value::String(iso);
                        return true;
                    }
                    (None, Value::String(_)) => {
                        FieldError::new(spec, ErrorCode::Format, "must be a valid date-like string")
                    }
                    (None, number) => {
                        *value = number;
                        return true;
                    }
                }
            }
            Some(coerced) => {
                *value = coerced;
                return true;
            }
            None => FieldError::new(
                spec,
                ErrorCode::Type,
                &format!("must be {}", spec.field_type.describe()),
            ),
        };
        errors.push((i, problem));
        false
    });
    if errors.is_empty() {
        return Ok(payload);
    }
    errors.sort_by_key(|(i, _)| *i);
    Err(errors.into_iter().map(|(_, e)| e).collect())
}

fn has_type(v: &Value, t: FieldType) -> bool {
    match t {
        FieldType::String => v.is_string(),
        FieldType::Object => v.is_object(),
        FieldType::Datetime => v.is_string() || v.is_number(),
        FieldType::Boolean => v.is_boolean(),
        FieldType::Number => v.is_number(),
        FieldType::Integer => v.as_f64().is_some_and(|f| f.fract() == 0.0),
    }
}

/// Ajv's `coerceTypes: "array"`: a one-item array stands for its item, then scalars convert.
fn coerce(value: Value, t: FieldType) -> Option<Value> {
    if has_type(&value, t) {
        return Some(value);
    }
    if t == FieldType::Object {
        return None;
    }
    let numeric_string = |s: &str| {
        let n = js::string_to_number(s);
        (!s.is_empty() && !n.is_nan()).then_some(n)
    };
    let value = match value {
        // Ajv checks a multi-type field's unwrapped item against all its types at once, which
        // never passes, so for `datetime` the item always goes through coercion.
        Value::Array(mut items) if items.len() == 1 && t == FieldType::Datetime => {
            return match items.remove(0) {
                Value::Number(n) => Some(Value::String(js::json_number_to_string(&n))),
                Value::Bool(b) => Some(Value::String(b.to_string())),
                Value::Null => Some(Value::String(String::new())),
                Value::String(s) => numeric_string(&s).map(number_value),
                _ => None,
            };
        }
        Value::Array(mut items) if items.len() == 1 => {
            let item = items.remove(0);
            if has_type(&item, t) {
                return Some(item);
            }
            item
        }
        other => other,
    };
    match (t, &value) {
        (FieldType::String | FieldType::Datetime, Value::Number(n)) => {
            Some(Value::String(js::json_number_to_string(n)))
        }
        (FieldType::String | FieldType::Datetime, Value::Bool(b)) => {
            Some(Value::String(b.to_string()))
        }
        (FieldType::String | FieldType::Datetime, Value::Null) => {
            Some(Value::String(String::new()))
        }
        (FieldType::Number, Value::Bool(b)) => Some(Value::from(u8::from(*b))),
        (FieldType::Number | FieldType::Integer, Value::Null) => Some(Value::from(0)),
        (FieldType::Integer, Value::Bool(b)) => Some(Value::from(u8::from(*b))),
        (FieldType::Number, Value::String(s)) => numeric_string(s).map(number_value),
        (FieldType::Integer, Value::String(s)) => numeric_string(s)
            .filter(|n| n.fract() == 0.0)
            .map(number_value),
        (FieldType::Boolean, Value::String(s)) if s == "false" => Some(Value::Bool(false)),
        (FieldType::Boolean, Value::String(s)) if s == "true" => Some(Value::Bool(true)),
        (FieldType::Boolean, Value::Null) => Some(Value::Bool(false)),
        (FieldType::Boolean, Value::Number(n)) => match js::json_number_value(n) {
            0.0 => Some(Value::Bool(false)),
            1.0 => Some(Value::Bool(true)),
            _ => None,
        },
        _ => None,
    }
}

fn number_value(n: f64) -> Value {
    crate::value::Resolved::from_f64(n)
        .into_json()
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[FieldSpec] = &[
        FieldSpec {
            key: "name",
            label: "Event Name",
            field_type: FieldType::String,
            required: true,
            default_path: None,
        },
        FieldSpec {
            key: "at",
            label: "Event Timestamp",
            field_type: FieldType::Datetime,
            required: true,
            default_path: None,
        },
        FieldSpec {
            key: "props",
            label: "Properties",
            field_type: FieldType::Object,
            required: false,
            default_path: None,
        },
        FieldSpec {
            key: "n",
            label: "Count",
            field_type: FieldType::Integer,
            required: false,
            default_path: None,
        },
        FieldSpec {
            key: "b",
            label: "Flag",
            field_type: FieldType::Boolean,
            required: false,
            default_path: None,
        },
    ];

    fn run(v: Value, at_root: bool) -> Result<Value, Vec<(String, ErrorCode)>> {
        let Value::Object(mut map) = v else {
            panic!("object")
        };
        prune_empty(&mut map, FIELDS, at_root);
        validate(map, FIELDS)
            .map(Value::Object)
            .map_err(|e| e.into_iter().map(|e| (e.field, e.code)).collect())
    }

    #[test]
    fn coerces_scalars_and_unwraps_single_item_arrays() {
        assert_eq!(
            run(
                json!({"name": 42, "at": 1, "n": "7", "b": "true", "extra": 1}),
                true
            ),
            Ok(json!({"name": "42", "at": "1970-01-01T00:00:00.001Z", "n": 7, "b": true}))
        );
        assert_eq!(
            run(json!({"name": ["x"], "at": "2025-05-14"}), true),
            Ok(json!({"name": "x", "at": "2025-05-14T00:00:00.000Z"}))
        );
        assert_eq!(
            run(json!({"name": [1.5], "at": 1}), true),
            Ok(json!({"name": "1.5", "at": "1970-01-01T00:00:00.001Z"}))
        );
    }

    #[test]
    fn dates_in_one_item_arrays_are_coerced_as_segment_does() {
        // Ajv never takes a one-item array as is for a multi-type field: the item is coerced.
        let at = |v: Value| run(json!({"name": "x", "at": v}), true);
        assert_eq!(
            at(json!([1715672000000i64])),
            Ok(json!({"name": "x", "at": "2024-05-14T07:33:20.000Z"}))
        );
        assert_eq!(
            at(json!(["2025-05-14"])),
            Err(vec![("at".into(), ErrorCode::Type)])
        );
        assert_eq!(
            at(json!([true])),
            Err(vec![("at".into(), ErrorCode::Format)])
        );
        assert_eq!(
            at(json!(["1715672000"])),
            Ok(json!({"name": "x", "at": "1970-01-20T20:34:32.000Z"}))
        );
    }

    #[test]
    fn reports_every_error_with_its_code() {
        assert_eq!(
            run(json!({"at": "soon", "props": "x", "n": 1.5, "b": 2}), true),
            Err(vec![
                ("name".into(), ErrorCode::Required),
                ("at".into(), ErrorCode::Format),
                ("props".into(), ErrorCode::Type),
                ("n".into(), ErrorCode::Type),
                ("b".into(), ErrorCode::Type)
            ])
        );
        let Value::Object(map) = json!({}) else {
            unreachable!()
        };
        assert_eq!(
            validate(map, FIELDS).unwrap_err()[0].message,
            "Event Name (name) is required"
        );
    }

    #[test]
    fn empty_strings_go_at_the_root_of_single_events_only() {
        assert_eq!(
            run(json!({"name": "", "at": 1, "props": null}), true),
            Err(vec![("name".into(), ErrorCode::Required)])
        );
        assert_eq!(
            run(json!({"name": "", "at": 1, "props": ""}), false),
            Ok(json!({"name": "", "at": "1970-01-01T00:00:00.001Z"}))
        );
        assert_eq!(
            run(json!({"name": "x", "at": ""}), false),
            Err(vec![("at".into(), ErrorCode::Format)])
        );
    }
}
