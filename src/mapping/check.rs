//! Checking a mapping before it runs: the shape of every directive, with the JSON path of
//! each problem (`/f3/@case/value should be a string or a mapping directive …`).
//!
//! The rules are Segment's: raw objects are checked key by key, each directive's options by
//! its own `check` (in `directives/`), with the rules below; arrays are accepted as they are
//! (their items are only looked at when the mapping runs).

use super::directives;
use crate::mapping::error::{Expected, MappingError, Reason};
use crate::property::real_type_of;
use serde_json::{Map, Value};

/// Deepest nesting of objects and arrays in a mapping document. Checking, compiling and running
/// it recurse a few times per level, so the bound keeps them within the smallest stack of any
/// target (wasm32's 1 MiB) together with the values they produce; Segment's own mappings stay
/// under ten levels.
pub const MAX_DEPTH: usize = 64;

/// Checks a whole mapping; every problem is reported.
pub fn check_mapping(mapping: &Value) -> Result<(), Vec<MappingError>> {
    // Measured without recursion first: everything after it recurses over the document.
    if let Some(path) = too_deep(mapping, MAX_DEPTH) {
        return Err(vec![MappingError::at(&path, Reason::TooDeep(MAX_DEPTH))]);
    }
    let mut checker = Checker {
        stack: Vec::new(),
        errors: Vec::new(),
    };
    checker.any(Some(mapping));
    if checker.errors.is_empty() {
        return Ok(());
    }
    // Options objects are checked as raw objects and then field by field, which can find the
    // same problem twice; report each once, in the order found.
    Err(first_of_each(checker.errors))
}

/// The errors without repeats, each where it first occurs. A mapping can have very many
/// problems, so copies are found by hash: the errors' positions sorted by the hashes of their
/// paths (with the core's one sort, `crate::sort`), then compared only within a run
/// of one hash, the few errors at one place. A std `HashSet` of the errors did this with a
/// second hashbrown, SipHash and a hash of every reason in the npm wasm.
fn first_of_each(errors: Vec<MappingError>) -> Vec<MappingError> {
    use std::hash::BuildHasher;
    let hasher = foldhash::fast::RandomState::default();
    // `as usize`: the low bits (all of them on 64-bit targets) serve as well as any.
    let mut by_hash: Vec<(usize, usize)> = errors
        .iter()
        .enumerate()
        .map(|(i, e)| (hasher.hash_one(e.segments()) as usize, i))
        .collect();
    crate::sort::sort_pairs(&mut by_hash);
    let mut repeat = vec![false; errors.len()];
    for run in by_hash.chunk_by(|a, b| a.0 == b.0) {
        // Ascending positions: each is compared with the earlier first occurrences of its
        // hash, so a run costs its length times the distinct errors in it.
        for (k, &(_, i)) in run.iter().enumerate() {
            repeat[i] = run[..k]
                .iter()
                .any(|&(_, j)| !repeat[j] && errors[j] == errors[i]);
        }
    }
    errors
        .into_iter()
        .zip(repeat)
        .filter_map(|(e, repeat)| (!repeat).then_some(e))
        .collect()
}

