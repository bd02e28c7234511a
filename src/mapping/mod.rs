//! Segment's mapping language (mapping-kit): a JSON document whose `@`-directives say where
//! each output value comes from.
//!
//! Two stages, as in Segment: [`Mapping::parse`] checks the document once and reports every
//! malformed directive with its JSON path; [`Mapping::apply`] then runs it on any number of
//! payloads, within a [`Budget`] of what it may build.

mod budget;
mod check;
mod path;
mod replace;
mod run;

pub use budget::{json_size, Budget};
pub use check::{
    check_mapping, too_deep, DIRECTIVES, MAX_DEPTH, MAX_PATTERN_LENGTH, MAX_REPLACEMENT_LENGTH,
};
pub use path::{lookup, render_template, split_path};

use crate::error::MappingError;
use crate::js::Root;
use crate::value::Resolved;
use serde_json::Value;

/// A mapping that passed [`check_mapping`].
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    document: Value,
    /// The document's [`json_size`], part of the input a [`Budget`] is sized by.
    size: usize,
}

impl Mapping {
    /// Checks `document`; every problem is listed, each with its path.
    pub fn parse(document: Value) -> Result<Mapping, Vec<MappingError>> {
        check_mapping(&document)?;
        Ok(Mapping {
            size: json_size(&document),
            document,
        })
    }

    /// The mapping document as given.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The document's [`json_size`].
    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs the mapping on `payload` (which must be an object) and returns the result with
    /// `undefined` members removed, or `None` when nothing resolved at all.
    pub fn apply(&self, payload: &Value) -> Result<Option<Value>, MappingError> {
        self.apply_within(payload, &Budget::for_input(self.size + json_size(payload)))
    }

    /// [`Mapping::apply`] within a budget shared with other runs (a plan's).
    pub fn apply_within(
        &self,
        payload: &Value,
        budget: &Budget,
    ) -> Result<Option<Value>, MappingError> {
        // Checked once in `parse`; converting to JSON drops the `undefined` members.
        Ok(run::run_checked(&self.document, Root::Json(payload), budget)?.into_json())
    }
}

