//! Field schemas and payload validation, as Segment's action runtime does it: empty values
//! are pruned, scalars are coerced (`42` → `"42"` for a string field, `["x"]` → `"x"`),
//! unknown keys are dropped, and every problem is reported, each naming its field.

use crate::datetime;
use crate::js;
use crate::json::write as json_write;
use crate::property::Root;
use crate::value::{ObjectMap, Resolved};
use serde::Serialize;

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
pub enum FieldErrorCode {
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

impl FieldErrorCode {
    /// The code as its JSON name (`"required"`).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldErrorCode::Required => "required",
            FieldErrorCode::Type => "type",
            FieldErrorCode::Format => "format",
            FieldErrorCode::Mapping => "mapping",
            FieldErrorCode::Event => "event",
            FieldErrorCode::Rejected => "rejected",
            FieldErrorCode::Unavailable => "unavailable",
        }
    }
}

/// One problem with one field of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's key (`ext_id`); empty when the problem is the event as a whole.
    pub field: String,
    /// What kind of problem.
    pub code: FieldErrorCode,
    /// A sentence naming the field's label, e.g. `User ID (ext_id) is required`.
    pub message: String,
}

impl FieldError {
    /// Appends the error as JSON, as its `Serialize` writes it (without serde's serialiser,
    /// which the npm package does not carry).
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"field\":");
        json_write::write_str(&self.field, out);
        out.push_str(",\"code\":\"");
        out.push_str(self.code.as_str());
        out.push_str("\",\"message\":");
        json_write::write_str(&self.message, out);
        out.push('}');
    }

    /// An error on `spec`'s field; `what` follows the label, e.g. `is required`.
    pub fn new(spec: &FieldSpec, code: FieldErrorCode, what: &str) -> FieldError {
        FieldError {
            field: spec.key.to_string(),
            code,
            message: format!("{} ({}) {what}", spec.label, spec.key),
        }
    }
}

/// A validated payload: the action's fields only, in the order the mapping gave them, each
/// coerced to its type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Payload(Vec<(&'static str, Resolved)>);

