//! Writing JSON exactly as JavaScript's `JSON.stringify(JSON.parse(text))` would, straight
//! from the input text: most text is copied as it is, numbers and escapes are rewritten where
//! JavaScript prints them differently (`1.0` → `1`, `1E5` → `100000`, `-0` → `0`, `"\u00e9"`
//! → `"é"`), and whitespace is dropped.
//!
//! Objects whose member order JavaScript changes — a duplicate key (`JSON.parse` keeps the last
//! value at the first key's place), an array-index key (listed first, in numeric order), a
//! `__proto__` key that is left out ([`ProtoMember::Drop`]) — or that have escaped keys or more
//! members than a quick duplicate check covers are written from a parsed tree instead (the
//! slow path).

use super::read::{hex4, unescape};
use crate::js;
use crate::js::string as js_string;
use std::fmt;

/// Objects with more members than this take the slow path (the duplicate check is quadratic).
const MAX_FAST_KEYS: usize = 32;

/// Text the slow path cannot parse: nested deeper than serde_json's limit (128) in an object
/// that needs reordering, or a string with a lone surrogate in such an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unwritable;

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nested too deeply to be rewritten as JavaScript would print it")
    }
}

/// What becomes of an object's own `__proto__` member (`JSON.parse` makes one of a
/// `"__proto__"` key) when it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtoMember {
    /// Printed, as `JSON.stringify` prints any own member (`@json` encoding mid-mapping).
    Print,
    /// Left out: Segment's `removeUndefined`, at the end of every mapping, copies each object
    /// with `Object.assign`, which makes such a member the copy's prototype, so no payload
    /// Segment sends has one.
    Drop,
}

/// Appends `JSON.stringify(s)` for a string (stand-ins of lone surrogates, see
/// [`crate::js::string`], as their `\udXXX` escapes).
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            // ASCII, so `i` is a character boundary.
            out.push_str(&s[start..i]);
            write_code_unit(u32::from(b), out);
            start = i + 1;
        } else if b == 0xF4 && js_string::stand_in_at(bytes, i) {
            // A lead byte, so `i` is a character boundary; the stand-in is four bytes.
            out.push_str(&s[start..i]);
            write_stand_in(&s[i..i + 4], out);
            start = i + 4;
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The length of what [`write_str`] writes for `s`, counted without writing it.
pub fn str_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut len = s.len() + 2;
    for (i, &b) in bytes.iter().enumerate() {
        len += match b {
            b'"' | b'\\' | 0x08 | 0x09 | 0x0A | 0x0C | 0x0D => 1,
            0..=0x1F => 5,
            // A stand-in's four bytes are written as a six-character `\udXXX`.
            0xF4 if js_string::stand_in_at(bytes, i) => 2,
            _ => 0,
        };
    }
    len
}

/// The `\udXXX` escape of the stand-in that is `c` (one character's text).
fn write_stand_in(c: &str, out: &mut String) {
    let unit = c.chars().next().and_then(js_string::lone_surrogate);
    write_code_unit(unit.map_or(0xFFFD, u32::from), out);
}