/// Checks `mapping` and runs it on `payload` in one go: Segment's `transform`.
///
/// A malformed mapping gives its first problem; use [`Mapping::parse`] to see them all.
pub fn transform(mapping: &Value, payload: &Value) -> Result<Option<Value>, MappingError> {
    let budget = Budget::for_input(json_size(mapping) + json_size(payload));
    run::transform_resolved(mapping, Root::Json(payload), &budget).map(Resolved::into_json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn t(mapping: Value, payload: Value) -> Option<Value> {
        transform(&mapping, &payload).expect("transform")
    }

    fn err(mapping: Value, payload: Value) -> String {
        transform(&mapping, &payload)
            .expect_err("should fail")
            .to_string()
    }

    fn event() -> Value {
        json!({
            "userId": "User Two", "event": "Order Completed",
            "properties": {"price": 3, "empty": "", "nil": null, "flag": false, "zero": 0, "json": "{\"a\":1}",
                           "products": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": null}],
                           "nested": {"a": {"b": 1, "c": [1, {"d": 2}]}, "e": "f"}},
            "traits": {"name": "ÉMILIE Zola"}
        })
    }

    #[test]
    fn path_and_missing_values() {
        let out = t(
            json!({"a": {"@path": "$.properties.price"}, "b": {"@path": "$.missing"}, "c": [{"@path": "$.missing"}], "d": null}),
            event(),
        );
        assert_eq!(out, Some(json!({"a": 3, "c": [null], "d": null})));
        assert_eq!(t(json!({"@path": "$.missing"}), event()), None);
        assert_eq!(
            t(
                json!({"a": {"@path": "properties.products[1].sku"}}),
                event()
            ),
            Some(json!({"a": "B-2"}))
        );
    }

    #[test]
    fn if_exists_and_blank() {
        let m = json!({
            "a": {"@if": {"exists": {"@path": "$.properties.nil"}, "then": "yes", "else": "no"}},
            "b": {"@if": {"blank": {"@path": "$.properties.empty"}, "then": "yes", "else": "no"}},
            "c": {"@if": {"blank": {"@path": "$.properties.zero"}, "then": "yes", "else": "no"}},
            "d": {"@if": {"exists": {"@path": "$.userId"}, "else": "no"}},
            "e": {"@if": {"exists": {"@path": "$.userId"}, "then": {"@path": "$.userId"}}},
            "f": {"@if": {"exists": {"@path": "$.nope"}, "then": 1, "else": ""}}
        });
        assert_eq!(
            t(m, event()),
            Some(json!({"a": "no", "b": "no", "c": "no", "e": "User Two"}))
        );
        assert!(
            err(json!({"a": {"@if": {"exists": null, "then": 1}}}), event())
                .contains("requires an \"exists\" key or a \"blank\" key")
        );
    }

    #[test]
    fn case_and_replace() {
        let m = json!({
            "lower": {"@case": {"operator": "lower", "value": {"@path": "$.traits.name"}}},
            "num": {"@case": {"operator": "upper", "value": {"@path": "$.properties.price"}}},
            "r": {"@replace": {"pattern": " ", "replacement": "_", "value": {"@path": "$.userId"}}},
            "r2": {"@replace": {"pattern": "o", "value": "foo boo", "global": false, "pattern2": "b", "replacement2": "B"}},
            "ri": {"@replace": {"pattern": "USER", "replacement": "x", "ignorecase": true, "value": {"@path": "$.userId"}}},
            "rn": {"@replace": {"pattern": "3", "replacement": "4", "value": {"@path": "$.properties.price"}}},
            "missing": {"@replace": {"pattern": "a", "value": {"@path": "$.missing"}}}
        });
        assert_eq!(
            t(m, event()),
            Some(
                json!({"lower": "émilie zola", "num": 3, "r": "User_Two", "r2": "fo Boo", "ri": "x Two", "rn": "4", "missing": ""})
            )
        );
        assert!(err(json!({"a": {"@case": {"value": "x"}}}), event())
            .contains("requires a \"operator\" key"));
        assert!(err(
            json!({"a": {"@case": {"operator": "title", "value": "x"}}}),
            event()
        )
        .contains("\"lower\" or \"upper\""));
    }

    #[test]
    fn array_path_with_shape() {
        let m = json!({
            "items": {"@arrayPath": ["$.properties.products", {"id": {"@path": "$.sku"}, "q": {"@path": "qty"}}]},
            "one": {"@arrayPath": ["$.properties.nested", {"e": {"@path": "e"}}]},
            "raw": {"@arrayPath": ["$.properties.price", {"x": 1}]}
        });
        assert_eq!(
            t(m, event()),
            Some(
                json!({"items": [{"id": "A-1", "q": 2}, {"id": "B-2", "q": null}], "one": [{"e": "f"}], "raw": 3})
            )
        );
    }

    #[test]
    fn flatten_json_merge_transform() {
        let m = json!({
            "flat": {"@flatten": {"value": {"@path": "$.properties.nested"}, "separator": "."}},
            "flatNoArrays": {"@flatten": {"value": {"@path": "$.properties.nested"}, "separator": "_", "omitArrays": true}},
            "scalar": {"@flatten": {"value": "x", "separator": "."}},
            "dec": {"@json": {"mode": "decode", "value": {"@path": "$.properties.json"}}},
            "bad": {"@json": {"mode": "decode", "value": "{nope"}},
            "enc": {"@json": {"mode": "encode", "value": {"a": [1, {"@path": "$.missing"}], "b": {"@path": "$.missing"}}}},
            "merged": {"@merge": {"direction": "right", "objects": [{"a": 1, "b": 1}, {"a": 2, "b": {"@path": "$.missing"}}]}},
            "left": {"@merge": {"direction": "left", "objects": [{"a": 1}, {"a": 2}]}},
            "tr": {"@transform": {"apply": {"x": {"@path": "$.properties"}}, "mapping": {"p": {"@path": "$.x.price"}}}}
        });
        assert_eq!(
            t(m, event()),
            Some(json!({
                "flat": {"a.b": 1, "a.c.0": 1, "a.c.1.d": 2, "e": "f"},
                "flatNoArrays": {"a_b": 1, "a_c": [1, {"d": 2}], "e": "f"},
                "scalar": {"": "x"},
                "dec": {"a": 1},
                "bad": "{nope",
                "enc": "{\"a\":[1,null]}",
                "merged": {"a": 2},
                "left": {"a": 1},
                "tr": {"p": 3}
            }))
        );
        assert!(err(json!({"m": {"@merge": {"objects": [{}]}}}), event())
            .contains("requires a \"direction\" key"));
    }

    #[test]
    fn exclude_when_null_and_literal_and_template() {
        let m = json!({
            "gone": {"@excludeWhenNull": {"@path": "$.properties.nil"}},
            "obj": {"@excludeWhenNull": {"a": null, "b": {"c": null, "d": 1}, "e": [null]}},
            "lit": {"@literal": "{{userId}}"},
            "tpl": {"@template": "{{userId}}/{{properties.price}}"}
        });
        assert_eq!(
            t(m, event()),
            Some(
                json!({"obj": {"b": {"d": 1}, "e": [null]}, "lit": "{{userId}}", "tpl": "User Two/3"})
            )
        );
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
            .collect::<Map<_, _>>());
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
            t(
                json!({"r": {"@replace": {"pattern": "b", "replacement": "[$`]", "value": "abc"}}}),
                json!({})
            ),
            Some(json!({"r": "a[a]c"}))
        );
    }

    #[test]
    fn a_budget_grows_with_the_input() {
        let big = json!({"s": "x".repeat(10 << 20)});
        let copy = json!({"a": {"@path": "$.s"}, "b": {"@path": "$.s"}});
        assert_eq!(
            t(copy, big.clone()).map(|v| v["b"].as_str().map(str::len)),
            Some(Some(10 << 20)),
            "a payload larger than the fixed allowance is still copied"
        );
        assert!(json_size(&big) > 10 << 20);
    }

    #[test]
    fn rejects_bad_mappings_with_paths() {
        let e = Mapping::parse(json!({"f3": {"@case": {"operator": "lower", "value": {"d": 1}}}}))
            .unwrap_err();
        assert_eq!(e[0].path, "/f3/@case/value");
        assert_eq!(
            err(json!({"a": [{"@nope": 1}]}), event()),
            "/a/0/@nope @nope is not a valid directive"
        );
    }
}
