//! Segment's mapping language (mapping-kit): a JSON document whose `@`-directives say where
//! each output value comes from.
//!
//! Three stages, as in Vector's VRL: [`check_mapping`] reports every malformed directive with
//! its JSON path (as Segment validates mappings), [`Node::compile`] reads the document once
//! into a tree of directives with their options decided ([`directives`], one file per
//! directive), and running resolves that tree against any number of payloads.

mod check;
mod directives;
mod lookup;
mod node;

pub use check::{check_mapping, is_directive};
pub use directives::{MAX_PATTERN_LENGTH, MAX_REPLACEMENT_LENGTH, NAMES as DIRECTIVES};
pub use lookup::{lookup, split_path, PathSpec};

use crate::error::{MappingError, Reason};
use crate::js::Root;
use crate::value::Resolved;
use node::{Node, Run};
use serde_json::Value;

/// How deep a mapping may nest (objects, arrays and directive options, counted by path
/// segment): far beyond any real mapping, and shallow enough that checking and running it stay
/// well inside every target's stack.
pub const MAX_DEPTH: usize = 64;

/// A mapping that passed [`check_mapping`], compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    document: Value,
    root: Node,
}

impl Mapping {
    /// Checks and compiles `document`; every problem is listed, each with its path.
    pub fn parse(document: Value) -> Result<Mapping, Vec<MappingError>> {
        check_mapping(&document)?;
        let root = Node::compile(&document);
        Ok(Mapping { document, root })
    }

    /// The mapping document as given.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Runs the mapping on any payload (an event read in place, a JSON tree, a mapped value),
    /// which must be an object; `undefined` members are left for the writer to drop.
    pub fn run(&self, payload: Root<'_>) -> Result<Resolved, MappingError> {
        run_on_object(&self.root, payload)
    }

    /// Runs the mapping on `payload` (which must be an object) and returns the result with
    /// `undefined` members removed, or `None` when nothing resolved at all.
    pub fn apply(&self, payload: &Value) -> Result<Option<Value>, MappingError> {
        Ok(self.run(Root::Json(payload))?.into_json())
    }
}

/// Resolves `node` on a payload that must be an object, as Segment's `transform` requires.
fn run_on_object(node: &Node, payload: Root<'_>) -> Run {
    match payload.type_name() {
        "object" => node.resolve(payload),
        other => Err(MappingError::new(Reason::DataNotObject(other))),
    }
}

/// Checks `mapping` and runs it on `payload` in one go: Segment's `transform`.
///
/// A malformed mapping gives its first problem; use [`Mapping::parse`] to see them all.
pub fn transform(mapping: &Value, payload: &Value) -> Result<Option<Value>, MappingError> {
    if let Err(mut errors) = check_mapping(mapping) {
        return Err(errors.swap_remove(0));
    }
    let resolved = run_on_object(&Node::compile(mapping), Root::Json(payload))?;
    Ok(resolved.remove_undefined().into_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejects_bad_mappings_with_paths() {
        let e = Mapping::parse(json!({"f3": {"@case": {"operator": "lower", "value": {"d": 1}}}}))
            .unwrap_err();
        assert_eq!(e[0].path(), "/f3/@case/value");
        assert_eq!(e[0].segments(), ["f3", "@case", "value"]);
        assert_eq!(e[0].code(), crate::error::MappingErrorCode::InvalidType);
        assert_eq!(
            transform(&json!({"a": [{"@nope": 1}]}), &json!({}))
                .unwrap_err()
                .to_string(),
            "/a/0/@nope @nope is not a valid directive"
        );
    }

    #[test]
    fn payloads_must_be_objects() {
        let e = transform(&json!({"a": 1}), &json!([1])).unwrap_err();
        assert_eq!(e.to_string(), "/ data must be an object, got array");
        assert_eq!(e.code(), crate::error::MappingErrorCode::DataNotObject);
    }

    #[test]
    fn deep_arrays_fail_when_they_run() {
        let mut deep = json!(1);
        for _ in 0..(MAX_DEPTH + 5) {
            deep = json!([deep]);
        }
        let e = transform(&json!({ "a": deep }), &json!({})).unwrap_err();
        assert_eq!(e.code(), crate::error::MappingErrorCode::TooDeep);
    }
}
