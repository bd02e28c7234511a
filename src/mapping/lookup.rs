//! Lookups shared by `@path`, `@template` and `@arrayPath`: how a path string becomes
//! property names, and how they are looked up in a payload.

use crate::property::{self, Root};
use crate::value::Resolved;
use std::borrow::Cow;

/// A mapping path (`$.properties.products[0].name`, `traits.email`, `$.`) made ready to look
/// up: the first `$.` dropped (as Segment does) and the rest split by [`split_path`]; `""` and
/// `"."` stand for the root itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSpec {
    segments: Option<Vec<String>>,
}

impl PathSpec {
    /// Reads a path.
    pub fn new(path: &str) -> PathSpec {
        let path = strip_root_marker(path);
        let segments = (!(path.is_empty() || path == "."))
            .then(|| split_path(&path).into_iter().map(Cow::into_owned).collect());
        PathSpec { segments }
    }

    /// The value at this path in `root` (the root itself for `$.`).
    pub fn lookup(&self, root: Root<'_>) -> Resolved {
        match &self.segments {
            Some(segments) => property::get(root, segments),
            None => root.to_resolved(),
        }
    }
}

/// Looks up a mapping path in `root` (see [`PathSpec`]).
pub fn lookup(root: Root<'_>, path: &str) -> Resolved {
    PathSpec::new(path).lookup(root)
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
}