/// The path of the first object or array nested more than `limit` levels deep in `root` (the
/// root being level 1), found with an explicit stack rather than recursion.
pub fn too_deep(root: &Value, limit: usize) -> Option<Vec<String>> {
    /// The members of one object or array still to visit.
    enum Members<'a> {
        Object(serde_json::map::Iter<'a>),
        Array(std::iter::Enumerate<std::slice::Iter<'a, Value>>),
    }
    fn members(v: &Value) -> Option<Members<'_>> {
        match v {
            Value::Object(map) => Some(Members::Object(map.iter())),
            Value::Array(items) => Some(Members::Array(items.iter().enumerate())),
            _ => None,
        }
    }
    // One entry per open level: the key that led to it and its unvisited members.
    let mut open: Vec<(String, Members<'_>)> = vec![(String::new(), members(root)?)];
    if limit == 0 {
        return Some(Vec::new());
    }
    while let Some((_, rest)) = open.last_mut() {
        let next = match rest {
            Members::Object(iter) => iter.next().map(|(k, v)| (k.clone(), v)),
            Members::Array(iter) => iter.next().map(|(i, v)| (i.to_string(), v)),
        };
        let Some((key, child)) = next else {
            open.pop();
            continue;
        };
        if let Some(inner) = members(child) {
            open.push((key, inner));
            if open.len() > limit {
                return Some(open.into_iter().skip(1).map(|(k, _)| k).collect());
            }
        }
    }
    None
}

/// Whether an object is a directive: at least one `@` key and nothing else but `_metadata`.
pub fn is_directive(map: &Map<String, Value>) -> bool {
    map.keys().any(|k| k.starts_with('@'))
        && map.keys().all(|k| k.starts_with('@') || k == "_metadata")
}

/// What the checker calls a value: `directive` for any object with an `@` key, else its
/// Segment type name.
fn kind(v: Option<&Value>) -> &'static str {
    match v {
        Some(Value::Object(map)) if map.keys().any(|k| k.starts_with('@')) => "directive",
        other => real_type_of(other),
    }
}

/// Whether `rule`, for a value of kind `kind`, checks it just as [`Checker::any`] does.
fn descends_as_raw(kind: &str, rule: Rule) -> bool {
    use Rule::*;
    matches!(
        (kind, rule),
        (
            "directive",
            DirectiveOrRaw | DirectiveOrString | DirectiveOrObject
        ) | ("object", DirectiveOrObject)
    )
}

/// What a directive option must be.
#[derive(Clone, Copy)]
pub enum Rule {
    /// Anything but `undefined`; directives are checked.
    DirectiveOrRaw,
    /// A string or a directive.
    DirectiveOrString,
    /// An object (checked as a raw object) or a directive.
    DirectiveOrObject,
    /// A string.
    Str,
    /// A string of at least and at most so many UTF-16 units.
    StrLen(usize, usize),
    /// `true` or `false`.
    Boolean,
    /// One of these strings, in any case.
    OneOf(&'static [&'static str]),
    /// An array.
    Array,
}

/// One option of a directive given as an object.
pub struct Field {
    name: &'static str,
    required: bool,
    rule: Rule,
}

/// An option that may be left out.
pub const fn opt(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        required: false,
        rule,
    }
}

/// An option that must be given.
pub const fn req(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        required: true,
        rule,
    }
}

/// Walks a mapping, keeping the path to where it is and every problem found.
pub struct Checker {
    stack: Vec<String>,
    errors: Vec<MappingError>,
}

impl Checker {
    /// Records a problem here; always `false`, so that checks can end with it.
    pub fn fail(&mut self, reason: Reason) -> bool {
        self.errors.push(MappingError::at(&self.stack, reason));
        false
    }

    fn should_be(&mut self, expected: Expected, v: Option<&Value>) -> bool {
        self.fail(Reason::ShouldBe {
            expected,
            found: kind(v),
        })
    }