/// Copies `text`, rewriting the tokens JavaScript prints differently, unless an object needs
/// reordering (then `false`, with `out` partly written). Canonical runs are copied in one go.
pub fn copy_canonical(text: &str, out: &mut String, proto: ProtoMember) -> bool {
    let b = text.as_bytes();
    // For each open container: `Some(start of its keys in `keys`)` for an object, `None` for
    // an array.
    let mut open: Vec<Option<usize>> = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    let mut expect_key = false;
    // Everything before `copied` is in `out` already.
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => {
                out.push_str(&text[copied..i]);
                while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
                copied = i;
            }
            b'{' => {
                open.push(Some(keys.len()));
                expect_key = true;
                i += 1;
            }
            b'[' => {
                open.push(None);
                expect_key = false;
                i += 1;
            }
            b'}' | b']' => {
                if let Some(Some(start)) = open.pop() {
                    keys.truncate(start);
                }
                expect_key = false;
                i += 1;
            }
            b',' => {
                expect_key = matches!(open.last(), Some(Some(_)));
                i += 1;
            }
            b'"' => {
                // Quotes and backslashes are ASCII: every index used to slice is a boundary.
                // (`escaped`: with escapes, or characters of plane 16 that may be stand-ins.)
                let (end, escaped) = string_end(b, i + 1);
                let content = &text[i + 1..end];
                if expect_key {
                    let start = open.last().copied().flatten().unwrap_or(0);
                    if escaped || !plain_key(content, &keys[start.min(keys.len())..], proto) {
                        return false;
                    }
                    keys.push(content);
                    expect_key = false;
                } else if escaped && !canonical_escapes(content) {
                    out.push_str(&text[copied..i]);
                    write_str(&unescape(content), out);
                    copied = end + 1;
                }
                i = end + 1;
            }
            b't' | b'n' => i += 4,
            b'f' => i += 5,
            b':' => i += 1,
            _ => {
                let end = b[i..]
                    .iter()
                    .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .map_or(b.len(), |n| i + n)
                    .max(i + 1);
                let number = &text[i..end];
                if !plain_number(number) {
                    out.push_str(&text[copied..i]);
                    write_number(number, out);
                    copied = end;
                }
                i = end;
            }
        }
    }
    out.push_str(&text[copied.min(text.len())..]);
    true
}

/// Where the string whose content starts at `from` ends (its closing quote), and whether it
/// has escapes or characters of plane 16 (U+100000 and up, which hold the stand-ins of lone
/// surrogates).
fn string_end(b: &[u8], from: usize) -> (usize, bool) {
    let mut i = from;
    let mut escaped = false;
    while let Some(offset) = b
        .get(i..)
        .and_then(|rest| memchr::memchr3(b'"', b'\\', 0xF4, rest))
    {
        i += offset;
        match b[i] {
            b'"' => return (i, escaped),
            b'\\' => i += 2,
            _ => i += 1,
        }
        escaped = true;
    }
    (b.len(), escaped)
}

/// Whether every escape in a string's content is one `JSON.stringify` writes, and it holds no
/// stand-in (which it writes as an escape).
fn canonical_escapes(content: &str) -> bool {
    let b = content.as_bytes();
    if memchr::memchr(0xF4, b).is_some_and(|_| (0..b.len()).any(|i| js_string::stand_in_at(b, i))) {
        return false;
    }
    let mut i = 0;
    while let Some(offset) = b.get(i..).and_then(|rest| memchr::memchr(b'\\', rest)) {
        i += offset;
        match b.get(i + 1) {
            Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
            Some(b'u') => {
                let hex = b.get(i + 2..i + 6).unwrap_or_default();
                let lower = hex.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
                let unit = u32::from(hex4(b, i + 2));
                let short_form = matches!(unit, 0x08 | 0x09 | 0x0A | 0x0C | 0x0D);
                // Control characters without a short form, and surrogates (paired ones are
                // written as the character itself, so only lone ones stay escaped).
                let kept = (unit < 0x20 && !short_form) || is_lone_surrogate(b, i, unit);
                if !(lower && kept) {
                    return false;
                }
                i += 6;
            }
            _ => return false,
        }
    }
    true
}

/// Whether the `\uXXXX` escape at `at` (standing for `unit`) is a surrogate without its pair.
fn is_lone_surrogate(b: &[u8], at: usize, unit: u32) -> bool {
    let escape_at = |i: usize| (b.get(i..i + 2) == Some(b"\\u")).then(|| u32::from(hex4(b, i + 2)));
    match unit {
        0xD800..=0xDBFF => !escape_at(at + 6).is_some_and(|u| (0xDC00..0xE000).contains(&u)),
        0xDC00..=0xDFFF => {
            !(at >= 6 && escape_at(at - 6).is_some_and(|u| (0xD800..0xDC00).contains(&u)))
        }
        _ => false,
    }
}

