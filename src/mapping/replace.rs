//! The text engine behind `@replace`: plain-text patterns (no regular expressions), global
//! or first-only, optionally case-insensitive, with JavaScript's `$&`, `` $` ``, `$'` and
//! `$$` in the replacement.

use crate::js::canonicalize_char;

/// How `@replace` matches.
#[derive(Debug, Clone, Copy)]
pub struct ReplaceFlags {
    /// Replace every occurrence (`true`) or only the first.
    pub global: bool,
    /// Compare letters case-insensitively (JavaScript's `i` flag without `u`).
    pub ignore_case: bool,
}

/// Replaces occurrences of the literal `pattern` in `text` by `replacement`; `None` as soon as
/// the result is longer than `limit` bytes.
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
    use super::*;

    const ALL: ReplaceFlags = ReplaceFlags {
        global: true,
        ignore_case: false,
    };

    fn r(text: &str, pattern: &str, replacement: &str, flags: ReplaceFlags) -> String {
        replace_text(text, pattern, replacement, flags, usize::MAX).unwrap_or_default()
    }

    #[test]
    fn replaces_literal_text() {
        assert_eq!(r("a.b.c", ".", "-", ALL), "a-b-c");
        assert_eq!(
            replace_text(
                "a.b.c",
                ".",
                "-",
                ReplaceFlags {
                    global: false,
                    ignore_case: false
                },
                usize::MAX
            )
            .as_deref(),
            Some("a-b.c")
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
        assert_eq!(replace_text("abc", "b", "xyz", ALL, 4), None);
        assert_eq!(replace_text("abc", "", "x", ALL, 2), None);
    }
}
