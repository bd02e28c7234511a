//! JavaScript semantics that Segment's behaviour depends on.
//!
//! Segment's libraries are JavaScript, and their observable behaviour leans on JS rules:
//! how a number prints (`String(1e21)` is `"1e+21"`), how
//! `Number("  12 ")` parses, which keys are array indexes. This module holds those rules, and
//! is the lowest floor of the crate: JSON text holds JavaScript's strings ([`string`]: UTF-16
//! units, lone surrogates included) and numbers ([`number`]), so [`crate::json`] reads and
//! writes through it. Property access over events and values is [`crate::property`].

pub mod number;
pub mod string;

pub use number::{json_number_value, number_to_string};

/// `Number(string)`: trims white space and line ends, `""` is 0, accepts `0x`/`0o`/`0b` and `Infinity`.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_space_or_line_end);
    if t.is_empty() {
        return 0.0;
    }
    let radix = |prefix: &str, radix: u32| -> Option<f64> {
        let digits = t.get(..2)?.eq_ignore_ascii_case(prefix).then(|| &t[2..])?;
        if digits.is_empty() {
            return Some(f64::NAN);
        }
        Some(
            digits
                .chars()
                .try_fold(0f64, |acc, c| {
                    c.to_digit(radix).map(|d| acc * radix as f64 + d as f64)
                })
                .unwrap_or(f64::NAN),
        )
    };
    if let Some(v) = radix("0x", 16)
        .or_else(|| radix("0o", 8))
        .or_else(|| radix("0b", 2))
    {
        return v;
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    crate::js::number::parse_decimal(t).unwrap_or(f64::NAN)
}

/// ECMAScript `WhiteSpace`: tab, vertical tab, form feed, space, no-break space, the
/// byte-order mark and the Unicode space separators (`Zs`). Not U+0085, which Rust's
/// `char::is_whitespace` includes.
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{0B}' | '\u{0C}' | ' ' | '\u{A0}' | '\u{FEFF}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// `WhiteSpace` or `LineTerminator` (LF, CR, U+2028, U+2029): what a regular expression's
/// `\s` matches and what `Number()` and `trim()` strip.
pub fn is_space_or_line_end(c: char) -> bool {
    is_space(c) || matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// A member named `__proto__`: own data where `JSON.parse` (events, `@json` decoding) or
/// `@flatten` made it; JavaScript's copies by assignment (`Object.assign`, mapping-kit's
/// objects, `removeUndefined`) make its value the copy's prototype instead, so Segment's output
/// never has one (see [`ProtoMember`]).
pub const PROTO_KEY: &str = "__proto__";

/// The index a property key stands for when it is an array index (`"0"`, `"12"`; below
/// 2³² − 1, no sign, no leading zeros). JS lists such keys of an object first, in numeric
/// order, and reads them as positions in arrays and strings.
pub fn index_key(key: &str) -> Option<usize> {
    if key.is_empty()
        || (key.len() > 1 && key.starts_with('0'))
        || !key.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let n = key.parse::<u32>().ok().filter(|n| *n < u32::MAX)?;
    usize::try_from(n).ok()
}

/// JS `toUpperCase`-based canonical form used by case-insensitive regular expressions
/// without the `u` flag.
pub fn canonicalize_char(c: char) -> char {
    match crate::host::upper_char(c) {
        Some(u) if (u as u32) <= 0xFFFF && (c as u32) <= 0xFFFF => {
            if (c as u32) >= 128 && (u as u32) < 128 {
                c
            } else {
                u
            }
        }
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_number_follows_js() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x10"), 16.0);
        assert_eq!(string_to_number("0B11"), 3.0);
        assert!(string_to_number("0x").is_nan());
        assert!(string_to_number("abc").is_nan());
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("é").is_nan());
        assert_eq!(string_to_number("\u{2028}\u{feff}7\u{3000}"), 7.0);
        assert!(
            string_to_number("7\u{85}").is_nan(),
            "U+0085 is no JS white space"
        );
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert_eq!(string_to_number("1e3"), 1000.0);
    }

    #[test]
    fn canonicalize_matches_js_rules() {
        assert_eq!(canonicalize_char('a'), 'A');
        assert_eq!(canonicalize_char('é'), 'É');
        assert_eq!(canonicalize_char('ß'), 'ß');
        assert_eq!(canonicalize_char('\u{17F}'), '\u{17F}');
    }
}
