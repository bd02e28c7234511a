//! `@json`: a value as JSON text (`"mode": "encode"`), or JSON text as a value
//! (`"mode": "decode"`; text that is not JSON passes through).

use super::super::check::{req, Checker, Rule};
use super::super::node::{compile_opt, resolve_opt, Cx, Node, Run};
use super::{options_object, requires};
use crate::mapping::error::MappingError;
use crate::property::truthy;
use crate::value::Resolved;
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@json";

/// Its options: `value` and `mode`.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.fields(
        options,
        &[
            req("value", Rule::DirectiveOrRaw),
            req("mode", Rule::OneOf(&["encode", "decode"])),
        ],
    )
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Encode,
    Decode,
    /// Any other mode (the check lower-cases it; running does not): `undefined`.
    Other,
}

/// A compiled `@json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Json(Result<(Mode, Option<Node>), MappingError>);

impl Json {
    /// Reads the options; the run-time errors of unusable ones are kept.
    pub fn compile(options: &Value, depth: usize) -> Json {
        Json(
            options_object(options, "@json requires an object with a \"value\" key").and_then(
                |opts| {
                    if !truthy(opts.get("mode")) {
                        return Err(requires("@json requires a \"mode\" key"));
                    }
                    if !truthy(opts.get("value")) {
                        return Err(requires("@json requires a \"value\" key"));
                    }
                    let mode = match opts.get("mode").and_then(Value::as_str) {
                        Some("encode") => Mode::Encode,
                        Some("decode") => Mode::Decode,
                        _ => Mode::Other,
                    };
                    Ok((mode, compile_opt(opts, "value", depth)))
                },
            ),
        )
    }

    /// The encoded or decoded value.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let (mode, value) = self.0.as_ref().map_err(Clone::clone)?;
        let value = resolve_opt(value, "value", cx)?;
        Ok(match mode {
            Mode::Encode => value
                .stringify()
                .map_or(Ok(Resolved::Undefined), |s| cx.text(s))?,
            Mode::Decode => match value {
                // Text that is not JSON (or nested past the tree's bound) stays text.
                Resolved::String(s) => match crate::value::resolved(&s) {
                    Some(decoded) => cx.built(decoded)?,
                    None => Resolved::String(s),
                },
                other => other,
            },
            Mode::Other => Resolved::Undefined,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::t;
    use serde_json::json;

    #[test]
    fn encodes_and_decodes() {
        assert_eq!(
            t(json!({
                "dec": {"@json": {"mode": "decode", "value": {"@path": "$.properties.json"}}},
                "bad": {"@json": {"mode": "decode", "value": "{nope"}},
                "enc": {"@json": {"mode": "encode", "value": {"a": [1, {"@path": "$.missing"}], "b": {"@path": "$.missing"}}}},
                "props": {"@json": {"mode": "encode", "value": {"@path": "$.properties.products"}}}
            })),
            Some(json!({
                "dec": {"a": 1},
                "bad": "{nope",
                "enc": "{\"a\":[1,null]}",
                "props": "[{\"sku\":\"A-1\",\"qty\":2},{\"sku\":\"B-2\",\"qty\":null}]"
            }))
        );
    }
}
