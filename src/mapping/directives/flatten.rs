//! `@flatten`: a nested object as one level of joined keys
//! (`{"@flatten": {"value": {"@path": "$.properties"}, "separator": "."}}` turns
//! `{"a": {"b": 1}}` into `{"a.b": 1}`); arrays are flattened by index unless `omitArrays`.

use super::super::check::{opt, req, Checker, Rule};
use super::super::node::{compile_opt, resolve_opt, Cx, Node, Run};
use super::{options_object, requires};
use crate::mapping::error::MappingError;
use crate::property::truthy;
use crate::value::{js_order_owned, ObjectMap, Resolved};
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@flatten";

/// Its options: `value`, `separator`, `omitArrays`.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.fields(
        options,
        &[
            opt("separator", Rule::Str),
            req("value", Rule::DirectiveOrRaw),
        ],
    )
}

/// A compiled `@flatten`.
#[derive(Debug, Clone, PartialEq)]
pub struct Flatten(Result<Options, MappingError>);

/// The options of a usable `@flatten`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    separator: Option<Node>,
    value: Option<Node>,
    omit_arrays: bool,
}

impl Flatten {
    /// Reads the options; the run-time errors of unusable ones are kept.
    pub fn compile(options: &Value, depth: usize) -> Flatten {
        Flatten(
            options_object(
                options,
                "@flatten requires an object with a \"separator\" key",
            )
            .and_then(|opts| {
                if !truthy(opts.get("separator")) {
                    return Err(requires("@flatten requires a \"separator\" key"));
                }
                Ok(Options {
                    separator: compile_opt(opts, "separator", depth),
                    value: compile_opt(opts, "value", depth),
                    omit_arrays: truthy(opts.get("omitArrays")),
                })
            }),
        )
    }

    /// The flattened object.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let opts = self.0.as_ref().map_err(Clone::clone)?;
        let separator = resolve_opt(&opts.separator, "separator", cx)?;
        let Resolved::String(separator) = separator else {
            return Err(requires("@flatten requires a string separator"));
        };
        let value = resolve_opt(&opts.value, "value", cx)?;
        let mut out = ObjectMap::default();
        let flattening = Flattening {
            separator: &separator,
            omit_arrays: opts.omit_arrays,
            cx,
        };
        flattening.add(&mut out, value, "")?;
        Ok(Resolved::Object(out))
    }
}

/// `@flatten`'s options while it walks a value.
struct Flattening<'a> {
    separator: &'a str,
    omit_arrays: bool,
    cx: Cx<'a>,
}

impl Flattening<'_> {
    /// Adds the leaves of `input` to `out`, their keys starting with `prefix`. Every key repeats
    /// the prefix and the separator, so keys are paid for as they are built. Bounded: a value's
    /// depth is bounded by the tree reader's limit and the mapping's.
    fn add(&self, out: &mut ObjectMap, input: Resolved, prefix: &str) -> Result<(), MappingError> {
        let key_for = |k: &str| {
            let key = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}{}{k}", self.separator)
            };
            self.cx.budget.spend(key.len()).map(|()| key)
        };
        match input.materialize() {
            Resolved::Object(map) => {
                for (k, v) in js_order_owned(map) {
                    self.add(out, v, &key_for(&k)?)?;
                }
            }
            Resolved::Array(items) if !self.omit_arrays => {
                for (i, v) in items.into_iter().enumerate() {
                    self.add(out, v, &key_for(&i.to_string())?)?;
                }
            }
            leaf => {
                out.insert(prefix.to_string(), leaf);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, t};
    use serde_json::json;

    #[test]
    fn joins_keys() {
        assert_eq!(
            t(json!({
                "flat": {"@flatten": {"value": {"@path": "$.properties.nested"}, "separator": "."}},
                "flatNoArrays": {"@flatten": {"value": {"@path": "$.properties.nested"}, "separator": "_", "omitArrays": true}},
                "scalar": {"@flatten": {"value": "x", "separator": "."}}
            })),
            Some(json!({
                "flat": {"a.b": 1, "a.c.0": 1, "a.c.1.d": 2, "e": "f"},
                "flatNoArrays": {"a_b": 1, "a_c": [1, {"d": 2}], "e": "f"},
                "scalar": {"": "x"}
            }))
        );
    }

    #[test]
    fn needs_a_string_separator() {
        assert_eq!(
            err(json!({"a": [{"@flatten": {"value": 1}}]})),
            "/a/0/@flatten @flatten requires a \"separator\" key"
        );
        assert_eq!(
            err(
                json!({"a": [{"@flatten": {"value": 1, "separator": {"@path": "$.properties.price"}}}]})
            ),
            "/a/0/@flatten @flatten requires a string separator"
        );
    }
}
