//! JavaScript strings: sequences of UTF-16 code units, and the `String.prototype` operations
//! liquidjs relies on.
//!
//! liquidjs measures, slices and splits strings in UTF-16 code units (`"🎉".length` is 2,
//! `split: ""` cuts a surrogate pair in two, a `\ud83c` escape is a lone surrogate), so the
//! engine keeps its strings in that form and converts to UTF-8 only at the edges: when it reads
//! the event and when it hands the rendered text back, lone surrogates as the core's
//! stand-ins ([`crate::js::string`]).

use std::cmp::Ordering;
use std::sync::Arc;

/// A JavaScript string value, cheap to clone (and shareable, so that parsed templates can
/// hold them and still be used from any thread).
pub(crate) type JsStr = Arc<[u16]>;

/// The UTF-16 form of `s` (stand-ins are their lone surrogates).
pub(crate) fn utf16(s: &str) -> Vec<u16> {
    crate::js::string::units(s).collect()
}

/// A shared JavaScript string holding `s`.
pub(crate) fn js(s: &str) -> JsStr {
    Arc::from(utf16(s))
}

/// Whether `units` spell the ASCII text `s` (without converting either).
pub(crate) fn eq_ascii(units: &[u16], s: &str) -> bool {
    units.len() == s.len() && units.iter().zip(s.bytes()).all(|(&u, b)| u == u16::from(b))
}

/// Back to a Rust string; lone surrogates become their stand-ins.
pub(crate) fn rust_string(units: &[u16]) -> String {
    crate::js::string::from_units(units)
}

/// The text as Node encodes a string into UTF-8 bytes (`Buffer`, `crypto`): a lone surrogate
/// becomes U+FFFD.
pub(crate) fn utf8(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

/// `\s` in a JavaScript regular expression, for one UTF-16 code unit (a surrogate is none).
pub(crate) fn is_space(u: u16) -> bool {
    char::from_u32(u32::from(u)).is_some_and(crate::js::is_space_or_line_end)
}

/// `String.prototype.trim`.
pub(crate) fn trim(s: &[u16]) -> &[u16] {
    trim_end(trim_start(s))
}

/// `String.prototype.trimStart`.
pub(crate) fn trim_start(s: &[u16]) -> &[u16] {
    let start = s.iter().position(|&u| !is_space(u)).unwrap_or(s.len());
    &s[start..]
}

/// `String.prototype.trimEnd`.
pub(crate) fn trim_end(s: &[u16]) -> &[u16] {
    let end = s.iter().rposition(|&u| !is_space(u)).map_or(0, |i| i + 1);
    &s[..end]
}

/// `haystack.indexOf(needle, from)`.
pub(crate) fn index_of(haystack: &[u16], needle: &[u16], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from.min(haystack.len()));
    }
    if needle.len() > haystack.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| haystack[i..].starts_with(needle))
}

/// `haystack.lastIndexOf(needle)`.
pub(crate) fn last_index_of(haystack: &[u16], needle: &[u16]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack[i..].starts_with(needle))
}

/// `haystack.split(separator)` with a string separator: an empty separator cuts between
/// every code unit, an empty string gives `[""]` (`[]` with an empty separator).
pub(crate) fn split<'a>(haystack: &'a [u16], separator: &[u16]) -> Vec<&'a [u16]> {
    if separator.is_empty() {
        return haystack.chunks(1).collect();
    }
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(i) = index_of(haystack, separator, start) {
        parts.push(&haystack[start..i]);
        start = i + separator.len();
    }
    parts.push(&haystack[start..]);
    parts
}

/// `parts.join(separator)`.
pub(crate) fn join<S: AsRef<[u16]>>(parts: &[S], separator: &[u16]) -> Vec<u16> {
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(separator);
        }
        out.extend_from_slice(part.as_ref());
    }
    out
}

/// `s.split(/\s+/)`: runs of white space separate the parts; leading or trailing white space
/// gives an empty first or last part.
pub(crate) fn split_on_spaces(s: &[u16]) -> Vec<&[u16]> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        if is_space(s[i]) {
            parts.push(&s[start..i]);
            while i < s.len() && is_space(s[i]) {
                i += 1;
            }
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(&s[start..]);
    parts
}

/// `s.replace(/\s+/g, ' ')`.
pub(crate) fn collapse_spaces(s: &[u16]) -> Vec<u16> {
    join(&split_on_spaces(s), &[0x20])
}

/// Index after `count` code points from `from` (a surrogate pair is one code point).
pub(crate) fn advance_code_points(s: &[u16], from: usize, count: f64) -> usize {
    let mut index = from;
    let mut i = 0.0;
    while i < count && index < s.len() {
        index += if is_pair_at(s, index) { 2 } else { 1 };
        i += 1.0;
    }
    index
}

/// Number of code points.
pub(crate) fn code_point_len(s: &[u16]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < s.len() {
        i += if is_pair_at(s, i) { 2 } else { 1 };
        n += 1;
    }
    n
}

