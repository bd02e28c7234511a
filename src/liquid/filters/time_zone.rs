//! IANA time zones for the `date` filter: the offset of a named zone at an instant, as liquidjs
//! finds it through `Intl` (any name `Intl.DateTimeFormat` takes, in any letter case).
//!
//! On wasm32 the host's `Intl` answers: V8 in browsers, Node and workerd carries the time zone
//! database, so the wasm builds carry none. Natively (the CLI, the tests) `chrono-tz`'s copy of
//! the database answers.

/// Minutes the zone `name` is behind UTC at `ms` (JavaScript's `getTimezoneOffset` sign:
/// New York in winter is `300`); `None` when no zone has that name. `ms` is a valid time.
pub(super) fn offset_minutes(name: &str, ms: f64) -> Option<f64> {
    host::local_minus_utc_secs(name, ms).map(|secs| -secs / 60.0)
}

#[cfg(not(target_arch = "wasm32"))]
mod host {
    use chrono::{DateTime, Offset, TimeZone};

    pub(super) fn local_minus_utc_secs(name: &str, ms: f64) -> Option<f64> {
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
}

#[cfg(target_arch = "wasm32")]
mod host {
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::prelude::*;

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
    pub(super) fn local_minus_utc_secs(name: &str, ms: f64) -> Option<f64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const JAN: f64 = 1_704_067_200_000.0; // 2024-01-01T00:00:00Z
    const JUL: f64 = 1_719_792_000_000.0; // 2024-07-01T00:00:00Z

    #[test]
    fn named_zones_with_and_without_daylight_saving() {
        assert_eq!(offset_minutes("America/New_York", JAN), Some(300.0));
        assert_eq!(offset_minutes("america/new_york", JUL), Some(240.0));
        assert_eq!(offset_minutes("Europe/Berlin", JUL), Some(-120.0));
        assert_eq!(offset_minutes("Asia/Kolkata", JAN), Some(-330.0));
        assert_eq!(offset_minutes("Australia/Lord_Howe", JAN), Some(-660.0));
        assert_eq!(offset_minutes("UTC", JUL), Some(0.0));
        assert_eq!(offset_minutes("Etc/GMT+5", JUL), Some(300.0));
        assert_eq!(offset_minutes("US/Eastern", JAN), Some(300.0));
        assert_eq!(offset_minutes("Mars/Olympus", JAN), None);
        assert_eq!(offset_minutes("", JAN), None);
        // New York's local mean time before 1883: −4:56:02.
        assert_eq!(
            offset_minutes("America/New_York", -3e12),
            Some(296.0 + 2.0 / 60.0)
        );
        // Past chrono's calendar: no panic, an offset.
        assert!(offset_minutes("Europe/Berlin", 8.64e15).is_some());
        assert!(offset_minutes("Europe/Berlin", -8.64e15).is_some());
    }

    #[test]
    fn both_sides_of_a_change() {
        // New York springs forward at 2024-03-10T07:00:00Z.
        let change = 1_710_054_000_000.0;
        assert_eq!(
            offset_minutes("America/New_York", change - 1.0),
            Some(300.0)
        );
        assert_eq!(offset_minutes("America/New_York", change), Some(240.0));
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
