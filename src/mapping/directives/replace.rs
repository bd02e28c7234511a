//! `@replace`: plain-text replacement in a string
//! (`{"@replace": {"pattern": " ", "replacement": "_", "value": {"@path": "$.userId"}}}`).
//!
//! Patterns are text, not regular expressions; `global` (default true) replaces every
//! occurrence, `ignorecase` (default false) compares letters as JavaScript's `i` flag does,
//! and the replacement understands JavaScript's `$&`, `` $` ``, `$'` and `$$`. An optional
//! `pattern2` / `replacement2` pair runs on the result. Numbers and booleans are replaced in
//! as their text; anything else gives `""`.

use super::super::check::{opt, req, Checker, Rule};
use super::super::node::{compile_opt, resolve_opt, Cx, Node, Run};
use super::{options_object, requires};
use crate::js::{self, canonicalize_char};
use crate::mapping::error::{MappingError, Reason};
use crate::property::truthy;
use crate::value::Resolved;
use serde_json::{Map, Value};

/// The directive's name.
pub const NAME: &str = "@replace";

/// Longest `pattern`, in UTF-16 code units.
pub const MAX_PATTERN_LENGTH: usize = 10;
/// Longest `replacement`, in UTF-16 code units.
pub const MAX_REPLACEMENT_LENGTH: usize = 10;

/// Its options: `pattern`, `replacement`, `value`, `ignorecase`, `global`.
pub fn check(c: &mut Checker, options: Option<&Value>) -> bool {
    c.fields(
        options,
        &[
            req("pattern", Rule::StrLen(1, MAX_PATTERN_LENGTH)),
            opt("replacement", Rule::StrLen(0, MAX_REPLACEMENT_LENGTH)),
            req("value", Rule::DirectiveOrString),
            opt("ignorecase", Rule::Boolean),
            opt("global", Rule::Boolean),
        ],
    )
}

/// A compiled `@replace`.
#[derive(Debug, Clone, PartialEq)]
pub struct Replace(Result<Options, MappingError>);

/// The options of a usable `@replace`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `None` when the value option is falsy: the result is `undefined`.
    value: Option<Node>,
    /// `None` when an option has the wrong type: the result is `""`.
    rules: Option<Rules>,
}

/// What to replace, once the options have the right types.
#[derive(Debug, Clone, PartialEq)]
struct Rules {
    first: Result<(String, String), MappingError>,
    second: Option<Result<(String, String), MappingError>>,
    flags: ReplaceFlags,
}

impl Replace {
    /// Reads the options; the run-time errors of unusable ones are kept.
    pub fn compile(options: &Value, depth: usize) -> Replace {
        Replace(
            options_object(
                options,
                "@replace requires an object with a \"pattern\" key",
            )
            .and_then(|opts| {
                if !truthy(opts.get("pattern")) {
                    return Err(requires("@replace requires a \"pattern\" key"));
                }
                let value = truthy(opts.get("value"))
                    .then(|| compile_opt(opts, "value", depth))
                    .flatten();
                Ok(Options {
                    value,
                    rules: Rules::read(opts),
                })
            }),
        )
    }

    /// The replaced text.
    pub fn run(&self, cx: Cx<'_>) -> Run {
        let opts = self.0.as_ref().map_err(Clone::clone)?;
        if opts.value.is_none() {
            return Ok(Resolved::Undefined);
        }
        let text = match resolve_opt(&opts.value, "value", cx)? {
            Resolved::Bool(b) => b.to_string(),
            Resolved::Number(n) => js::number_to_string(n),
            Resolved::String(s) => s,
            _ => return Ok(Resolved::String(String::new())),
        };
        let Some(rules) = &opts.rules else {
            return Ok(Resolved::String(String::new()));
        };
        let replace = |text: &str, rule: &Result<(String, String), MappingError>| {
            let (pattern, replacement) = rule.as_ref().map_err(Clone::clone)?;
            replace_text(text, pattern, replacement, rules.flags, cx.budget.left())
                .ok_or_else(|| cx.budget.exhausted())
        };
        let mut out = replace(&text, &rules.first)?;
        if let Some(second) = &rules.second {
            out = replace(&out, second)?;
        }
        cx.text(out)
    }
}

impl Rules {
    /// The rules, or `None` when Segment's run-time type checks would give `""`.
    fn read(opts: &Map<String, Value>) -> Option<Rules> {
        let or_default = |key: &str, default: Value| match opts.get(key) {
            None | Some(Value::Null) => default,
            Some(v) => v.clone(),
        };
        let (
            Some(Value::String(pattern)),
            Value::String(replacement),
            Value::Bool(ignore_case),
            Value::Bool(global),
        ) = (
            opts.get("pattern"),
            or_default("replacement", Value::from("")),
            or_default("ignorecase", Value::Bool(false)),
            or_default("global", Value::Bool(true)),
        )
        else {
            return None;
        };
        let second = truthy(opts.get("pattern2"))
            .then(|| {
                match (
                    opts.get("pattern2"),
                    or_default("replacement2", Value::from("")),
                ) {
                    (Some(Value::String(p)), Value::String(r)) => Some(lengths_checked(p, &r)),
                    _ => None,
                }
            })
            .flatten();
        Some(Rules {
            first: lengths_checked(pattern, &replacement),
            second,
            flags: ReplaceFlags {
                global,
                ignore_case,
            },
        })
    }
}

