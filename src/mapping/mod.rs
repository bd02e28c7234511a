//! Segment's mapping language (mapping-kit): a JSON document whose `@`-directives say where
//! each output value comes from.
//!
//! Three stages, as in Vector's VRL: [`check_mapping`] reports every malformed directive with
//! its JSON path (as Segment validates mappings), [`Node::compile`] reads the document once
//! into a tree of directives with their options decided ([`directives`], one file per
//! directive), and running resolves that tree against any number of payloads.

mod budget;
mod check;
mod directives;
mod error;
mod lookup;
mod node;

pub use budget::{json_size, Budget};
pub use check::{check_mapping, is_directive, too_deep, MAX_DEPTH};
pub use directives::{MAX_PATTERN_LENGTH, MAX_REPLACEMENT_LENGTH, NAMES as DIRECTIVES};
pub use error::{MappingError, MappingErrorCode};
pub use lookup::{lookup, split_path, PathSpec};

use crate::event::Event;
use crate::property::Root;
use crate::value::Resolved;

use node::{run_on_object, Cx, Node, Run};
use serde_json::Value;

/// A mapping that passed [`check_mapping`], compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    document: Value,
    root: Node,
    /// The document's [`json_size`], part of the input a [`Budget`] is sized by.
    size: usize,
}

impl Mapping {
    /// Checks and compiles `document`; every problem is listed, each with its path.
    pub fn parse(document: Value) -> Result<Mapping, Vec<MappingError>> {
        check_mapping(&document)?;
        let root = Node::compile(&document);
        Ok(Mapping {
            size: json_size(&document),
            document,
            root,
        })
    }

    /// The document's [`json_size`].
    pub fn size(&self) -> usize {
        self.size
    }

    /// The mapping document as given.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Runs the mapping on any payload (an event read in place, a JSON tree, a mapped value),
    /// which must be an object, building within `budget` (shared with the other runs of one
    /// call), at `now_ms` (what `@liquid`'s `"now"` is: the core reads no clock);
    /// `undefined` members are left for the writer to drop.
    pub fn run(
        &self,
        payload: Root<'_>,
        budget: &Budget,
        now_ms: f64,
    ) -> Result<Resolved, MappingError> {
        let cx = Cx {
            payload,
            budget,
            now_ms,
        };
        run_on_object(&self.root, cx)
    }

    /// Runs the mapping on `payload` (which must be an object) at `now_ms` and returns the
    /// result with `undefined` members removed, or `None` when nothing resolved at all.
    pub fn apply(&self, payload: &Value, now_ms: f64) -> Result<Option<Value>, MappingError> {
        let budget = Budget::for_input(self.size.saturating_add(json_size(payload)));
        Ok(self.run(Root::Json(payload), &budget, now_ms)?.into_json())
    }
}

/// Checks `mapping` and runs it on `payload` in one go: Segment's `transform`.
///
/// A malformed mapping gives its first problem; use [`Mapping::parse`] to see them all.
/// `now_ms` is the time `@liquid`'s `"now"` stands for (milliseconds since the epoch).
pub fn transform(
    mapping: &Value,
    payload: &Value,
    now_ms: f64,
) -> Result<Option<Value>, MappingError> {
    let resolved = check_and_run(mapping, Root::Json(payload), json_size(payload), now_ms)?;
    Ok(resolved.remove_undefined().into_json())
}

/// [`transform`] on a payload read in place (see [`crate::event::event_in`]), so a payload
/// nested deeper than a JSON tree may be is still mapped; the result is left for
/// [`Resolved::write_json`], which drops `undefined` as `removeUndefined` does.
pub fn transform_event(
    mapping: &Value,
    payload: &Event<'_>,
    now_ms: f64,
) -> Result<Resolved, MappingError> {
    check_and_run(mapping, Root::Event(payload), payload.text_len(), now_ms)
}