    /// Runs `f` one level down, under `key`.
    pub fn nested<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        self.stack.push(key.to_string());
        let r = f(self);
        self.stack.pop();
        r
    }

    /// Any mapping value: directives and raw objects are checked, everything else is fine.
    pub fn any(&mut self, v: Option<&Value>) -> bool {
        match kind(v) {
            "directive" => self.directive(v),
            "object" => self.object(v),
            _ => true,
        }
    }

    /// A raw object: each member is checked.
    pub fn object(&mut self, v: Option<&Value>) -> bool {
        let Some(Value::Object(map)) = v.filter(|_| kind(v) == "object") else {
            return self.should_be(Expected::Object, v);
        };
        let mut ok = true;
        for (k, item) in map {
            ok &= self.nested(k, |c| c.any(Some(item)));
        }
        ok
    }

    fn directive(&mut self, v: Option<&Value>) -> bool {
        let Some(Value::Object(map)) = v else {
            return self.should_be(Expected::DirectiveObject, v);
        };
        let directive_keys: Vec<&String> = map.keys().filter(|k| k.starts_with('@')).collect();
        if directive_keys.len() > 1 {
            return self.fail(Reason::TooManyKeys(directive_keys.len()));
        }
        if map.keys().any(|k| !k.starts_with('@') && k != "_metadata") {
            return self.fail(Reason::TooManyKeys(map.len()));
        }
        let name = directive_keys[0].as_str();
        if !directives::NAMES.contains(&name) {
            return self.fail(Reason::InvalidDirective(name.to_string()));
        }
        let options = map.get(name);
        self.nested(name, |c| directives::check(name, c, options))
    }

    /// Options given as an object: the object itself is checked like a raw object, then each
    /// listed field against its rule.
    pub fn fields(&mut self, v: Option<&Value>, fields: &[Field]) -> bool {
        if !self.object(v) {
            return false;
        }
        let mut ok = true;
        for field in fields {
            let value = v.and_then(|o| o.get(field.name));
            match value {
                None if field.required => ok &= self.fail(Reason::MissingField(field.name)),
                None => {}
                // The raw-object check just passed this directive or object as a whole; the
                // rule would check it again exactly so (same path, same outcome), and nested
                // directives would cost twice as much per level: 2^depth.
                Some(_) if descends_as_raw(kind(value), field.rule) => {}
                Some(_) => ok &= self.nested(field.name, |c| c.rule(value, field.rule)),
            }
        }
        ok
    }

    /// One value against one rule.
    pub fn rule(&mut self, v: Option<&Value>, rule: Rule) -> bool {
        let k = kind(v);
        match rule {
            Rule::DirectiveOrRaw => match k {
                "directive" => self.directive(v),
                "undefined" => self.should_be(Expected::DirectiveOrValue, v),
                _ => true,
            },
            Rule::DirectiveOrString => match k {
                "directive" => self.directive(v),
                "string" => true,
                _ => self.should_be(Expected::StringOrDirective, v),
            },
            Rule::DirectiveOrObject => match k {
                "directive" => self.directive(v),
                "object" => self.object(v),
                _ => self.should_be(Expected::ObjectOrDirective, v),
            },
            Rule::Str => k == "string" || self.should_be(Expected::String, v),
            Rule::StrLen(min, max) => {
                let Some(Value::String(s)) = v else {
                    return self.should_be(Expected::String, v);
                };
                let len = crate::js::string::len(s);
                if len < min {
                    self.fail(Reason::TooShort(min))
                } else if len > max {
                    self.fail(Reason::TooLong(max))
                } else {
                    true
                }
            }
            Rule::Boolean => k == "boolean" || self.should_be(Expected::Boolean, v),
            Rule::OneOf(allowed) => {
                let Some(Value::String(s)) = v else {
                    return self.should_be(Expected::String, v);
                };
                allowed.contains(&crate::host::to_lower(s).as_str())
                    || self.fail(Reason::NotOneOf {
                        allowed,
                        found: s.clone(),
                    })
            }
            Rule::Array => k == "array" || self.should_be(Expected::Array, v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn errors(m: Value) -> Vec<String> {
        check_mapping(&m)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn accepts_valid_mappings() {
        assert!(
            errors(json!({"a": {"@path": "$.x"}, "b": [1, {"@bogus": 1}], "c": "raw"})).is_empty()
        );
        assert!(errors(json!({"a": {"@if": {"exists": {"@path": "$.x"}, "then": 1}}})).is_empty());
    }

    #[test]
    fn names_the_exact_path() {
        assert_eq!(
            errors(json!({"f3": {"@case": {"operator": "lower", "value": {"a": 1}}}})),
            ["/f3/@case/value should be a string or a mapping directive but it is an object"]
        );
        assert_eq!(
            errors(json!({"f": {"x": {"@replace": {"pattern": "abcdefghijk", "value": "v"}}}})),
            ["/f/x/@replace/pattern should be a string of length 10 or less"]
        );
    }

    #[test]
    fn reports_every_problem() {
        let e =
            errors(json!({"a": {"@nope": 1}, "b": {"@path": 5}, "c": {"@path": "x", "extra": 1}}));
        assert_eq!(
            e,
            [
                "/a has an invalid directive: @nope",
                "/b/@path should be a string or a mapping directive but it is a number",
                "/c should only have one @-prefixed key but it has 2 keys"
            ]
        );
    }

    #[test]
    fn depth_is_bounded_with_a_path() {
        let mut doc = json!({"@path": "$.x"});
        for i in 0..MAX_DEPTH - 1 {
            doc = if i % 2 == 0 {
                json!({"a": doc})
            } else {
                json!([doc])
            };
        }
        assert!(
            errors(doc.clone()).is_empty(),
            "{MAX_DEPTH} levels are fine"
        );
        assert_eq!(too_deep(&doc, MAX_DEPTH), None);
        let path = too_deep(&doc, 3).unwrap_or_default();
        assert_eq!(path, ["a", "0", "a"]);
        let deeper = json!({"f": doc});
        let e = check_mapping(&deeper).unwrap_err();
        assert_eq!(
            e[0].code(),
            crate::mapping::error::MappingErrorCode::TooDeep
        );
        assert_eq!(
            e[0].to_string(),
            // The 65th level, reached through 64 keys.
            format!(
                "/f{}/a is nested more than 64 levels deep",
                "/a/0".repeat(31)
            )
        );
        assert_eq!(too_deep(&json!(1), 0), None);
        assert_eq!(too_deep(&json!([]), 0), Some(Vec::new()));
        // Far deeper than any recursion could follow, and never recursed into.
        let mut abyss = Value::Null;
        for _ in 0..100_000 {
            abyss = Value::Array(vec![abyss]);
        }
        assert_eq!(check_mapping(&abyss).map_err(|e| e.len()), Err(1));
        // serde_json drops values recursively: take it apart by hand.
        while let Value::Array(mut items) = abyss {
            abyss = items.pop().unwrap_or_default();
        }
    }

    #[test]
    fn nested_directives_are_checked_once() {
        // 21 nested @transforms (63 levels): checking each level twice took 2²¹ visits.
        let mut doc = json!({"@path": "$.x"});
        for _ in 0..21 {
            doc = json!({"@transform": {"apply": {"a": {"@path": "$."}}, "mapping": doc}});
        }
        let started = std::time::Instant::now();
        assert!(errors(doc.clone()).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // A problem deep inside is still found, once.
        let mut bad = json!({"@case": {"operator": "lower", "value": 5}});
        for _ in 0..21 {
            bad = json!({"@if": {"exists": {"@path": "$.x"}, "then": bad}});
        }
        let found = errors(bad);
        assert_eq!(found.len(), 1);
        assert!(found[0].ends_with(
            "/then/@case/value should be a string or a mapping directive but it is a number"
        ));
    }

    #[test]
    fn many_problems_are_listed_quickly() {
        let doc: Map<String, Value> = (0..100_000)
            .map(|i| (format!("f{i}"), json!({"@nope": i})))
            .collect();
        let started = std::time::Instant::now();
        assert_eq!(
            check_mapping(&Value::Object(doc)).map_err(|e| e.len()),
            Err(100_000)
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn repeats_are_dropped_and_the_rest_keep_their_order() {
        let e = |path: &[&str], min: usize| MappingError::at(path, Reason::TooShort(min));
        let found = vec![
            e(&["a"], 1),
            e(&["b", "c"], 1),
            e(&["a"], 2),
            e(&["a"], 1),
            e(&["b", "c"], 1),
            e(&["bc"], 1),
            e(&[], 3),
            e(&["a"], 2),
            e(&[], 3),
        ];
        assert_eq!(
            first_of_each(found),
            vec![
                e(&["a"], 1),
                e(&["b", "c"], 1),
                e(&["a"], 2),
                e(&["bc"], 1),
                e(&[], 3)
            ]
        );
        let many: Vec<MappingError> = (0..5000).map(|i| e(&["x"], i % 7)).collect();
        assert_eq!(
            first_of_each(many),
            (0..7).map(|i| e(&["x"], i)).collect::<Vec<_>>()
        );
    }
}