/// Whether a surrogate pair starts at `i`.
pub(crate) fn is_pair_at(s: &[u16], i: usize) -> bool {
    matches!(s.get(i), Some(0xD800..=0xDBFF)) && matches!(s.get(i + 1), Some(0xDC00..=0xDFFF))
}

/// The code points of `s` as slices (a lone surrogate is a code point of its own).
pub(crate) fn code_points(s: &[u16]) -> Vec<&[u16]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let n = if is_pair_at(s, i) { 2 } else { 1 };
        out.push(&s[i..i + n]);
        i += n;
    }
    out
}

/// Relational comparison of two strings, by code unit as JavaScript compares them.
pub(crate) fn compare(a: &[u16], b: &[u16]) -> Ordering {
    a.cmp(b)
}

/// `toUpperCase` / `toLowerCase` (full Unicode case mapping; lone surrogates stay as they
/// are), by the host where there is one.
pub(crate) fn change_case(s: &[u16], upper: bool) -> Vec<u16> {
    crate::host::change_case_utf16(s, upper)
}

/// The text of a JavaScript number (`1e+21`, `0.1`, `NaN`).
pub(crate) fn number(n: f64) -> JsStr {
    js(&crate::js::number_to_string(n))
}

/// `Number(string)`.
pub(crate) fn to_number(s: &[u16]) -> f64 {
    crate::js::string_to_number(&rust_string(s))
}

/// `JSON.stringify(string)`: quotes, escapes `"`, `\` and control characters, and writes lone
/// surrogates as `\uXXXX`.
pub(crate) fn json_quote(s: &[u16], out: &mut Vec<u16>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(u16::from(b'"'));
    let mut i = 0;
    while i < s.len() {
        let u = s[i];
        let short = match u {
            0x22 => Some(b'"'),
            0x5C => Some(b'\\'),
            0x08 => Some(b'b'),
            0x0C => Some(b'f'),
            0x0A => Some(b'n'),
            0x0D => Some(b'r'),
            0x09 => Some(b't'),
            _ => None,
        };
        let lone = (0xD800..=0xDFFF).contains(&u) && !is_pair_at(s, i);
        if let Some(c) = short {
            out.extend([u16::from(b'\\'), u16::from(c)]);
        } else if u < 0x20 || lone {
            out.extend([u16::from(b'\\'), u16::from(b'u')]);
            out.extend(
                (0..4)
                    .rev()
                    .map(|k| u16::from(HEX[usize::from((u >> (4 * k)) & 15)])),
            );
        } else if is_pair_at(s, i) {
            out.extend_from_slice(&s[i..i + 2]);
            i += 1;
        } else {
            out.push(u);
        }
        i += 1;
    }
    out.push(u16::from(b'"'));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(units: &[u16]) -> String {
        rust_string(units)
    }

    #[test]
    fn split_follows_javascript() {
        let parts = |h: &str, sep: &str| -> Vec<String> {
            split(&utf16(h), &utf16(sep)).into_iter().map(s).collect()
        };
        assert_eq!(parts("a,b,,c", ","), ["a", "b", "", "c"]);
        assert_eq!(parts("", ","), [""]);
        assert!(parts("", "").is_empty());
        assert_eq!(parts("ab", ""), ["a", "b"]);
        assert_eq!(split(&utf16("🎉"), &[]).len(), 2);
        let words: Vec<String> = split_on_spaces(&utf16(" a \t b "))
            .into_iter()
            .map(s)
            .collect();
        assert_eq!(words, ["", "a", "b", ""]);
    }

    #[test]
    fn trims_javascript_white_space() {
        assert_eq!(s(trim(&utf16("\u{feff} x\u{3000}"))), "x");
        assert_eq!(s(trim(&utf16("\u{85}x"))), "\u{85}x");
        assert_eq!(s(trim_start(&utf16("  x "))), "x ");
        assert_eq!(s(trim_end(&utf16("  x "))), "  x");
    }

    #[test]
    fn code_points_and_case() {
        let t = utf16("a🎉b");
        assert_eq!(code_point_len(&t), 3);
        assert_eq!(advance_code_points(&t, 0, 2.0), 3);
        assert_eq!(s(&change_case(&utf16("straße ΟΔΟΣ"), true)), "STRASSE ΟΔΟΣ");
        assert_eq!(s(&change_case(&utf16("ΟΔΟΣ"), false)), "οδος");
        let lone = [0xD83C, u16::from(b'a')];
        assert_eq!(change_case(&lone, true), [0xD83C, u16::from(b'A')]);
    }

    #[test]
    fn json_quoting() {
        let mut out = Vec::new();
        json_quote(&[0x22, 0x0A, 0x01, 0xD83C, 0x41], &mut out);
        assert_eq!(s(&out), r#""\"\n\u0001\ud83cA""#);
    }

    #[test]
    fn searching() {
        let h = utf16("abcabc");
        assert_eq!(index_of(&h, &utf16("c"), 3), Some(5));
        assert_eq!(last_index_of(&h, &utf16("ab")), Some(3));
        assert_eq!(last_index_of(&h, &[]), Some(6));
        assert_eq!(index_of(&h, &utf16("x"), 0), None);
    }
}
