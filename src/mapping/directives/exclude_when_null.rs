//! `@excludeWhenNull`: its option's value, except that `null` leaves the field out and `null`
//! members of objects (at any object depth) are dropped.

use super::super::check::{Checker, Rule};
use super::super::node::{Cx, Node, Run};
use crate::js::PROTO_KEY;
use crate::value::Resolved;
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@excludeWhenNull";

/// Its option: any JSON value or a directive.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.rule(options, Rule::DirectiveOrRaw)
}

/// A compiled `@excludeWhenNull`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExcludeWhenNull(Node);

impl ExcludeWhenNull {
    /// Reads the option.
    pub fn compile(options: &Value, depth: usize) -> ExcludeWhenNull {
        ExcludeWhenNull(Node::compile_at(options, depth + 1))
    }

    /// The option's value without its `null`s.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        self.0.resolve(cx).map(exclude_nulls)
    }
}

/// `null` becomes `undefined`, and `null` members of objects are dropped, object by object
/// (arrays are left as they are). Bounded: a value's depth is bounded by serde_json's limit.
/// Each object is copied by `Object.assign` in Segment, which makes a `__proto__` member the
/// copy's prototype: it goes.
fn exclude_nulls(value: Resolved) -> Resolved {
    match value.materialize() {
        Resolved::Null => Resolved::Undefined,
        Resolved::Object(map) => Resolved::Object(
            map.into_iter()
                .filter(|(k, _)| k != PROTO_KEY)
                .map(|(k, v)| {
                    let v = match v {
                        Resolved::Null => Resolved::Undefined,
                        obj @ (Resolved::Object(_) | Resolved::Raw(_)) => exclude_nulls(obj),
                        other => other,
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::t;
    use serde_json::json;

    #[test]
    fn drops_nulls_in_objects_only() {
        assert_eq!(
            t(json!({
                "gone": {"@excludeWhenNull": {"@path": "$.properties.nil"}},
                "obj": {"@excludeWhenNull": {"a": null, "b": {"c": null, "d": 1}, "e": [null]}},
                "props": {"@excludeWhenNull": {"@path": "$.properties"}}
            })),
            Some(json!({
                "obj": {"b": {"d": 1}, "e": [null]},
                "props": {"price": 3, "empty": "", "flag": false, "zero": 0, "json": "{\"a\":1}",
                          "products": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": null}],
                          "nested": {"a": {"b": 1, "c": [1, {"d": 2}]}, "e": "f"}}
            }))
        );
    }
}
