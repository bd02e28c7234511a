//! Segment's mapping language (mapping-kit): a JSON document whose `@`-directives say where
//! each output value comes from.
//!
//! Two stages, as in Segment: [`Mapping::parse`] checks the document once and reports every
//! malformed directive with its JSON path; [`Mapping::apply`] then runs it on any number of
//! payloads.

mod check;
mod liquid;
mod path;
mod replace;
mod run;

pub use check::{check_mapping, DIRECTIVES, MAX_PATTERN_LENGTH, MAX_REPLACEMENT_LENGTH};
pub use path::{lookup, render_template, split_path};

use crate::error::MappingError;
use crate::js::Root;
use crate::value::Resolved;
use serde_json::Value;

/// A mapping that passed [`check_mapping`].
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    document: Value,
}

impl Mapping {
    /// Checks `document`; every problem is listed, each with its path.
    pub fn parse(document: Value) -> Result<Mapping, Vec<MappingError>> {
        check_mapping(&document)?;
        Ok(Mapping { document })
    }

    /// The mapping document as given.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Runs the mapping on `payload` (which must be an object) and returns the result with
    /// `undefined` members removed, or `None` when nothing resolved at all.
    pub fn apply(&self, payload: &Value) -> Result<Option<Value>, MappingError> {
        // Checked once in `parse`; converting to JSON drops the `undefined` members.
        Ok(run::run_checked(&self.document, Root::Json(payload))?.into_json())
    }
}

/// Checks `mapping` and runs it on `payload` in one go: Segment's `transform`.
///
/// A malformed mapping gives its first problem; use [`Mapping::parse`] to see them all.
pub fn transform(mapping: &Value, payload: &Value) -> Result<Option<Value>, MappingError> {
    run::transform_resolved(mapping, Root::Json(payload)).map(Resolved::into_json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
