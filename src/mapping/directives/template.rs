//! `@template`: text with `{{path}}` placeholders filled from the payload
//! (`{"@template": "{{traits.first}} {{traits.last}}"}`).
//!
//! As in Segment, `{{{path}}}` placeholders are filled first and the result is then scanned
//! for `{{path}}` ones; a missing or `null` value is the empty string, anything else its
//! JavaScript string form (`[object Object]` for objects). Paths are split like `@path`'s, but
//! `$.` is not special here.

use super::super::check::{Checker, Rule};
use super::super::lookup::split_path;
use super::super::node::{Cx, Node, Run};
use super::expect_string;
use crate::mapping::error::MappingError;
use crate::property::{self, Root};
use crate::value::Resolved;
use serde_json::Value;

/// The directive's name.
pub const NAME: &str = "@template";

/// Its option: a string, or a directive giving one.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.rule(options, Rule::DirectiveOrString)
}

/// One piece of a template without triple braces.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text kept as it is.
    Text(String),
    /// A placeholder's path.
    Placeholder(Vec<String>),
}

/// A compiled `@template`.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// A string with only `{{…}}` placeholders: split into parts once.
    Fixed(Vec<Part>),
    /// A string with `{{{…}}}` placeholders, whose values are scanned again: rendered in
    /// Segment's two passes when it runs.
    TwoPass(String),
    /// Anything else: resolved when it runs (and it must give a string then).
    Computed(Node),
}

impl Template {
    /// Reads the option.
    pub fn compile(options: &Value, depth: usize) -> Template {
        match options {
            Value::String(t) if t.contains("{{{") => Template::TwoPass(t.clone()),
            Value::String(t) => {
                let mut parts = Vec::new();
                for piece in scan(t, 2) {
                    match (piece, parts.last_mut()) {
                        (Piece::Text(text), Some(Part::Text(last))) => last.push_str(text),
                        (Piece::Text(text), _) => parts.push(Part::Text(text.to_string())),
                        (Piece::Placeholder(key), _) => {
                            let path = split_path(key).into_iter().map(Into::into).collect();
                            parts.push(Part::Placeholder(path));
                        }
                    }
                }
                Template::Fixed(parts)
            }
            other => Template::Computed(Node::compile_at(other, depth + 1)),
        }
    }

    /// The filled-in text, within what the run's budget has left (every placeholder can repeat
    /// a long value).
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let limit = cx.budget.left();
        let text = match self {
            Template::Fixed(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Text(text) => out.push_str(text),
                        Part::Placeholder(path) => {
                            push_value(&mut out, property::get(cx.payload, path))?
                        }
                    }
                    if out.len() > limit {
                        return Err(cx.budget.exhausted());
                    }
                }
                Some(out)
            }
            Template::TwoPass(template) => render(template, cx.payload, limit)?,
            Template::Computed(node) => {
                let template = expect_string(NAME, node.resolve(cx)?)?;
                render(&template, cx.payload, limit)?
            }
        };
        let text = text.ok_or_else(|| cx.budget.exhausted())?;
        cx.text(text)
    }
}

/// Fills `{{{path}}}` and then `{{path}}` placeholders; `None` past `limit` bytes.
fn render(template: &str, data: Root<'_>, limit: usize) -> Result<Option<String>, MappingError> {
    let Some(once) = fill(template, 3, data, limit)? else {
        return Ok(None);
    };
    fill(&once, 2, data, limit)
}

fn fill(
    text: &str,
    braces: usize,
    data: Root<'_>,
    limit: usize,
) -> Result<Option<String>, MappingError> {
    let mut out = String::with_capacity(text.len());
    for piece in scan(text, braces) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder(key) => push_value(&mut out, property::get(data, &split_path(key)))?,
        }
        if out.len() > limit {
            return Ok(None);
        }
    }
    Ok(Some(out))
}

/// A placeholder's value as `String.prototype.replace` makes it text (which fails as
/// `String(value)` does).
fn push_value(out: &mut String, value: Resolved) -> Result<(), MappingError> {
    if !value.is_nullish() {
        out.push_str(&value.to_js_string()?);
    }
    Ok(())
}

