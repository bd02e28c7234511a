//! `@template`: text with `{{path}}` placeholders filled from the payload
//! (`{"@template": "{{traits.first}} {{traits.last}}"}`).
//!
//! As in Segment, `{{{path}}}` placeholders are filled first and the result is then scanned
//! for `{{path}}` ones; a missing or `null` value is the empty string, anything else its
//! JavaScript string form (`[object Object]` for objects). Paths are split like `@path`'s, but
//! `$.` is not special here.

use super::super::check::{Checker, Rule};
use super::super::lookup::split_path;
use super::super::node::{Node, Run};
use super::expect_string;
use crate::js::{self, Root};
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

    /// The filled-in text.
    pub fn run(&self, payload: Root<'_>) -> Run {
        let text = match self {
            Template::Fixed(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Text(text) => out.push_str(text),
                        Part::Placeholder(path) => push_value(&mut out, js::get(payload, path)),
                    }
                }
                out
            }
            Template::TwoPass(template) => render(template, payload),
            Template::Computed(node) => {
                render(&expect_string(NAME, node.resolve(payload)?)?, payload)
            }
        };
        Ok(Resolved::String(text))
    }
}

/// Fills `{{{path}}}` and then `{{path}}` placeholders.
fn render(template: &str, data: Root<'_>) -> String {
    let once = fill(template, 3, data);
    fill(&once, 2, data)
}

fn fill(text: &str, braces: usize, data: Root<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in scan(text, braces) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder(key) => push_value(&mut out, js::get(data, &split_path(key))),
        }
    }
    out
}

fn push_value(out: &mut String, value: Resolved) {
    if !value.is_nullish() {
        out.push_str(&value.to_js_string());
    }
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
        let inner_len = rest[inner_start..]
            .find('}')
            .unwrap_or(rest.len() - inner_start);
        let inner_end = inner_start + inner_len;
        if inner_len > 0 && rest[inner_end..].starts_with(&close) {
            pieces.push(Piece::Text(&rest[..start]));
            pieces.push(Piece::Placeholder(rest[inner_start..inner_end].trim()));
            rest = &rest[inner_end + braces..];
        } else {
            // No placeholder starts here; move past one character and keep looking.
            let step = rest[start..].chars().next().map_or(1, char::len_utf8);
            pieces.push(Piece::Text(&rest[..start + step]));
            rest = &rest[start + step..];
        }
    }
    pieces.push(Piece::Text(rest));
    pieces
}

#[cfg(test)]
mod tests {
    use super::super::test_support::t;
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_templates() {
        let v = json!({"userId": "u1", "traits": {"name": null, "tags": ["a", "b"], "o": {}}, "n": 1e21, "x": "{{userId}}"});
        let r = |t: &str| {
            Template::compile(&json!(t), 0)
                .run(Root::Json(&v))
                .unwrap()
                .to_js_string()
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
    }

    #[test]
    fn in_a_mapping() {
        assert_eq!(
            t(json!({"tpl": {"@template": "{{userId}}/{{properties.price}}"}})),
            Some(json!({"tpl": "User Two/3"}))
        );
    }
}
