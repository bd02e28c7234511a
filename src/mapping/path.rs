//! `@path` and `@template` lookups: how a path string becomes property names, and how
//! `{{placeholders}}` are filled.

use crate::js::{self, Root};
use crate::value::Resolved;
use std::borrow::Cow;

/// Looks up a mapping path (`$.properties.products[0].name`, `traits.email`, `$.`) in `root`.
///
/// The first `$.` is dropped (as Segment does), `""` and `"."` give the root itself, and the
/// rest follows [`split_path`].
pub fn lookup(root: Root<'_>, path: &str) -> Resolved {
    let path = strip_root_marker(path);
    if path.is_empty() || path == "." {
        return match root {
            Root::Json(v) => Resolved::from(v),
            Root::Resolved(r) => r.clone(),
        };
    }
    js::get(root, &split_path(&path))
}

/// Removes the first occurrence of `$.` (wherever it is, like JS `replace('$.', '')`).
pub fn strip_root_marker(path: &str) -> Cow<'_, str> {
    match path.find("$.") {
        Some(0) => Cow::Borrowed(&path[2..]),
        Some(_) => Cow::Owned(path.replacen("$.", "", 1)),
        None => Cow::Borrowed(path),
    }
}

/// Splits a path into property names: at `.`, at `[` before a quote or digit, and at runs of
/// `]` after a quote or digit; empty names are dropped and quotes removed
/// (`a["b c"][0]` → `a`, `b c`, `0`).
pub fn split_path(path: &str) -> Vec<Cow<'_, str>> {
    // Every character that splits is ASCII, so byte positions are character boundaries.
    let bytes = path.as_bytes();
    let is_key_edge = |b: u8| b == b'"' || b == b'\'' || b.is_ascii_digit();
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let split_len = match bytes[i] {
            b'.' => 1,
            b'[' if bytes.get(i + 1).is_some_and(|b| is_key_edge(*b)) => 1,
            b']' if i > 0 && is_key_edge(bytes[i - 1]) => {
                bytes[i..].iter().take_while(|b| **b == b']').count()
            }
            _ => 0,
        };
        if split_len > 0 {
            parts.extend(path_segment(&path[start..i]));
            i += split_len;
            start = i;
        } else {
            i += 1;
        }
    }
    parts.extend(path_segment(&path[start..]));
    parts
}

/// One piece between separators: dropped when empty, quotes removed (what is left may be
/// empty: `a[""]` names the key `""`).
fn path_segment(part: &str) -> Option<Cow<'_, str>> {
    if part.is_empty() {
        None
    } else if part.contains(['"', '\'']) {
        Some(Cow::Owned(part.replace(['"', '\''], "")))
    } else {
        Some(Cow::Borrowed(part))
    }
}

/// Fills `{{{path}}}` and then `{{path}}` placeholders; a missing or `null` value becomes the
/// empty string and anything else its JS string form (`[object Object]` for objects). `None`
/// as soon as the text is longer than `limit` bytes (every placeholder can repeat a long value).
pub fn render_template(template: &str, data: Root<'_>, limit: usize) -> Option<String> {
    let once = replace_placeholders(template, 3, data, limit)?;
    replace_placeholders(&once, 2, data, limit)
}

fn replace_placeholders(text: &str, braces: usize, data: Root<'_>, limit: usize) -> Option<String> {
    let open = "{".repeat(braces);
    let close = "}".repeat(braces);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let inner_start = start + braces;
        // No `}` left: no placeholder either.
        let Some(inner_len) = rest[inner_start..].find('}') else {
            break;
        };
        let inner_end = inner_start + inner_len;
        if inner_len > 0 && rest[inner_end..].starts_with(&close) {
            out.push_str(&rest[..start]);
            let key = rest[inner_start..inner_end].trim();
            let value = js::get(data, &split_path(key));
            if !value.is_nullish() {
                out.push_str(&value.to_js_string());
                if out.len() > limit {
                    return None;
                }
            }
            rest = &rest[inner_end + braces..];
        } else {
            // No placeholder starts here, nor at any `{` before that `}` (each would end at it
            // the same way): go past them all at once, or `{{{{…` would cost its length squared.
            out.push_str(&rest[..inner_end]);
            rest = &rest[inner_end..];
        }
    }
    out.push_str(rest);
    (out.len() <= limit).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_paths_like_segment() {
        assert_eq!(
            split_path("properties.products[1].name"),
            ["properties", "products", "1", "name"]
        );
        assert_eq!(split_path("a[\"b c\"]['d']"), ["a", "b c", "d"]);
        assert_eq!(split_path("a[b]"), ["a[b]"]);
        assert_eq!(split_path("a..b"), ["a", "b"]);
    }

    #[test]
    fn strips_only_the_first_root_marker() {
        assert_eq!(strip_root_marker("$.a.$.b"), "a.$.b");
        let v = json!({"a": 1});
        assert_eq!(lookup(Root::Json(&v), "$."), Resolved::from(&v));
    }

    #[test]
    fn renders_templates() {
        let v = json!({"userId": "u1", "traits": {"name": null, "tags": ["a", "b"], "o": {}}, "n": 1e21});
        let r = |t: &str| render_template(t, Root::Json(&v), usize::MAX).unwrap_or_default();
        assert_eq!(r("{{userId}} - {{traits.name}} end"), "u1 -  end");
        assert_eq!(r("{{{ userId }}}"), "u1");
        assert_eq!(
            r("{{traits.tags}}|{{traits.o}}|{{n}}"),
            "a,b|[object Object]|1e+21"
        );
        assert_eq!(r("{{}} {{ {{userId}}"), "{{}} ");
        assert_eq!(r("{{$.userId}}"), "");
        // The key runs to the first `}`, braces included.
        assert_eq!(r("{{{{userId}} {{ x }"), " {{ x }");
        assert_eq!(r("a {{{{ userId }}}} {"), "a } {");
        // Long runs of `{` without a placeholder are read once, not once per `{`.
        let braces = "{".repeat(200_000);
        let started = std::time::Instant::now();
        let text = format!("{braces}}} {braces}");
        assert_eq!(r(&text), text);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let long = json!({"s": "x".repeat(100)});
        let limited = |limit| render_template("{{s}}{{s}}", Root::Json(&long), limit);
        assert_eq!(limited(200).map(|t| t.len()), Some(200));
        assert_eq!(limited(199), None);
    }
}
