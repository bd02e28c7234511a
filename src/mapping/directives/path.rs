//! `@path`: the value at a path in the payload (`{"@path": "$.properties.total"}`).
//!
//! The path may itself come from a directive; `$.` alone is the whole payload.

use super::super::check::{Checker, Rule};
use super::super::lookup::PathSpec;
use super::super::node::{Cx, Node, Run};
use super::expect_string;
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@path";

/// Its option: a string, or a directive giving one.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.rule(options, Rule::DirectiveOrString)
}

/// A compiled `@path`.
#[derive(Debug, Clone, PartialEq)]
pub enum Path {
    /// Written as a string: split once.
    Fixed(PathSpec),
    /// Anything else: resolved when it runs (and it must give a string then).
    Computed(Node),
}

impl Path {
    /// Reads the option.
    pub fn compile(options: &Value, depth: usize) -> Path {
        match options {
            Value::String(path) => Path::Fixed(PathSpec::new(path)),
            other => Path::Computed(Node::compile_at(other, depth + 1)),
        }
    }

    /// The value at the path.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        match self {
            Path::Fixed(spec) => cx.built(spec.lookup(cx.payload)),
            Path::Computed(node) => {
                let path = expect_string(NAME, node.resolve(cx)?)?;
                cx.built(PathSpec::new(&path).lookup(cx.payload))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, t};
    use serde_json::json;

    #[test]
    fn reads_paths_and_leaves_missing_values_out() {
        assert_eq!(
            t(
                json!({"a": {"@path": "$.properties.price"}, "b": {"@path": "$.missing"}, "c": [{"@path": "$.missing"}], "d": null})
            ),
            Some(json!({"a": 3, "c": [null], "d": null}))
        );
        assert_eq!(t(json!({"@path": "$.missing"})), None);
        assert_eq!(
            t(json!({"a": {"@path": "properties.products[1].sku"}})),
            Some(json!({"a": "B-2"}))
        );
        assert_eq!(
            t(json!({"n": {"@path": "$.properties.nested"}}))
                .and_then(|v| v["n"]["a"]["c"][1]["d"].as_i64()),
            Some(2)
        );
    }

    #[test]
    fn a_computed_path_must_be_a_string() {
        assert_eq!(
            t(json!({"a": {"@path": {"@template": "$.{{event}}"}}})),
            Some(json!({}))
        );
        assert_eq!(
            err(json!({"a": [{"@path": 5}]})),
            "/a/0/@path @path: expected string, got number"
        );
    }
}
