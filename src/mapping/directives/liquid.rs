//! `@liquid`: a Liquid template rendered against the payload (inside `@arrayPath`, the item),
//! as Segment's mapping-kit renders it with its restricted liquidjs engine ([`crate::liquid`]).
//!
//! Segment's rules: the value must be a string ("should be a string" where validation
//! reaches it, a runtime error elsewhere), `""` renders `""`, a template over 1,000 characters
//! (JavaScript length) is an error, and the result is always a string. Template errors carry
//! the directive's path and liquidjs's message with the template's line and column. The
//! template is parsed once, when the mapping is compiled.

use super::super::check::{Checker, Rule};
use super::super::node::{Cx, Run};
use crate::js;
use crate::json::read::{self, Kind};
use crate::liquid::{Data, DataKind, Template, PARSE_LIMIT};
use crate::mapping::error::{MappingError, Reason};
use crate::property::Root;
use crate::value::{js_order, js_order_of, Resolved};
use serde_json::Value;
use std::sync::Arc;

/// The directive's name.
pub const NAME: &str = "@liquid";

/// Its option: a string.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.rule(options, Rule::Str)
}

/// A compiled `@liquid`: the parsed template (`None` for `""`, which renders `""`), or the
/// error Segment gives when the directive runs.
#[derive(Debug, Clone)]
pub struct Liquid(Result<Option<Arc<Template>>, MappingError>);

impl PartialEq for Liquid {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Ok(Some(a)), Ok(Some(b))) => a.source() == b.source(),
            (a, b) => a.as_ref().err() == b.as_ref().err() && a.is_ok() == b.is_ok(),
        }
    }
}

impl Liquid {
    /// Parses the template.
    pub fn compile(options: &Value, _depth: usize) -> Liquid {
        Liquid(parse(options))
    }

    /// The rendered text.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let template = self.0.as_ref().map_err(Clone::clone)?;
        let Some(template) = template else {
            return cx.text(String::new());
        };
        let rendered = match cx.payload {
            Root::Json(v) => template.render(v, cx.now_ms),
            other => template.render(&data_of(other), cx.now_ms),
        };
        let text = rendered.map_err(|e| MappingError::new(Reason::Template(e.to_string())))?;
        cx.text(text)
    }
}

fn parse(options: &Value) -> Result<Option<Arc<Template>>, MappingError> {
    let Value::String(source) = options else {
        return Err(MappingError::new(Reason::TemplateNotString));
    };
    if source.is_empty() {
        return Ok(None);
    }
    // Checked before parsing, as Segment's validation does, for its own message.
    if js::string::len(source) > PARSE_LIMIT {
        return Err(MappingError::new(Reason::TemplateTooLong(PARSE_LIMIT)));
    }
    Template::parse(source)
        .map(|t| Some(Arc::new(t)))
        .map_err(|e| MappingError::new(Reason::Template(e.to_string())))
}

/// The payload as a tree the engine can look into: events and JSON text still unread are
/// parsed (templates may read anything, so the whole value is).
fn data_of(payload: Root<'_>) -> Resolved {
    materialize_deep(payload.to_resolved())
}

/// `value` with every JSON text inside it parsed. Bounded: a mapped value nests at most as
/// deep as its mapping and the text it holds (both bounded).
fn materialize_deep(value: Resolved) -> Resolved {
    match value.materialize() {
        Resolved::Array(items) => {
            Resolved::Array(items.into_iter().map(materialize_deep).collect())
        }
        Resolved::Object(map) => Resolved::Object(
            map.into_iter()
                .map(|(k, v)| (k, materialize_deep(v)))
                .collect(),
        ),
        other => other,
    }
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
            Resolved::Number(n) => DataKind::Number(*n),
            Resolved::String(s) => DataKind::String(s),
            Resolved::Array(_) => DataKind::Array,
            Resolved::Object(_) => DataKind::Object,
            // Text is parsed before rendering (see `data_of`); unparsed it shows no members.
            Resolved::Raw(raw) if read::kind(raw) == Kind::Array => DataKind::Array,
            Resolved::Raw(_) => DataKind::Object,
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
    use super::super::test_support::t;
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
            transform(&mapping, &payload, 0.0).unwrap(),
            Some(
                json!({"a": "order completed", "b": "", "c": [{"s": "A!"}, {"s": "B!"}], "d": "always"})
            )
        );
        let e = transform(
            &json!({"f": {"@liquid": "x{{ event | sort }}"}}),
            &payload,
            0.0,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "/f/@liquid filter \"sort\" is disabled, line:1, col:2"
        );
    }

    #[test]
    fn renders_events_read_in_place() {
        assert_eq!(
            t(
                json!({"l": {"@liquid": "{{ userId | upcase }}/{{ properties.products.size }}/{{ properties.nested.a.c | first }}"}})
            ),
            Some(json!({"l": "USER TWO/2/1"}))
        );
    }

    #[test]
    fn the_value_must_be_a_short_string() {
        let e = transform(&json!({"f": {"@liquid": 42}}), &json!({}), 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/f/@liquid should be a string but it is a number"
        );
        let e = transform(&json!({"f": [{"@liquid": 42}]}), &json!({}), 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/f/0/@liquid liquid template value must be a string"
        );
        let long = "x".repeat(1001);
        let e = transform(&json!({"f": {"@liquid": long}}), &json!({}), 0.0).unwrap_err();
        assert!(e.to_string().ends_with("limited to 1000 characters"));
        let e = transform(
            &json!({"f": {"@liquid": "{% for x in y %}"}}),
            &json!({}),
            0.0,
        )
        .unwrap_err();
        assert_eq!(e.path(), "/f/@liquid");
    }
}
