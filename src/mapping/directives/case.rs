//! `@case`: a string in lower or upper case
//! (`{"@case": {"operator": "lower", "value": {"@path": "$.traits.email"}}}`); anything
//! that is not a string passes through.

use super::super::check::{opt, Checker, Rule};
use super::super::node::{compile_opt, resolve_opt, Cx, Node, Run};
use super::{options_object, requires};
use crate::host;
use crate::mapping::error::MappingError;
use crate::property::truthy;
use crate::value::Resolved;
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@case";

/// Its options: `operator` and `value`.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.fields(
        options,
        &[
            opt("operator", Rule::Str),
            opt("value", Rule::DirectiveOrString),
        ],
    )
}

/// Which case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Lower,
    Upper,
}

/// A compiled `@case`.
#[derive(Debug, Clone, PartialEq)]
pub struct Case(Result<Options, MappingError>);

/// The options of a usable `@case`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `None` for an operator other than `lower` / `upper`: an error once a string arrives.
    operator: Option<Operator>,
    /// `None` when the value option is falsy: the result is `undefined`.
    value: Option<Node>,
}

impl Case {
    /// Reads the options; the run-time errors of unusable ones are kept.
    pub fn compile(options: &Value, depth: usize) -> Case {
        Case(
            options_object(options, "@case requires an object with a \"operator\" key").and_then(
                |opts| {
                    if !truthy(opts.get("operator")) {
                        return Err(requires("@case requires a \"operator\" key"));
                    }
                    let operator = match opts.get("operator").and_then(Value::as_str) {
                        Some("lower") => Some(Operator::Lower),
                        Some("upper") => Some(Operator::Upper),
                        _ => None,
                    };
                    let value = truthy(opts.get("value"))
                        .then(|| compile_opt(opts, "value", depth))
                        .flatten();
                    Ok(Options { operator, value })
                },
            ),
        )
    }

    /// The value in the chosen case.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let opts = self.0.as_ref().map_err(Clone::clone)?;
        if opts.value.is_none() {
            return Ok(Resolved::Undefined);
        }
        match (resolve_opt(&opts.value, "value", cx)?, opts.operator) {
            (Resolved::String(s), Some(Operator::Lower)) => cx.text(host::to_lower(&s)),
            (Resolved::String(s), Some(Operator::Upper)) => cx.text(host::to_upper(&s)),
            (Resolved::String(_), None) => Err(requires(
                "operator key should have a value of \"lower\" or \"upper\"",
            )),
            (other, _) => Ok(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{err, t};
    use serde_json::json;

    #[test]
    fn changes_the_case_of_strings_only() {
        assert_eq!(
            t(json!({
                "lower": {"@case": {"operator": "lower", "value": {"@path": "$.traits.name"}}},
                "upper": {"@case": {"operator": "upper", "value": "ß"}},
                "num": {"@case": {"operator": "upper", "value": {"@path": "$.properties.price"}}}
            })),
            Some(json!({"lower": "émilie zola", "upper": "SS", "num": 3}))
        );
    }

    #[test]
    fn needs_an_operator() {
        assert_eq!(
            err(json!({"a": {"@case": {"value": "x"}}})),
            "/a/@case @case requires a \"operator\" key"
        );
        assert_eq!(
            err(json!({"a": {"@case": {"operator": "title", "value": "x"}}})),
            "/a/@case operator key should have a value of \"lower\" or \"upper\""
        );
    }
}
