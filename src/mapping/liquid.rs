//! `@liquid`: a Liquid template rendered against the payload (inside `@arrayPath`, the item),
//! as Segment's mapping-kit renders it with its restricted liquidjs engine ([`crate::liquid`]).
//!
//! Segment's rules: the value must be a string ("should be a string" where validation
//! reaches it, a runtime error elsewhere), `""` renders `""`, a template over 1,000 characters
//! (JavaScript length) is an error, and the result is always a string. Template errors carry
//! the directive's path and liquidjs's message with the template's line and column.

use crate::error::MappingError;
use crate::js::{self, Root};
use crate::liquid::{Data, DataKind, Template};
use crate::value::{js_order, js_order_of, Resolved};
use serde_json::Value;

/// Longest template Segment accepts, in UTF-16 code units.
pub const MAX_TEMPLATE_LENGTH: usize = 1000;

fn fail(message: impl Into<String>) -> MappingError {
    MappingError::at::<&str>(&[], message)
}

/// The directive's template, parsed; `None` for `""` (which renders `""` without parsing).
///
/// Parsing is cheap next to a render but not free: a compiled mapping keeps the result; the
/// mapping runner of today (which reads the mapping's JSON for every event) calls [`run`].
pub fn compile(options: &Value) -> Result<Option<Template>, MappingError> {
    let Value::String(source) = options else {
        return Err(fail("liquid template value must be a string"));
    };
    if source.is_empty() {
        return Ok(None);
    }
    if js::utf16_len(source) > MAX_TEMPLATE_LENGTH {
        return Err(fail(format!(
            "liquid template values are limited to {MAX_TEMPLATE_LENGTH} characters"
        )));
    }
    Template::parse(source)
        .map(Some)
        .map_err(|e| fail(e.to_string()))
}

/// Renders a compiled template against `payload`.
pub fn render(template: Option<&Template>, payload: Root<'_>) -> Result<Resolved, MappingError> {
    let Some(template) = template else {
        return Ok(Resolved::String(String::new()));
    };
    let data: &dyn Data = match payload {
        Root::Json(v) => v,
        Root::Resolved(r) => r,
    };
    template
        .render(data)
        .map(Resolved::String)
        .map_err(|e| fail(e.to_string()))
}

/// Runs the directive: [`compile`] then [`render`].
pub fn run(options: &Value, payload: Root<'_>) -> Result<Resolved, MappingError> {
    render(compile(options)?.as_ref(), payload)
}

impl Data for Value {
    fn kind(&self) -> DataKind<'_> {
        match self {
            Value::Null => DataKind::Null,
            Value::Bool(b) => DataKind::Bool(*b),
            Value::Number(n) => DataKind::Number(js::json_number_value(n)),
            Value::String(s) => DataKind::String(s),
            Value::Array(_) => DataKind::Array,
            Value::Object(_) => DataKind::Object,
        }
    }

    fn member(&self, key: &str) -> Option<&dyn Data> {
        self.as_object()?.get(key).map(|v| v as &dyn Data)
    }

    fn item(&self, index: usize) -> Option<&dyn Data> {
        self.as_array()?.get(index).map(|v| v as &dyn Data)
    }

    fn len(&self) -> usize {
        match self {
            Value::Array(items) => items.len(),
            Value::Object(map) => map.len(),
            _ => 0,
        }
    }

    fn members(&self) -> Vec<(&str, &dyn Data)> {
        match self {
            Value::Object(map) => js_order_of(map.iter())
                .map(|(k, v)| (k.as_str(), v as &dyn Data))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Data for Resolved {
    fn kind(&self) -> DataKind<'_> {
        match self {
            Resolved::Undefined => DataKind::Undefined,
            Resolved::Null => DataKind::Null,
            Resolved::Bool(b) => DataKind::Bool(*b),
            Resolved::Number(n) => DataKind::Number(js::json_number_value(n)),
            Resolved::String(s) => DataKind::String(s),
            Resolved::Array(_) => DataKind::Array,
            Resolved::Object(_) => DataKind::Object,
        }
    }

    fn member(&self, key: &str) -> Option<&dyn Data> {
        match self {
            Resolved::Object(map) => map.get(key).map(|v| v as &dyn Data),
            _ => None,
        }
    }

    fn item(&self, index: usize) -> Option<&dyn Data> {
        match self {
            Resolved::Array(items) => items.get(index).map(|v| v as &dyn Data),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            Resolved::Array(items) => items.len(),
            Resolved::Object(map) => map.len(),
            _ => 0,
        }
    }

    fn members(&self) -> Vec<(&str, &dyn Data)> {
        match self {
            Resolved::Object(map) => js_order(map)
                .map(|(k, v)| (k.as_str(), v as &dyn Data))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::transform;
    use serde_json::json;

    #[test]
    fn renders_with_the_payload_and_reports_paths() {
        let payload = json!({"event": "Order Completed", "properties": {"products": [{"sku": "A"}, {"sku": "B"}]}});
        let mapping = json!({
            "a": {"@liquid": "{{ event | downcase }}"},
            "b": {"@liquid": ""},
            "c": {"@arrayPath": ["$.properties.products", {"s": {"@liquid": "{{ sku }}!"}}]},
            "d": {"@if": {"exists": {"@liquid": "{{ nothing }}"}, "then": "always", "else": "never"}}
        });
        assert_eq!(
            transform(&mapping, &payload).unwrap(),
            Some(
                json!({"a": "order completed", "b": "", "c": [{"s": "A!"}, {"s": "B!"}], "d": "always"})
            )
        );
        let e = transform(&json!({"f": {"@liquid": "x{{ event | sort }}"}}), &payload).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/f/@liquid filter \"sort\" is disabled, line:1, col:2"
        );
    }

    #[test]
    fn the_value_must_be_a_short_string() {
        let e = transform(&json!({"f": {"@liquid": 42}}), &json!({})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/f/@liquid should be a string but it is a number"
        );
        let e = transform(&json!({"f": [{"@liquid": 42}]}), &json!({})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/f/0/@liquid liquid template value must be a string"
        );
        let long = "x".repeat(1001);
        let e = transform(&json!({"f": {"@liquid": long}}), &json!({})).unwrap_err();
        assert!(e.to_string().ends_with("limited to 1000 characters"));
        let e = transform(&json!({"f": {"@liquid": "{% for x in y %}"}}), &json!({})).unwrap_err();
        assert_eq!(e.path, "/f/@liquid");
    }
}