impl Payload {
    /// The value of field `key`.
    pub fn get(&self, key: &str) -> Option<&Resolved> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The value of field `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Resolved> {
        self.0.iter_mut().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Takes field `key` out.
    pub fn take(&mut self, key: &str) -> Option<Resolved> {
        let at = self.0.iter().position(|(k, _)| *k == key)?;
        Some(self.0.remove(at).1)
    }

    /// Sets field `key`, in place if it is there, last otherwise.
    pub fn set(&mut self, key: &'static str, value: Resolved) {
        match self.get_mut(key) {
            Some(slot) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    /// Appends the payload as JSON to `out`. Fails only for a pass-through object JavaScript
    /// would reorder that is nested too deeply to be rewritten (then `out` is as it was).
    pub fn write_json(&self, out: &mut String) -> Result<(), FieldError> {
        let start = out.len();
        out.push('{');
        let mut first = true;
        for (key, value) in &self.0 {
            let mark = out.len();
            if !first {
                out.push(',');
            }
            json_write::write_str(key, out);
            out.push(':');
            match value.write_json(out) {
                Ok(true) => first = false,
                Ok(false) => out.truncate(mark),
                Err(e) => {
                    out.truncate(start);
                    return Err(FieldError {
                        field: (*key).to_string(),
                        code: FieldErrorCode::Format,
                        message: format!("{key} is {e}"),
                    });
                }
            }
        }
        out.push('}');
        Ok(())
    }
}

/// Segment's `removeEmptyValues`, then its schema validation, in one pass over the mapped
/// object: `undefined`s and `null`s go, `""`s go where the field is not text (and at the top
/// level of a single event's payload, `at_root`, every `""` goes); unknown keys are dropped;
/// each value is coerced to its field's type (dates to their UTC `toISOString` form; a number
/// no date can hold passes unchanged, as in Segment's schema).
///
/// Returns the payload or every error found, in field order.
pub fn validate(
    mapped: ObjectMap,
    fields: &[FieldSpec],
    at_root: bool,
) -> Result<Payload, Vec<FieldError>> {
    let mut payload = Payload(Vec::with_capacity(fields.len()));
    // At most one problem per field (a missing field has no value to be wrong), with the
    // field's position; nothing is allocated for a valid payload.
    let mut errors: Vec<(usize, FieldError)> = Vec::new();
    for (key, value) in mapped {
        let Some((i, spec)) = fields.iter().enumerate().find(|(_, f)| f.key == key) else {
            continue;
        };
        let pruned = match &value {
            Resolved::Undefined | Resolved::Null => true,
            Resolved::String(s) if s.is_empty() => {
                at_root || !spec.field_type.accepts_empty_string()
            }
            _ => false,
        };
        if pruned {
            continue;
        }
        let problem = match coerce(value, spec.field_type) {
            // A date is kept in its UTC ISO form. As in Segment's schema, the date check
            // applies to strings: a number that is no time at all passes unchanged.
            Some(date) if spec.field_type == FieldType::Datetime => match normalize_date(date) {
                Ok(iso) => {
                    payload.set(spec.key, Resolved::String(iso));
                    continue;
                }
                Err(Resolved::String(_)) => FieldError::new(
                    spec,
                    FieldErrorCode::Format,
                    "must be a valid date-like string",
                ),
                Err(number) => {
                    payload.set(spec.key, number);
                    continue;
                }
            },
            Some(coerced) => {
                payload.set(spec.key, coerced);
                continue;
            }
            None => FieldError::new(
                spec,
                FieldErrorCode::Type,
                &format!("must be {}", spec.field_type.describe()),
            ),
        };
        errors.push((i, problem));
    }
    for (i, spec) in fields.iter().enumerate() {
        let wrong = errors.iter().any(|(j, _)| *j == i);
        if spec.required && !wrong && payload.get(spec.key).is_none() {
            errors.push((
                i,
                FieldError::new(spec, FieldErrorCode::Required, "is required"),
            ));
        }
    }
    if errors.is_empty() {
        return Ok(payload);
    }
    // In field order (the mapped object's keys are unique, so each field has one problem); a
    // few fields, so a scan per field rather than a sort, which would add a sort's code to the
    // wasm for this one list.
    let mut ordered = Vec::with_capacity(errors.len());
    for i in 0..fields.len() {
        if let Some(at) = errors.iter().position(|(j, _)| *j == i) {
            ordered.push(errors.swap_remove(at).1);
        }
    }
    Err(ordered)
}

/// A date value's UTC ISO form, when it is a date; otherwise the value as it was.
fn normalize_date(value: Resolved) -> Result<String, Resolved> {
    let ms = match &value {
        Resolved::String(s) if datetime::is_iso_string(s) => match value {
            Resolved::String(s) => return Ok(s),
            other => return Err(other),
        },
        Resolved::String(s) => datetime::parse_text(s),
        Resolved::Number(n) => datetime::time_clip(*n),
        _ => None,
    };
    ms.and_then(datetime::to_iso_string).ok_or(value)
}

/// Whether Segment's schema takes `v` as a value of type `t` as it is. Ajv's numbers are
/// finite (its `strictNumbers`): ±Infinity is no number, and a string or date field gets
/// its text (`"Infinity"`, which is no date).
fn has_type(v: &Resolved, t: FieldType) -> bool {
    match (t, v) {
        (FieldType::String, Resolved::String(_)) => true,
        (FieldType::Object, r) => Root::Resolved(r).type_name() == "object",
        (FieldType::Datetime, Resolved::String(_)) => true,
        (FieldType::Datetime | FieldType::Number, Resolved::Number(n)) => n.is_finite(),
        (FieldType::Boolean, Resolved::Bool(_)) => true,
        (FieldType::Integer, Resolved::Number(n)) => n.is_finite() && n.fract() == 0.0,
        _ => false,
    }
}

/// Ajv's `coerceTypes: "array"`: a one-item array stands for its item, then scalars convert.
/// Only `null` converts to a type's empty value; an `undefined` item (`[undefined]`, what a
/// mapped array holds where a path finds nothing) converts to nothing, so the field is
/// invalid, as in Segment.
fn coerce(value: Resolved, t: FieldType) -> Option<Resolved> {
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
    let value = match value.materialize() {
        // Ajv checks a multi-type field's unwrapped item against all its types at once, which
        // never passes, so for `datetime` the item always goes through coercion.
        Resolved::Array(mut items) if items.len() == 1 && t == FieldType::Datetime => {
            return match items.remove(0) {
                Resolved::Number(n) => Some(Resolved::String(js::number_to_string(n))),
                Resolved::Bool(b) => Some(Resolved::String(b.to_string())),
                Resolved::Null => Some(Resolved::String(String::new())),
                Resolved::String(s) => numeric_string(&s).map(Resolved::Number),
                _ => None,
            };
        }
        Resolved::Array(mut items) if items.len() == 1 => {
            let item = items.remove(0).materialize();
            if has_type(&item, t) {
                return Some(item);
            }
            item
        }
        other => other,
    };
    match (t, &value) {
        (FieldType::String | FieldType::Datetime, Resolved::Number(n)) => {
            Some(Resolved::String(js::number_to_string(*n)))
        }
        (FieldType::String | FieldType::Datetime, Resolved::Bool(b)) => {
            Some(Resolved::String(b.to_string()))
        }
        (FieldType::String | FieldType::Datetime, Resolved::Null) => {
            Some(Resolved::String(String::new()))
        }
        (FieldType::Number | FieldType::Integer, Resolved::Bool(b)) => {
            Some(Resolved::Number(f64::from(u8::from(*b))))
        }
        (FieldType::Number | FieldType::Integer, Resolved::Null) => Some(Resolved::Number(0.0)),
        (FieldType::Number, Resolved::String(s)) => numeric_string(s).map(Resolved::Number),
        (FieldType::Integer, Resolved::String(s)) => numeric_string(s)
            .filter(|n| n.fract() == 0.0)
            .map(Resolved::Number),
        (FieldType::Boolean, Resolved::String(s)) if s == "false" => Some(Resolved::Bool(false)),
        (FieldType::Boolean, Resolved::String(s)) if s == "true" => Some(Resolved::Bool(true)),
        (FieldType::Boolean, Resolved::Null) => Some(Resolved::Bool(false)),
        (FieldType::Boolean, Resolved::Number(n)) => match n {
            0.0 => Some(Resolved::Bool(false)),
            1.0 => Some(Resolved::Bool(true)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

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

    fn object(v: Value) -> ObjectMap {
        match Resolved::from(v) {
            Resolved::Object(map) => map,
            _ => ObjectMap::default(),
        }
    }

    fn run(v: Value, at_root: bool) -> Result<Value, Vec<(String, FieldErrorCode)>> {
        validate(object(v), FIELDS, at_root)
            .map(|p| {
                let mut text = String::new();
                p.write_json(&mut text).unwrap();
                serde_json::from_str(&text).unwrap()
            })
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
    fn undefined_items_coerce_to_nothing() {
        // `[undefined]` (a mapped array whose path found nothing) is unwrapped by ajv and then
        // fails the type; `[null]` becomes the type's empty value.
        let field = |key: &str, item: Resolved| {
            let mapped = ObjectMap::from_iter([
                ("name".to_string(), Resolved::String("x".into())),
                ("at".to_string(), Resolved::Number(1.0)),
                (key.to_string(), Resolved::Array(vec![item])),
            ]);
            validate(mapped, FIELDS, false)
                .map_err(|e| e.into_iter().map(|e| (e.field, e.code)).collect::<Vec<_>>())
        };
        for key in ["name", "at", "n", "b"] {
            assert_eq!(
                field(key, Resolved::Undefined).unwrap_err(),
                [(key.to_string(), FieldErrorCode::Type)],
                "{key}"
            );
            // (`""` is no date.)
            assert_eq!(field(key, Resolved::Null).is_ok(), key != "at", "{key}");
        }
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
            Err(vec![("at".into(), FieldErrorCode::Type)])
        );
        assert_eq!(
            at(json!([true])),
            Err(vec![("at".into(), FieldErrorCode::Format)])
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
                ("name".into(), FieldErrorCode::Required),
                ("at".into(), FieldErrorCode::Format),
                ("props".into(), FieldErrorCode::Type),
                ("n".into(), FieldErrorCode::Type),
                ("b".into(), FieldErrorCode::Type)
            ])
        );
        assert_eq!(
            validate(ObjectMap::default(), FIELDS, true).unwrap_err()[0].message,
            "Event Name (name) is required"
        );
    }

    #[test]
    fn infinity_is_a_number_that_prints_as_text() {
        // JSON.parse gives ±Infinity for `1e400`, which ajv takes for no number: a string
        // field gets its text, a date field that text too (no date), a number field nothing.
        let infinite = |name: f64, at: Resolved| {
            let mapped = ObjectMap::from_iter([
                ("name".to_string(), Resolved::Number(name)),
                ("at".to_string(), at),
            ]);
            validate(mapped, FIELDS, true)
        };
        let payload = infinite(f64::NEG_INFINITY, Resolved::Number(1.0)).unwrap();
        assert_eq!(
            payload.get("name"),
            Some(&Resolved::String("-Infinity".into()))
        );
        assert_eq!(
            run(json!({"name": "x", "at": 1, "n": 1e300}), true),
            Ok(json!({"name": "x", "at": "1970-01-01T00:00:00.001Z", "n": 1e300}))
        );
        let codes = |r: Result<Payload, Vec<FieldError>>| {
            r.unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect::<Vec<_>>()
        };
        let at = Resolved::Number(f64::INFINITY);
        assert_eq!(
            codes(infinite(1.0, at)),
            [("at".into(), FieldErrorCode::Format)]
        );
        let in_array = Resolved::Array(vec![Resolved::Number(f64::INFINITY)]);
        assert_eq!(
            codes(infinite(1.0, in_array)),
            [("at".into(), FieldErrorCode::Format)]
        );
        let mapped = ObjectMap::from_iter([
            ("name".to_string(), Resolved::String("x".into())),
            ("at".to_string(), Resolved::Number(1.0)),
            ("n".to_string(), Resolved::Number(f64::INFINITY)),
        ]);
        assert_eq!(
            codes(validate(mapped, FIELDS, true)),
            [("n".into(), FieldErrorCode::Type)]
        );
    }

    #[test]
    fn empty_strings_go_at_the_root_of_single_events_only() {
        assert_eq!(
            run(json!({"name": "", "at": 1, "props": null}), true),
            Err(vec![("name".into(), FieldErrorCode::Required)])
        );
        assert_eq!(
            run(json!({"name": "", "at": 1, "props": ""}), false),
            Ok(json!({"name": "", "at": "1970-01-01T00:00:00.001Z"}))
        );
        assert_eq!(
            run(json!({"name": "x", "at": ""}), false),
            Err(vec![("at".into(), FieldErrorCode::Format)])
        );
    }
}