/// A key JavaScript keeps in place: not a `__proto__` left out, not an array index, not seen
/// before in its object, and the object still small enough to check.
fn plain_key(key: &str, earlier: &[&str], proto: ProtoMember) -> bool {
    (key != crate::js::PROTO_KEY || proto == ProtoMember::Print)
        && (!key.starts_with(|c: char| c.is_ascii_digit()) || crate::js::index_key(key).is_none())
        && earlier.len() < MAX_FAST_KEYS
        && !earlier.contains(&key)
}

/// One UTF-16 code unit as `JSON.stringify` writes it.
fn write_code_unit(unit: u32, out: &mut String) {
    match unit {
        0x08 => out.push_str("\\b"),
        0x09 => out.push_str("\\t"),
        0x0A => out.push_str("\\n"),
        0x0C => out.push_str("\\f"),
        0x0D => out.push_str("\\r"),
        0x22 => out.push_str("\\\""),
        0x5C => out.push_str("\\\\"),
        u if u < 0x20 || (0xD800..0xE000).contains(&u) => {
            out.push_str(&format!("\\u{u:04x}"));
        }
        u => out.push(char::from_u32(u).unwrap_or('\u{FFFD}')),
    }
}

/// Whether JavaScript prints this number as it is written.
fn plain_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text).as_bytes();
    let plain_integer = !digits.is_empty()
        && digits.len() <= 15
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || (digits.len() == 1 && text.len() == 1));
    plain_integer || plain_decimal(text)
}

/// A number as JavaScript prints the double it stands for (`null` beyond its range).
fn write_number(text: &str, out: &mut String) {
    if plain_number(text) {
        out.push_str(text);
        return;
    }
    let f = crate::js::number::parse_decimal(text).unwrap_or(f64::NAN);
    if f.is_finite() {
        out.push_str(&js::number_to_string(f));
    } else {
        out.push_str("null");
    }
}

/// Whether JavaScript prints this decimal as it is written: no exponent, at most 15
/// significant digits (so no shorter text stands for the same double), no trailing zero after
/// the point, no leading zero before it but a lone `0`, and not below 1e-6 (printed as `1e-7`).
fn plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let Some((int, frac)) = unsigned.split_once('.') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || frac.ends_with('0') {
        return false;
    }
    let significant = if int == "0" {
        let zeros = frac.len() - frac.trim_start_matches('0').len();
        if zeros > 5 {
            return false;
        }
        frac.len() - zeros
    } else if int.starts_with('0') {
        return false;
    } else {
        int.len() + frac.len()
    };
    significant <= 15
}

#[cfg(test)]
mod tests {
    use super::*;
    // The slow path of writing JavaScript's JSON reads the text as a mapped value.
    use crate::value::write_js;

    fn js(text: &str) -> String {
        let mut out = String::new();
        write_js(text, &mut out, ProtoMember::Drop).unwrap();
        out
    }

    #[test]
    fn str_len_is_what_write_str_writes() {
        for s in [
            "",
            "plain",
            "q\"uote",
            "back\\slash",
            "\u{0}\u{1f}\n\t\u{8}\u{c}\r",
            "é🎉\u{2028}",
            // Stand-ins of lone surrogates, written as `\udXXX`.
            "a\u{10F800}b\u{10FFFF}",
        ] {
            let mut out = String::new();
            write_str(s, &mut out);
            assert_eq!(str_len(s), out.len(), "{s:?}");
        }
    }

    #[test]
    fn strings_as_json_stringify_writes_them() {
        let mut out = String::new();
        write_str("a\"b\\c\u{1}\n\u{7f}é\u{2028}", &mut out);
        assert_eq!(out, "\"a\\\"b\\\\c\\u0001\\n\u{7f}é\u{2028}\"");
    }

    #[test]
    fn canonical_text_is_copied() {
        let t = r#"{"a":[1,-2,"x",true,false,null,{}],"b":{"c":"d\n\"q\"\\"},"e":12.5,"f":[]}"#;
        assert_eq!(js(t), t);
    }

