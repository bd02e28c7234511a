//! What the host does for us. Unicode case mapping and character properties are tables of
//! tens of kilobytes in Rust's standard library, exact decimal reading needs arbitrary
//! precision, and time zones a database; in wasm32 the JavaScript engine running us already
//! has all of them, and Segment runs on such an engine, so asking it gives Segment's results
//! and keeps them out of the wasm. Native builds (CLI, tests) use Rust's own implementations
//! (and `chrono-tz`), which follow the same standards. This is the only module with such a
//! seam.

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
/// [`crate::js::number::parse_decimal`] cannot compute exactly by itself: many digits or a large
/// exponent need arbitrary precision, which the host has.
pub(crate) fn parse_float(decimal: &str) -> f64 {
    imp::parse_float(decimal)
}

/// Seconds the zone `name` (any IANA name `Intl.DateTimeFormat` takes, in any letter case) is
/// ahead of UTC at `ms`, a valid time; `None` when no zone has that name.
pub(crate) fn zone_offset_secs(name: &str, ms: f64) -> Option<f64> {
    imp::zone_offset_secs(name, ms)
}

/// A letter, mark or decimal digit: `/[\p{L}\p{M}\p{Nd}]/u`, as liquidjs's `slugify` keeps.
/// The host's RegExp answers exactly; natively Rust's alphabetic and numeric properties and the
/// combining-mark blocks stand in for it.
pub(crate) fn is_letter_mark_or_digit(c: char) -> bool {
    imp::is_letter_mark_or_digit(c)
}

/// Seconds east of UTC in an `Intl` `longOffset` name: `GMT` is 0, `GMT+05:30` 19,800.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn parse_gmt_offset(text: &str) -> Option<f64> {
    let rest = text.strip_prefix("GMT")?;
    if rest.is_empty() {
        return Some(0.0);
    }
    let (sign, hms) = match rest.chars().next()? {
        '+' => (1.0, &rest[1..]),
        '-' | '\u{2212}' => (-1.0, &rest[rest.chars().next()?.len_utf8()..]),
        _ => return None,
    };
    let mut secs = 0.0;
    let mut unit = 3600.0;
    for field in hms.split(':') {
        secs += field.parse::<u8>().ok().map(f64::from)? * unit;
        unit /= 60.0;
    }
    Some(sign * secs)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use js_sys::{Array, JsString, Object, Reflect, RegExp};
    use wasm_bindgen::prelude::*;

    pub(super) fn to_upper(s: &str) -> String {
        JsString::from(s).to_upper_case().into()
    }

    pub(super) fn to_lower(s: &str) -> String {
        JsString::from(s).to_lower_case().into()
    }

    pub(super) fn parse_float(decimal: &str) -> f64 {
        js_sys::Number::parse_float(decimal)
    }

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
        type ZoneFormat;

        /// `new Intl.DateTimeFormat(locale, options)`; a RangeError for an unknown zone.
        #[wasm_bindgen(catch, constructor, js_namespace = Intl, js_class = "DateTimeFormat")]
        fn new(locale: &str, options: &Object) -> Result<ZoneFormat, JsValue>;

        #[wasm_bindgen(method, js_name = formatToParts)]
        fn format_to_parts(this: &ZoneFormat, ms: f64) -> Array;
    }

    /// The zone's offset from its `longOffset` name (`GMT`, `GMT-05:00`, `GMT-04:56:02`).
    pub(super) fn zone_offset_secs(name: &str, ms: f64) -> Option<f64> {
        let options = Object::new();
        Reflect::set(&options, &"timeZone".into(), &name.into()).ok()?;
        Reflect::set(&options, &"timeZoneName".into(), &"longOffset".into()).ok()?;
        let format = ZoneFormat::new("en-US", &options).ok()?;
        let parts = format.format_to_parts(ms);
        let text = parts.iter().find_map(|part| {
            let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
            (kind == "timeZoneName")
                .then(|| Reflect::get(&part, &"value".into()).ok()?.as_string())
                .flatten()
        })?;
        super::parse_gmt_offset(&text)
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

    pub(super) fn zone_offset_secs(name: &str, ms: f64) -> Option<f64> {
        use chrono::{DateTime, Offset, TimeZone};
        let tz = chrono_tz::Tz::from_str_insensitive(name).ok()?;
        // Times past chrono's calendar (±262,143 years) take the offset at its ends.
        let (min, max) = (
            DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis(),
            DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis(),
        );
        let at = DateTime::from_timestamp_millis((ms as i64).clamp(min, max))?;
        let secs = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
        Some(f64::from(secs.local_minus_utc()))
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

    #[test]
    fn gmt_offsets() {
        assert_eq!(parse_gmt_offset("GMT"), Some(0.0));
        assert_eq!(parse_gmt_offset("GMT+05:30"), Some(19_800.0));
        assert_eq!(parse_gmt_offset("GMT\u{2212}04:56:02"), Some(-17_762.0));
        assert_eq!(parse_gmt_offset("GMT+"), None);
        assert_eq!(parse_gmt_offset("UTC"), None);
        assert_eq!(parse_gmt_offset("GMT+5x"), None);
    }
}
