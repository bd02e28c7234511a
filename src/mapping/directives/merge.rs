//! `@merge`: objects merged into one, as `Object.assign({}, …objects)` does
//! (`{"@merge": {"direction": "right", "objects": [{"@path": "$.traits"}, {"plan": "pro"}]}}`).
//!
//! With `"right"` later objects win; with `"left"` earlier ones do. As in JavaScript, arrays
//! and strings merge their indexes, other values nothing, and an `undefined` member still
//! overrides.

use super::super::budget::VALUE_BYTES;
use super::super::check::{opt, req, Checker, Rule};
use super::super::node::{compile_opt, resolve_opt, Cx, Node, Run};
use super::{options_object, requires};
use crate::js;
use crate::js::PROTO_KEY;
use crate::mapping::error::{MappingError, Reason};
use crate::property::{real_type_of, truthy};
use crate::value::{ObjectMap, Resolved};
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@merge";

/// Its options: `objects` (each an object or a directive) and `direction`.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    let ok = c.fields(
        options,
        &[
            opt("direction", Rule::OneOf(&["left", "right"])),
            req("objects", Rule::Array),
        ],
    );
    let Some(Value::Array(objects)) = options.and_then(|o| o.get("objects")) else {
        return ok;
    };
    c.nested("objects", |c| {
        let mut all = ok;
        for (i, item) in objects.iter().enumerate() {
            all &= c.nested(&i.to_string(), |c| {
                c.rule(Some(item), Rule::DirectiveOrObject)
            });
        }
        all
    })
}

/// A compiled `@merge`.
#[derive(Debug, Clone, PartialEq)]
pub struct Merge(Result<Options, MappingError>);

/// The options of a usable `@merge`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    direction: Option<Node>,
    /// The objects, or the error Segment gives (after resolving `direction`) when `objects` is
    /// not an array.
    objects: Result<Vec<Node>, MappingError>,
}

impl Merge {
    /// Reads the options; the run-time errors of unusable ones are kept.
    pub fn compile(options: &Value, depth: usize) -> Merge {
        Merge(
            options_object(
                options,
                "@merge requires an object with an \"objects\" key and a \"direction\" key",
            )
            .and_then(|opts| {
                if !truthy(opts.get("direction")) {
                    return Err(requires("@merge requires a \"direction\" key"));
                }
                let objects = match opts.get("objects") {
                    Some(Value::Array(objects)) => Ok(objects
                        .iter()
                        .map(|o| Node::compile_at(o, depth + 2))
                        .collect()),
                    other if !truthy(other) => Err(requires("@merge requires a \"objects\" key")),
                    // `typeof` in Segment's message; for a truthy value that is no array it is
                    // the same name as `realTypeOf`'s.
                    Some(other) => Err(MappingError::new(Reason::MergeObjectsNotArray(
                        real_type_of(Some(other)),
                    ))),
                    None => Err(requires("@merge requires a \"objects\" key")),
                };
                Ok(Options {
                    direction: compile_opt(opts, "direction", depth),
                    objects,
                })
            }),
        )
    }

    /// The merged object.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let opts = self.0.as_ref().map_err(Clone::clone)?;
        let direction = resolve_opt(&opts.direction, "direction", cx)?;
        let objects = opts.objects.as_ref().map_err(Clone::clone)?;
        let mut sources = objects
            .iter()
            .enumerate()
            .map(|(i, o)| {
                o.resolve_within(&i.to_string(), cx)
                    .map_err(|e| e.within("objects"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if matches!(&direction, Resolved::String(d) if d == "left") {
            sources.reverse();
        }
        let mut out = ObjectMap::default();
        for source in sources {
            match source.materialize() {
                Resolved::Object(map) => {
                    out.extend(map.into_iter().filter(|(k, _)| k != PROTO_KEY))
                }
                Resolved::Array(items) => out.extend(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (i.to_string(), v)),
                ),
                Resolved::String(s) => {
                    // One member per UTF-16 unit: many times the string's own size.
                    // (Half of a pair on its own is a lone surrogate, as in JavaScript.)
                    let units = js::string::len(&s);
                    cx.budget.spend(units.saturating_mul(3 * VALUE_BYTES))?;
                    out.extend(js::string::units(&s).enumerate().map(|(i, unit)| {
                        (
                            i.to_string(),
                            Resolved::String(js::string::unit_char(unit).to_string()),
                        )
                    }))
                }
                _ => {}
            }
        }
        Ok(Resolved::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, on_text, t};
    use serde_json::json;

    #[test]
    fn later_or_earlier_objects_win() {
        assert_eq!(
            t(json!({
                "merged": {"@merge": {"direction": "right", "objects": [{"a": 1, "b": 1}, {"a": 2, "b": {"@path": "$.missing"}}]}},
                "left": {"@merge": {"direction": "left", "objects": [{"a": 1}, {"a": 2}]}},
                "props": {"@merge": {"direction": "right", "objects": [{"@path": "$.properties.nested"}, {"e": "g"}]}}
            })),
            Some(json!({
                "merged": {"a": 2},
                "left": {"a": 1},
                "props": {"a": {"b": 1, "c": [1, {"d": 2}]}, "e": "g"}
            }))
        );
    }

    #[test]
    fn strings_spread_by_utf16_units() {
        // Object.assign({}, "🎉"): each half of the pair on its own, a lone surrogate.
        let m = json!({"m": {"@merge": {"direction": "right", "objects": [{"@path": "$.s"}, {"@path": "$.l"}]}}});
        assert_eq!(
            on_text(m, r#"{"s": "a🎉", "l": "\udfff"}"#),
            Ok(Some(
                r#"{"m":{"0":"\udfff","1":"\ud83c","2":"\udf89"}}"#.into()
            ))
        );
    }

    #[test]
    fn needs_a_direction() {
        assert_eq!(
            err(json!({"m": [{"@merge": {"objects": [{}]}}]})),
            "/m/0/@merge @merge requires a \"direction\" key"
        );
        assert_eq!(
            err(json!({"m": [{"@merge": {"objects": "x", "direction": "left"}}]})),
            "/m/0/@merge @merge: expected opts.array, got string"
        );
    }
}