    #[test]
    fn numbers_as_javascript_prints_them() {
        assert_eq!(
            js("[1.0, 1E5, -0, 1e21, 0.1, 123456789012345678, 1e400, 2.50, 0, -0.0]"),
            "[1,100000,0,1e+21,0.1,123456789012345680,null,2.5,0,0]"
        );
    }

    #[test]
    fn plain_decimals_are_copied_and_agree_with_javascript() {
        for text in ["99.5", "-0.25", "0.000001", "123456789.012345", "10.01"] {
            assert!(plain_decimal(text), "{text}");
            assert_eq!(js::number_to_string(text.parse().unwrap()), text);
        }
        for text in [
            "0.0000001",
            "1.50",
            "01.5",
            "1234567890.1234567",
            "1e5",
            "5.",
            "-.5",
        ] {
            assert!(!plain_decimal(text), "{text}");
        }
    }

    #[test]
    fn escapes_as_javascript_prints_them() {
        assert_eq!(
            js(r#"["\u00e9\/", "\ud83d\ude00", "\ud800x", "\u001F\u0008", "\u0022\u005c"]"#),
            r#"["é/","😀","\ud800x","\u001f\b","\"\\"]"#
        );
        assert_eq!(js(" { \"a\" : [ 1 , 2 ] } "), r#"{"a":[1,2]}"#);
    }

    #[test]
    fn lone_surrogates_are_written_back_as_escapes() {
        // Copied as they are, lower-cased, or through the slow path: always `\udXXX`.
        assert_eq!(
            js(r#"["\ud800", "\uDFFF", "a\udc00\ud800b", "\ud83c\ud83c\udf89"]"#),
            r#"["\ud800","\udfff","a\udc00\ud800b","\ud83c🎉"]"#
        );
        assert_eq!(
            js(r#"{"\ud800":1,"a":"\udbff","a":"\ud800"}"#),
            r#"{"\ud800":1,"a":"\ud800"}"#
        );
        // A stand-in, raw or as a pair's escapes, is the lone surrogate it stands for.
        let stand_in = crate::js::string::unit_char(0xDFFF);
        assert_eq!(js(&format!("[\"{stand_in}\"]")), r#"["\udfff"]"#);
        assert_eq!(
            js(r#"["\udbff\udfff", "\udbbf\udfff"]"#),
            "[\"\\udfff\",\"\u{fffff}\"]"
        );
        let mut out = String::new();
        write_str(&format!("x{stand_in}\u{10F7FF}"), &mut out);
        assert_eq!(out, "\"x\\udfff\u{10F7FF}\"");
    }

    #[test]
    fn reordered_objects_take_the_slow_path() {
        assert_eq!(js(r#"{"b":1,"a":2,"b":3}"#), r#"{"b":3,"a":2}"#);
        assert_eq!(js(r#"{"b":1,"10":2,"2":3}"#), r#"{"2":3,"10":2,"b":1}"#);
        assert_eq!(js(r#"{"a":1,"__proto__":{"x":1}}"#), r#"{"a":1}"#);
        // JSON.stringify of what JSON.parse made prints its own `__proto__` member.
        let mut printed = String::new();
        let text = r#"{"a":1,"__proto__":{"x":1},"b":{"__proto__":2,"__proto__":3}}"#;
        write_js(text, &mut printed, ProtoMember::Print).unwrap();
        assert_eq!(
            printed,
            r#"{"a":1,"__proto__":{"x":1},"b":{"__proto__":3}}"#
        );
        assert_eq!(js(r#"{"a\u0062":1,"ab":2}"#), r#"{"ab":2}"#);
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        let text = format!("{{{}}}", many.join(","));
        assert_eq!(js(&text), text);
    }

    #[test]
    fn deep_canonical_text_is_copied_and_deep_reordering_is_refused() {
        let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
        assert_eq!(js(&deep), deep);
        let deep_dup = format!("{}{{\"a\":1,\"a\":2}}{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(
            write_js(&deep_dup, &mut String::new(), ProtoMember::Drop),
            Err(Unwritable)
        );
    }
}