/// A piece of a template: text, or a placeholder's trimmed key.
enum Piece<'t> {
    Text(&'t str),
    Placeholder(&'t str),
}

/// Splits `text` at placeholders of `braces` braces. A `{` run that does not start a
/// placeholder is text.
fn scan(text: &str, braces: usize) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let open = "{".repeat(braces);
    let close = "}".repeat(braces);
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let inner_start = start + braces;
        // No `}` left: no placeholder either.
        let Some(inner_len) = rest[inner_start..].find('}') else {
            break;
        };
        let inner_end = inner_start + inner_len;
        if inner_len > 0 && rest[inner_end..].starts_with(&close) {
            pieces.push(Piece::Text(&rest[..start]));
            pieces.push(Piece::Placeholder(rest[inner_start..inner_end].trim()));
            rest = &rest[inner_end + braces..];
        } else {
            // No placeholder starts here, nor at any `{` before that `}` (each would end at it
            // the same way): go past them all at once, or `{{{{…` would cost its length squared.
            pieces.push(Piece::Text(&rest[..inner_end]));
            rest = &rest[inner_end..];
        }
    }
    pieces.push(Piece::Text(rest));
    pieces
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{on_text, t};
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_templates() {
        let v = json!({"userId": "u1", "traits": {"name": null, "tags": ["a", "b"], "o": {}}, "n": 1e21, "x": "{{userId}}"});
        let budget = crate::mapping::Budget::for_input(0);
        let cx = Cx {
            now_ms: 0.0,
            payload: Root::Json(&v),
            budget: &budget,
        };
        let r = |t: &str| {
            Template::compile(&json!(t), 0)
                .run(cx)
                .unwrap()
                .to_js_string()
                .unwrap()
        };
        assert_eq!(r("{{userId}} - {{traits.name}} end"), "u1 -  end");
        assert_eq!(r("{{{ userId }}}"), "u1");
        assert_eq!(
            r("{{traits.tags}}|{{traits.o}}|{{n}}"),
            "a,b|[object Object]|1e+21"
        );
        assert_eq!(r("{{}} {{ {{userId}}"), "{{}} ");
        assert_eq!(r("{{$.userId}}"), "");
        // Values filled by the first pass are scanned by the second.
        assert_eq!(r("{{{x}}}"), "u1");
        assert_eq!(r("{{x}}"), "{{userId}}");
        // The key runs to the first `}`, braces included.
        assert_eq!(r("{{{{userId}} {{ x }"), " {{ x }");
        assert_eq!(r("a {{{{ userId }}}} {"), "a } {");
        // Long runs of `{` without a placeholder are read once, not once per `{`.
        let braces = "{".repeat(200_000);
        let started = std::time::Instant::now();
        let text = format!("{braces}}} {braces}");
        assert_eq!(r(&text), text);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // Past what the budget has left: an error.
        let long = json!({"s": "x".repeat(100)});
        let limited = |limit| render("{{s}}{{s}}", Root::Json(&long), limit).unwrap();
        assert_eq!(limited(200).map(|t| t.len()), Some(200));
        assert_eq!(limited(199), None);
    }

    #[test]
    fn objects_that_cannot_be_text_fail() {
        let text = r#"{"o": {"toString": "x"}, "l": [1, {"toString": null}], "v": {"valueOf": 1}}"#;
        let template = |t: &str| on_text(json!({"t": {"@template": t}}), text);
        let fails = Err("Cannot convert object to primitive value".to_string());
        assert_eq!(template("{{o}}"), fails);
        assert_eq!(template("{{{l}}}"), fails);
        assert_eq!(template("{{o.toString}}"), Ok(Some(r#"{"t":"x"}"#.into())));
        assert_eq!(
            template("{{v}}"),
            Ok(Some(r#"{"t":"[object Object]"}"#.into()))
        );
        let e = crate::mapping::transform(
            &json!({"t": {"@template": "{{o}}"}}),
            &json!({"o": {"toString": 1}}),
            0.0,
        )
        .unwrap_err();
        assert_eq!(e.path(), "/t/@template");
        assert_eq!(
            e.code(),
            crate::mapping::error::MappingErrorCode::NoPrimitive
        );
    }

    #[test]
    fn in_a_mapping() {
        assert_eq!(
            t(json!({"tpl": {"@template": "{{userId}}/{{properties.price}}"}})),
            Some(json!({"tpl": "User Two/3"}))
        );
    }
}
