//! What the host does for us. Unicode case mapping and character properties are tables of
//! tens of kilobytes in Rust's standard library; in wasm32 the JavaScript engine running us
//! already has them, and Segment runs on that same engine, so asking it gives Segment's
//! results exactly and keeps the tables out of the wasm. Native builds (CLI, tests) use Rust's
//! own implementations, which follow the same Unicode rules.

/// `String.prototype.toUpperCase` (full case mapping: `ß` becomes `SS`). ASCII text, the
/// common case (event names, user ids), is mapped here without crossing to the host.
pub(crate) fn to_upper(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_uppercase()
    } else {
        imp::to_upper(s)
    }
}

/// `String.prototype.toLowerCase` (full case mapping, with the final-sigma rule); ASCII here.
pub(crate) fn to_lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        imp::to_lower(s)
    }
}

/// `toUpperCase`/`toLowerCase` of UTF-16 code units; lone surrogates stay as they are. The
/// runs of valid characters between them are mapped as UTF-8 (the final-sigma rule applies
/// within a run), so any length crosses to the host in one call per run.
pub(crate) fn change_case_utf16(s: &[u16], upper: bool) -> Vec<u16> {
    let mut out = Vec::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut Vec<u16>| {
        if !run.is_empty() {
            let mapped = if upper { to_upper(run) } else { to_lower(run) };
            out.extend(mapped.encode_utf16());
            run.clear();
        }
    };
    for c in char::decode_utf16(s.iter().copied()) {
        match c {
            Ok(c) => run.push(c),
            Err(lone) => {
                flush(&mut run, &mut out);
                out.push(lone.unpaired_surrogate());
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The upper case of one character when that is one character (`None` otherwise, as for
/// `ß`): what case-insensitive regular expressions compare.
pub(crate) fn upper_char(c: char) -> Option<char> {
    let mut buf = [0; 4];
    let upper = to_upper(c.encode_utf8(&mut buf));
    let mut chars = upper.chars();
    match (chars.next(), chars.next()) {
        (Some(u), None) => Some(u),
        _ => None,
    }
}

/// The double a decimal literal stands for (`parseFloat`), for the literals
/// [`crate::number::parse_decimal`] cannot compute exactly by itself: many digits or a large
/// exponent need arbitrary precision, which the host has.
pub(crate) fn parse_float(decimal: &str) -> f64 {
    imp::parse_float(decimal)
}

/// A letter, mark or decimal digit: `/[\p{L}\p{M}\p{Nd}]/u`, as liquidjs's `slugify` keeps.
/// The host's RegExp answers exactly; natively Rust's alphabetic and numeric properties and the
/// combining-mark blocks stand in for it.
pub(crate) fn is_letter_mark_or_digit(c: char) -> bool {
    imp::is_letter_mark_or_digit(c)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use js_sys::{JsString, RegExp};

    pub(super) fn to_upper(s: &str) -> String {
        JsString::from(s).to_upper_case().into()
    }

    pub(super) fn to_lower(s: &str) -> String {
        JsString::from(s).to_lower_case().into()
    }

    pub(super) fn parse_float(decimal: &str) -> f64 {
        js_sys::Number::parse_float(decimal)
    }

    thread_local! {
        static WORD: RegExp = RegExp::new(r"^[\p{L}\p{M}\p{Nd}]$", "u");
    }

    pub(super) fn is_letter_mark_or_digit(c: char) -> bool {
        if c.is_ascii() {
            return c.is_ascii_alphanumeric();
        }
        let mut buf = [0; 4];
        WORD.with(|re| re.test(c.encode_utf8(&mut buf)))
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub(super) fn to_upper(s: &str) -> String {
        s.to_uppercase()
    }

    pub(super) fn to_lower(s: &str) -> String {
        s.to_lowercase()
    }

    pub(super) fn parse_float(decimal: &str) -> f64 {
        decimal.parse().unwrap_or(f64::NAN)
    }

    pub(super) fn is_letter_mark_or_digit(c: char) -> bool {
        c.is_alphabetic()
            || c.is_numeric()
            || matches!(c, '\u{300}'..='\u{36F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_mapping_is_javascripts() {
        assert_eq!(to_upper("straße"), "STRASSE");
        assert_eq!(to_lower("ΟΔΟΣ"), "οδος");
        assert_eq!(upper_char('é'), Some('É'));
        assert_eq!(upper_char('ß'), None);
        let lone = [0xD800, u16::from(b'a')];
        assert_eq!(change_case_utf16(&lone, true), [0xD800, u16::from(b'A')]);
    }

    #[test]
    fn words_are_letters_marks_and_digits() {
        assert!(is_letter_mark_or_digit('é'));
        assert!(is_letter_mark_or_digit('\u{301}'));
        assert!(is_letter_mark_or_digit('٣'));
        assert!(!is_letter_mark_or_digit('-'));
        assert!(!is_letter_mark_or_digit(' '));
    }
}
