//! `@arrayPath`: a list from the payload, each item reshaped
//! (`{"@arrayPath": ["$.properties.products", {"id": {"@path": "$.sku"}}]}`).
//!
//! The first element is the list's path (or a directive giving the list); the optional second
//! is a shape resolved against each item. A single object stands for a one-item list; anything
//! else is given back as it is.

use super::super::check::{Checker, Rule};
use super::super::lookup::PathSpec;
use super::super::node::{Cx, Node, Run};
use crate::mapping::error::{MappingError, Reason};
use crate::property::{real_type_of, Root};
use crate::value::Resolved;
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@arrayPath";

/// Its option: `[path, shape?]`.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    let Some(Value::Array(items)) = options else {
        return c.rule(options, Rule::Array);
    };
    c.rule(items.first(), Rule::DirectiveOrString) && c.any(items.get(1))
}

/// Where the list comes from.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    Path(PathSpec),
    Computed(Node),
    Nothing,
}

/// A compiled `@arrayPath`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayPath(Result<(Source, Option<Node>), MappingError>);

impl ArrayPath {
    /// Reads the option; a non-array is kept as the run-time error Segment gives.
    pub fn compile(options: &Value, depth: usize) -> ArrayPath {
        let Value::Array(items) = options else {
            return ArrayPath(Err(MappingError::new(Reason::ArrayPathNotArray(
                real_type_of(Some(options)),
            ))));
        };
        let source = match items.first() {
            Some(Value::String(path)) => Source::Path(PathSpec::new(path)),
            Some(other) => Source::Computed(Node::compile_at(other, depth + 1)),
            None => Source::Nothing,
        };
        let shape = items
            .get(1)
            .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()))
            .map(|s| Node::compile_at(s, depth + 1));
        ArrayPath(Ok((source, shape)))
    }

    /// The list, its items reshaped.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let (source, shape) = self.0.as_ref().map_err(Clone::clone)?;
        let root = match source {
            Source::Path(path) => cx.built(path.lookup(cx.payload))?,
            Source::Computed(node) => node.resolve_within("0", cx)?,
            Source::Nothing => Resolved::Undefined,
        };
        let Some(shape) = shape else {
            return Ok(root);
        };
        match root.materialize() {
            Resolved::Array(items) => reshape(shape, &items, cx),
            object @ Resolved::Object(_) => reshape(shape, std::slice::from_ref(&object), cx),
            other => Ok(other),
        }
    }
}

fn reshape(shape: &Node, items: &[Resolved], cx: Cx<'_>) -> Run {
    items
        .iter()
        .map(|item| shape.resolve_within("1", cx.reading(Root::Resolved(item))))
        .collect::<Result<Vec<_>, _>>()
        .map(Resolved::Array)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, t};
    use serde_json::json;

    #[test]
    fn reshapes_each_item() {
        assert_eq!(
            t(json!({
                "items": {"@arrayPath": ["$.properties.products", {"id": {"@path": "$.sku"}, "q": {"@path": "qty"}}]},
                "one": {"@arrayPath": ["$.properties.nested", {"e": {"@path": "e"}}]},
                "raw": {"@arrayPath": ["$.properties.price", {"x": 1}]},
                "plain": {"@arrayPath": ["$.properties.products"]}
            })),
            Some(json!({
                "items": [{"id": "A-1", "q": 2}, {"id": "B-2", "q": null}],
                "one": [{"e": "f"}],
                "raw": 3,
                "plain": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": null}]
            }))
        );
    }

    #[test]
    fn needs_an_array() {
        assert_eq!(
            err(json!({"a": [{"@arrayPath": "$.x"}]})),
            "/a/0/@arrayPath @arrayPath expected array, got string"
        );
    }
}