fn check_and_run(mapping: &Value, payload: Root<'_>, payload_size: usize, now_ms: f64) -> Run {
    if let Err(mut errors) = check_mapping(mapping) {
        return Err(errors.swap_remove(0));
    }
    let budget = Budget::for_input(json_size(mapping).saturating_add(payload_size));
    let cx = Cx {
        payload,
        budget: &budget,
        now_ms,
    };
    run_on_object(&Node::compile(mapping), cx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_payloads_deeper_than_a_tree_in_place() {
        let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
        let text = format!(r#"{{"d":{deep},"n":1.50}}"#);
        let payload = crate::event::event_in(&text).unwrap();
        let mapping = json!({"a": {"@path": "$.d"}, "n": {"@path": "$.n"}, "u": {"@path": "$.x"}});
        let out = transform_event(&mapping, &payload, 0.0)
            .unwrap()
            .stringify();
        assert_eq!(out, Some(format!(r#"{{"a":{deep},"n":1.5}}"#)));
        let refused = transform_event(&json!({}), &crate::event::event_in("[1]").unwrap(), 0.0);
        assert_eq!(
            refused.unwrap_err().message(),
            "data must be an object, got array"
        );
    }

    #[test]
    fn rejects_bad_mappings_with_paths() {
        let e = Mapping::parse(json!({"f3": {"@case": {"operator": "lower", "value": {"d": 1}}}}))
            .unwrap_err();
        assert_eq!(e[0].path(), "/f3/@case/value");
        assert_eq!(e[0].segments(), ["f3", "@case", "value"]);
        assert_eq!(
            e[0].code(),
            crate::mapping::error::MappingErrorCode::InvalidType
        );
        assert_eq!(
            transform(&json!({"a": [{"@nope": 1}]}), &json!({}), 0.0)
                .unwrap_err()
                .to_string(),
            "/a/0/@nope @nope is not a valid directive"
        );
    }

    fn err(mapping: Value, payload: Value) -> String {
        transform(&mapping, &payload, 0.0).unwrap_err().to_string()
    }

    #[test]
    fn mappings_that_multiply_their_input_stop_at_the_budget() {
        let over = "builds a result longer than this input allows";
        // `$\`` repeats the text before every match: quadratic, then squared again.
        let replace = json!({"r": {"@replace": {"pattern": "a", "replacement": "$`$`$`$`$`",
            "value": {"@path": "$.t"}, "pattern2": "a", "replacement2": "$'$'$'$'$'"}}});
        let quadratic = err(replace, json!({"t": "a".repeat(50_000)}));
        assert!(
            quadratic.starts_with("/r/@replace ") && quadratic.contains(over),
            "{quadratic}"
        );
        // Every @transform level copies the payload twice: 2³⁰ copies.
        let mut doubling = json!({"@path": "$."});
        for _ in 0..30 {
            doubling = json!({"@transform": {"apply": {"a": {"@path": "$."}, "b": {"@path": "$."}}, "mapping": doubling}});
        }
        assert!(err(json!({"d": doubling}), json!({"s": "x".repeat(1000)})).contains(over));
        // Every leaf's key repeats the keys of all the levels above it.
        let mut deep = json!((0..2000)
            .map(|i| (format!("k{i}"), json!(i)))
            .collect::<serde_json::Map<_, _>>());
        for _ in 0..100 {
            deep = json!({ "k".repeat(300): deep });
        }
        let flatten = json!({"f": {"@flatten": {"value": {"@path": "$.v"}, "separator": "."}}});
        let keys = err(flatten, json!({ "v": deep }));
        assert!(keys.contains(over), "{keys}");
        // Many placeholders for one long value.
        let template = json!({"t": {"@template": "{{s}}".repeat(1000)}});
        assert!(err(template, json!({"s": "x".repeat(100_000)})).contains(over));
        // The same shapes on an ordinary scale are fine.
        assert_eq!(
            transform(
                &json!({"r": {"@replace": {"pattern": "b", "replacement": "[$`]", "value": "abc"}}}),
                &json!({})
            , 0.0)
            .unwrap(),
            Some(json!({"r": "a[a]c"}))
        );
    }

    #[test]
    fn a_budget_grows_with_the_input() {
        let big = json!({"s": "x".repeat(10 << 20)});
        let copy = json!({"a": {"@path": "$.s"}, "b": {"@path": "$.s"}});
        assert_eq!(
            transform(&copy, &big, 0.0)
                .unwrap()
                .map(|v| v["b"].as_str().map(str::len)),
            Some(Some(10 << 20)),
            "a payload larger than the fixed allowance is still copied"
        );
        assert_eq!(json_size(&json!([1, "ab", {"cd": null}])), 16 * 5 + 4);
    }

    #[test]
    fn payloads_must_be_objects() {
        let e = transform(&json!({"a": 1}), &json!([1]), 0.0).unwrap_err();
        assert_eq!(e.to_string(), "/ data must be an object, got array");
        assert_eq!(
            e.code(),
            crate::mapping::error::MappingErrorCode::DataNotObject
        );
    }

    #[test]
    fn deep_arrays_fail_when_they_run() {
        let mut deep = json!(1);
        for _ in 0..(MAX_DEPTH + 5) {
            deep = json!([deep]);
        }
        let e = transform(&json!({ "a": deep }), &json!({}), 0.0).unwrap_err();
        assert_eq!(e.code(), crate::mapping::error::MappingErrorCode::TooDeep);
    }
}