/// Segment's run-time length limits on a pattern and its replacement.
fn lengths_checked(pattern: &str, replacement: &str) -> Result<(String, String), MappingError> {
    let too_long = |option, max| MappingError::new(Reason::ReplaceTooLong { option, max });
    if js::string::len(pattern) > MAX_PATTERN_LENGTH {
        return Err(too_long("pattern", MAX_PATTERN_LENGTH));
    }
    if js::string::len(replacement) > MAX_REPLACEMENT_LENGTH {
        return Err(too_long("replacement", MAX_REPLACEMENT_LENGTH));
    }
    Ok((pattern.to_string(), replacement.to_string()))
}

/// How `@replace` matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaceFlags {
    /// Replace every occurrence (`true`) or only the first.
    pub global: bool,
    /// Compare letters case-insensitively (JavaScript's `i` flag without `u`).
    pub ignore_case: bool,
}

/// Replaces occurrences of the literal `pattern` in `text` by `replacement`; `None` as soon as
/// the result is longer than `limit` bytes (`` $` `` and `$'` repeat the text around each
/// match, so a result can grow with the square of the text).
pub fn replace_text(
    text: &str,
    pattern: &str,
    replacement: &str,
    flags: ReplaceFlags,
    limit: usize,
) -> Option<String> {
    let hay: Vec<char> = text.chars().collect();
    let needle: Vec<char> = pattern.chars().collect();
    if needle.is_empty() {
        return (text.len() <= limit).then(|| text.to_string());
    }
    let eq = |a: char, b: char| {
        if flags.ignore_case {
            canonicalize_char(a) == canonicalize_char(b)
        } else {
            a == b
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied_to = 0;
    while i + needle.len() <= hay.len() {
        let found = hay[i..i + needle.len()]
            .iter()
            .zip(&needle)
            .all(|(a, b)| eq(*a, *b));
        if !found {
            i += 1;
            continue;
        }
        out.extend(&hay[copied_to..i]);
        expand_replacement(&mut out, replacement, &hay, i, i + needle.len());
        if out.len() > limit {
            return None;
        }
        i += needle.len();
        copied_to = i;
        if !flags.global {
            break;
        }
    }
    out.extend(&hay[copied_to..]);
    (out.len() <= limit).then_some(out)
}

/// Writes `replacement` with its `$` forms expanded for the match `hay[start..end]`.
fn expand_replacement(out: &mut String, replacement: &str, hay: &[char], start: usize, end: usize) {
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => {
                out.push('$');
                chars.next();
            }
            Some('&') => {
                out.extend(&hay[start..end]);
                chars.next();
            }
            Some('`') => {
                out.extend(&hay[..start]);
                chars.next();
            }
            Some('\'') => {
                out.extend(&hay[end..]);
                chars.next();
            }
            // No capture groups exist in a literal pattern, so `$1` and `$<x>` stay as text.
            _ => out.push('$'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::t;
    use super::*;
    use serde_json::json;

    fn r(text: &str, pattern: &str, replacement: &str, flags: ReplaceFlags) -> String {
        replace_text(text, pattern, replacement, flags, usize::MAX).unwrap_or_default()
    }

    const ALL: ReplaceFlags = ReplaceFlags {
        global: true,
        ignore_case: false,
    };

    #[test]
    fn replaces_literal_text() {
        assert_eq!(r("a.b.c", ".", "-", ALL), "a-b-c");
        assert_eq!(
            r(
                "a.b.c",
                ".",
                "-",
                ReplaceFlags {
                    global: false,
                    ignore_case: false
                }
            ),
            "a-b.c"
        );
        assert_eq!(r("(x)*", "(x)*", "y", ALL), "y");
        assert_eq!(r("aaa", "aa", "b", ALL), "ba");
    }

    #[test]
    fn ignores_case_like_javascript() {
        let flags = ReplaceFlags {
            global: true,
            ignore_case: true,
        };
        assert_eq!(r("Hello HELLO", "hello", "x", flags), "x x");
        assert_eq!(r("ÉMILIE", "é", "e", flags), "eMILIE");
    }

    #[test]
    fn expands_dollar_forms() {
        assert_eq!(r("abc", "b", "[$&]", ALL), "a[b]c");
        assert_eq!(r("abc", "b", "$`$'", ALL), "aacc");
        assert_eq!(r("abc", "b", "$$1$1", ALL), "a$1$1c");
    }

    #[test]
    fn stops_at_the_limit() {
        // Each match repeats everything before it: 100,000 matches would build 25 GB.
        let text = "a".repeat(100_000);
        assert_eq!(replace_text(&text, "a", "$`$`$`$`$`", ALL, 1 << 20), None);
        assert_eq!(
            replace_text("abc", "b", "xy", ALL, 4).as_deref(),
            Some("axyc")
        );
        assert_eq!(replace_text("abc", "b", "xy", ALL, 3), None);
    }

    #[test]
    fn in_a_mapping() {
        assert_eq!(
            t(json!({
                "r": {"@replace": {"pattern": " ", "replacement": "_", "value": {"@path": "$.userId"}}},
                "r2": {"@replace": {"pattern": "o", "value": "foo boo", "global": false, "pattern2": "b", "replacement2": "B"}},
                "ri": {"@replace": {"pattern": "USER", "replacement": "x", "ignorecase": true, "value": {"@path": "$.userId"}}},
                "rn": {"@replace": {"pattern": "3", "replacement": "4", "value": {"@path": "$.properties.price"}}},
                "obj": {"@replace": {"pattern": "a", "value": {"@path": "$.properties.nested"}}},
                "missing": {"@replace": {"pattern": "a", "value": {"@path": "$.missing"}}}
            })),
            Some(
                json!({"r": "User_Two", "r2": "fo Boo", "ri": "x Two", "rn": "4", "obj": "", "missing": ""})
            )
        );
    }
}
