//! `@if`: one of two values, by whether another exists or is blank
//! (`{"@if": {"exists": {"@path": "$.traits.email"}, "then": true, "else": false}}`).
//!
//! Segment's rules, kept exactly: `exists` is used when the key is present at all (even as
//! `null`), else `blank`; `blank` is true for `null`, `undefined` and anything loosely equal to
//! `""` (`0`, `false`, `[]`); a missing branch leaves the field out, and an `else` that is
//! falsy (`""`, `0`) counts as missing.

use super::super::check::{opt, Checker, Rule};
use super::super::node::{compile_opt, resolve_opt, Cx, Node, Run};
use super::{options_object, requires};
use crate::mapping::error::MappingError;
use crate::property::truthy;
use crate::value::Resolved;
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@if";

/// Its options: `exists` or `blank`, `then`, `else`.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.fields(
        options,
        &[
            opt("exists", Rule::DirectiveOrRaw),
            opt("then", Rule::DirectiveOrRaw),
            opt("else", Rule::DirectiveOrRaw),
        ],
    )
}

/// What `@if` tests.
#[derive(Debug, Clone, PartialEq)]
enum Test {
    Exists(Node),
    Blank(Option<Node>),
}

/// A compiled `@if`.
#[derive(Debug, Clone, PartialEq)]
pub struct If(Result<Branches, MappingError>);

/// The test and the branches of a well-formed `@if`.
#[derive(Debug, Clone, PartialEq)]
pub struct Branches {
    test: Test,
    then: Option<Node>,
    otherwise: Option<Node>,
}

impl If {
    /// Reads the options; the run-time errors of unusable ones are kept.
    pub fn compile(options: &Value, depth: usize) -> If {
        If(Branches::compile(options, depth))
    }

    /// The chosen branch's value, or `undefined`.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let branches = self.0.as_ref().map_err(Clone::clone)?;
        let condition = match &branches.test {
            Test::Exists(node) => !node.resolve_within("exists", cx)?.is_nullish(),
            Test::Blank(node) => {
                let value = resolve_opt(node, "blank", cx)?;
                !value.is_nullish() && !loosely_empty(&value)?
            }
        };
        match (condition, &branches.then, &branches.otherwise) {
            (true, Some(then), _) => then.resolve_within("then", cx),
            (false, _, Some(otherwise)) => otherwise.resolve_within("else", cx),
            _ => Ok(Resolved::Undefined),
        }
    }
}

impl Branches {
    fn compile(options: &Value, depth: usize) -> Result<Branches, MappingError> {
        let opts = options_object(options, "@if requires an object with an \"exists\" key")?;
        let (exists, blank) = (opts.get("exists"), opts.get("blank"));
        if !truthy(exists) && !truthy(blank) {
            return Err(requires(
                "@if requires an \"exists\" key or a \"blank\" key",
            ));
        }
        let test = match exists {
            Some(v) => Test::Exists(Node::compile_at(v, depth + 1)),
            None => Test::Blank(compile_opt(opts, "blank", depth)),
        };
        Ok(Branches {
            test,
            then: compile_opt(opts, "then", depth),
            otherwise: truthy(opts.get("else"))
                .then(|| compile_opt(opts, "else", depth))
                .flatten(),
        })
    }
}

/// `v == ''` with JavaScript's loose equality, which makes arrays and objects text first (and
/// fails where that fails, see [`Resolved::to_js_string`]).
fn loosely_empty(v: &Resolved) -> Result<bool, MappingError> {
    Ok(match v {
        Resolved::Number(n) => *n == 0.0,
        Resolved::Bool(b) => !b,
        Resolved::String(s) => s.is_empty(),
        Resolved::Array(_) | Resolved::Object(_) | Resolved::Raw(_) => v.to_js_string()?.is_empty(),
        Resolved::Undefined | Resolved::Null => false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, on_text, t};
    use serde_json::json;

    #[test]
    fn exists_and_blank() {
        assert_eq!(
            t(json!({
                "a": {"@if": {"exists": {"@path": "$.properties.nil"}, "then": "yes", "else": "no"}},
                "b": {"@if": {"blank": {"@path": "$.properties.empty"}, "then": "yes", "else": "no"}},
                "c": {"@if": {"blank": {"@path": "$.properties.zero"}, "then": "yes", "else": "no"}},
                "d": {"@if": {"exists": {"@path": "$.userId"}, "else": "no"}},
                "e": {"@if": {"exists": {"@path": "$.userId"}, "then": {"@path": "$.userId"}}},
                "f": {"@if": {"exists": {"@path": "$.nope"}, "then": 1, "else": ""}},
                "g": {"@if": {"blank": {"@path": "$.properties.products"}, "then": "full"}}
            })),
            Some(json!({"a": "no", "b": "no", "c": "no", "e": "User Two", "g": "full"}))
        );
    }

    #[test]
    fn blank_makes_objects_text_as_loose_equality_does() {
        let blank = |path: &str| json!({"b": {"@if": {"blank": {"@path": path}, "then": "full", "else": "blank"}}});
        let text = r#"{"o": {"a": 1}, "t": {"toString": "x"}, "l": [[null]], "v": {"valueOf": 1}}"#;
        assert_eq!(
            on_text(blank("$.o"), text),
            Ok(Some(r#"{"b":"full"}"#.into()))
        );
        assert_eq!(
            on_text(blank("$.l"), text),
            Ok(Some(r#"{"b":"blank"}"#.into()))
        );
        assert_eq!(
            on_text(blank("$.v"), text),
            Ok(Some(r#"{"b":"full"}"#.into()))
        );
        // `{toString: "x"} != ''`: ToPrimitive finds no function to call and throws.
        assert_eq!(
            on_text(blank("$.t"), text),
            Err("Cannot convert object to primitive value".into())
        );
    }

    #[test]
    fn needs_a_test() {
        assert_eq!(
            err(json!({"a": {"@if": {"exists": null, "then": 1}}})),
            "/a/@if @if requires an \"exists\" key or a \"blank\" key"
        );
        assert_eq!(
            err(json!({"a": [{"@if": 1}]})),
            "/a/0/@if @if requires an object with an \"exists\" key"
        );
    }
}
