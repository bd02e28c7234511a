//! `@transform`: a mapping applied to the result of another
//! (`{"@transform": {"apply": {"x": {"@path": "$.properties"}}, "mapping": {"p": {"@path": "$.x.price"}}}}`).
//!
//! `apply` runs on the payload as Segment's `transform` does (checked first; the payload must be
//! an object), then `mapping` runs on what it gave.

use super::super::check::{check_mapping, req, Checker, Rule};
use super::super::node::{compile_opt, resolve_opt, Cx, Node, Run};
use super::{options_object, requires};
use crate::mapping::error::MappingError;
use crate::property::{truthy, Root};
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@transform";

/// Its options: `apply` and `mapping`, each an object or a directive.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.fields(
        options,
        &[
            req("apply", Rule::DirectiveOrObject),
            req("mapping", Rule::DirectiveOrObject),
        ],
    )
}

/// A compiled `@transform`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transform(Result<Options, MappingError>);

/// The options of a usable `@transform`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    apply: Node,
    mapping: Option<Node>,
}

impl Transform {
    /// Reads the options; the run-time errors of unusable ones (including `apply`'s first
    /// problem, which Segment's `transform` reports when it runs) are kept.
    pub fn compile(options: &Value, depth: usize) -> Transform {
        Transform(
            options_object(
                options,
                "@transform requires an object with an \"apply\" key and a \"mapping\" key",
            )
            .and_then(|opts| {
                if !truthy(opts.get("mapping")) {
                    return Err(requires("@transform requires a \"mapping\" key"));
                }
                let Some(apply) = opts.get("apply").filter(|a| truthy(Some(a))) else {
                    return Err(requires("@transform requires a \"apply\" key"));
                };
                if !apply.is_object() {
                    return Err(requires("@transform \"apply\" key should be an object"));
                }
                if let Err(mut errors) = check_mapping(apply) {
                    return Err(errors.swap_remove(0).within("apply"));
                }
                Ok(Options {
                    apply: Node::compile_at(apply, depth + 1),
                    mapping: compile_opt(opts, "mapping", depth),
                })
            }),
        )
    }

    /// `mapping` run on what `apply` gives.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let opts = self.0.as_ref().map_err(Clone::clone)?;
        let applied = super::super::node::run_on_object(&opts.apply, cx)
            .map_err(|e| e.within("apply"))?
            .remove_undefined();
        resolve_opt(
            &opts.mapping,
            "mapping",
            cx.reading(Root::Resolved(&applied)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, t};
    use serde_json::json;

    #[test]
    fn maps_the_applied_result() {
        assert_eq!(
            t(
                json!({"tr": {"@transform": {"apply": {"x": {"@path": "$.properties"}}, "mapping": {"p": {"@path": "$.x.price"}}}}})
            ),
            Some(json!({"tr": {"p": 3}}))
        );
    }

    #[test]
    fn a_payload_that_resolved_to_nothing_is_an_empty_object() {
        // The outer `apply` finds nothing, so the inner @transform runs on `undefined`, which
        // Segment's `transform(mapping, data = {})` reads as `{}`.
        let inner = json!({"@transform": {"apply": {"k": "v", "m": {"@path": "$.x"}}, "mapping": {"k": {"@path": "$.k"}}}});
        assert_eq!(
            t(
                json!({"tr": {"@transform": {"apply": {"@path": "$.missing"}, "mapping": {"in": inner}}}})
            ),
            Some(json!({"tr": {"in": {"k": "v"}}}))
        );
        // Anything else that is no object is still refused.
        assert_eq!(
            err(
                json!({"tr": {"@transform": {"apply": {"@path": "$.userId"}, "mapping": {"in": inner}}}})
            ),
            "/tr/@transform/mapping/in/@transform/apply data must be an object, got string"
        );
    }

    #[test]
    fn apply_is_checked_when_it_runs() {
        assert_eq!(
            err(json!({"a": [{"@transform": {"apply": {"x": {"@nope": 1}}, "mapping": {}}}]})),
            "/a/0/@transform/apply/x has an invalid directive: @nope"
        );
    }
}
