//! Timestamps: which values Segment's `datetime` fields accept, and their UTC
//! `toISOString` form (`2025-05-14T02:00:00.000Z`), which is what Nudge accepts.
//!
//! Segment accepts what `dayjs` accepts: numbers (epoch milliseconds), strings of digits
//! (Unix times), `YYYY[-MM[-DD]][ HH[:mm[:ss[.SSS]]]]` read as UTC with JavaScript's roll-over
//! of out-of-range parts, and otherwise whatever JavaScript's `Date.parse` reads
//! (`datetime/v8.rs`: ISO 8601, RFC 2822, `toString` forms and V8's lenient legacy reading).
//! Local time is UTC here, as at the edge. Both readers compute dates on chrono's calendar
//! (`datetime/calendar.rs`), which also prints the ISO form.

mod calendar;
pub(crate) mod v8;

use crate::js;
pub(crate) use calendar::civil_from_days;
pub(crate) use calendar::time_clip;
pub use calendar::to_iso_string;
use calendar::{make_date, make_day, make_time};
use serde_json::Value;
pub use v8::parse as date_parse;

/// Milliseconds since the epoch for a `datetime` field value, or `None` when it is not a date.
pub fn parse_timestamp(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => time_clip(js::json_number_value(n)),
        Value::String(s) => parse_text(s),
        _ => None,
    }
}

/// Normalises a `datetime` value to its UTC ISO form.
pub fn normalize(value: &Value) -> Option<String> {
    parse_timestamp(value).and_then(to_iso_string)
}

/// Milliseconds since the epoch for a date string, or `None` when Segment would not take it.
pub fn parse_text(s: &str) -> Option<i64> {
    // The forms Segment's libraries send and the Worker writes, read without the general
    // parser, which gives the same for them.
    if let Some(ms) = iso_ms(s) {
        return Some(ms);
    }
    // A string that is exactly a JS number's text is a Unix time. Segment accepts it when it is
    // a valid time in seconds; 13 digits are read as milliseconds (what such values are).
    let n = js::string_to_number(s);
    if !s.is_empty() && js::number_to_string(n) == s {
        time_clip(n * 1000.0)?;
        return time_clip(if s.len() == 13 { n } else { n * 1000.0 });
    }
    if !s.ends_with(['Z', 'z']) {
        if let Some(ms) = parse_dayjs_pattern(s) {
            return ms;
        }
    }
    date_parse(s)
}

/// JS `new Date(year, month, day, hour, minute, second, ms)` (0-based month, every part
/// rolling over, years 0–99 being 1900–1999) read as UTC.
fn new_date(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    ms: i64,
) -> Option<i64> {
    let year = if (0..=99).contains(&year) {
        1900 + year
    } else {
        year
    };
    make_date(
        make_day(year, month, day)?,
        make_time(hour, minute, second, ms)?,
    )
}

/// One step of dayjs's date pattern
/// `^(\d{4})[-/]?(\d{1,2})?[-/]?(\d{0,2})[Tt\s]*(\d{1,2})?:?(\d{1,2})?:?(\d{1,2})?[.:]?(\d+)?$`.
#[derive(Clone, Copy)]
enum Step {
    /// Digits, greedy, `min..=max` of them, stored in capture `slot` (absent when `optional`
    /// and skipped).
    Digits {
        min: usize,
        max: usize,
        slot: usize,
        optional: bool,
    },
    /// Characters from a set, greedy, at most `max` of them.
    Chars { set: fn(char) -> bool, max: usize },
}

const DAYJS_PATTERN: [Step; 13] = [
    Step::Digits {
        min: 4,
        max: 4,
        slot: 1,
        optional: false,
    },
    Step::Chars {
        set: |c| c == '-' || c == '/',
        max: 1,
    },
    Step::Digits {
        min: 1,
        max: 2,
        slot: 2,
        optional: true,
    },
    Step::Chars {
        set: |c| c == '-' || c == '/',
        max: 1,
    },
    Step::Digits {
        min: 0,
        max: 2,
        slot: 3,
        optional: false,
    },
    Step::Chars {
        set: |c| c == 'T' || c == 't' || js::is_space_or_line_end(c),
        max: usize::MAX,
    },
    Step::Digits {
        min: 1,
        max: 2,
        slot: 4,
        optional: true,
    },
    Step::Chars {
        set: |c| c == ':',
        max: 1,
    },
    Step::Digits {
        min: 1,
        max: 2,
        slot: 5,
        optional: true,
    },
    Step::Chars {
        set: |c| c == ':',
        max: 1,
    },
    Step::Digits {
        min: 1,
        max: 2,
        slot: 6,
        optional: true,
    },
    Step::Chars {
        set: |c| c == '.' || c == ':',
        max: 1,
    },
    Step::Digits {
        min: 1,
        max: usize::MAX,
        slot: 7,
        optional: true,
    },
];

/// Matches `chars[pos..]` against `steps` with a regular expression's greedy backtracking;
/// captures are digit runs (`None` when an optional group was skipped).
fn match_steps(
    steps: &[Step],
    chars: &[char],
    pos: usize,
    caps: &mut [Option<(usize, usize)>; 8],
) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return pos == chars.len();
    };
    match *step {
        Step::Chars { set, max } => {
            let available = chars[pos..]
                .iter()
                .take_while(|c| set(**c))
                .count()
                .min(max);
            (0..=available)
                .rev()
                .any(|n| match_steps(rest, chars, pos + n, caps))
        }
        Step::Digits {
            min,
            max,
            slot,
            optional,
        } => {
            let available = chars[pos..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count()
                .min(max);
            for n in (min..=available).rev() {
                caps[slot] = Some((pos, pos + n));
                if match_steps(rest, chars, pos + n, caps) {
                    return true;
                }
            }
            caps[slot] = None;
            optional && match_steps(rest, chars, pos, caps)
        }
    }
}

/// dayjs's own pattern; `Some(None)` when it matches but gives no valid date.
fn parse_dayjs_pattern(s: &str) -> Option<Option<i64>> {
    // The pattern has no other characters: anything else (`+`, `Z`, letters) cannot match, and
    // is ruled out here before any backtracking.
    let possible = |c: char| {
        c.is_ascii_digit()
            || matches!(c, '-' | '/' | ':' | '.' | 'T' | 't')
            || js::is_space_or_line_end(c)
    };
    if !s.starts_with(|c: char| c.is_ascii_digit()) || !s.chars().all(possible) {
        return None;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut caps = [None; 8];
    if !match_steps(&DAYJS_PATTERN, &chars, 0, &mut caps) {
        return None;
    }
    let text = |i: usize| {
        caps[i]
            .map(|(a, b)| chars[a..b].iter().collect::<String>())
            .filter(|t| !t.is_empty())
    };
    let num = |i: usize| text(i).and_then(|t| t.parse::<i64>().ok());
    let year = num(1)?;
    let month = num(2).map_or(0, |m| m - 1);
    let day = num(3).unwrap_or(1);
    let ms = text(7).map_or(0, |t| {
        t.chars()
            .take(3)
            .collect::<String>()
            .parse::<i64>()
            .unwrap_or(0)
    });
    Some(new_date(
        year,
        month,
        day,
        num(4).unwrap_or(0),
        num(5).unwrap_or(0),
        num(6).unwrap_or(0),
        ms,
    ))
}

/// Whether `s` is already a date in `toISOString` form (`2025-05-14T02:00:00.000Z`, a real
/// day and time): then it is its own normal form, and parsing it again would give it back.
pub fn is_iso_string(s: &str) -> bool {
    iso_fields(s).is_some()
}

/// The time of an ISO date-time as Segment's libraries write them: `toISOString`'s form, with
/// any number of fraction digits or none (`.123456` from Python's SDK; milliseconds are its
/// first three, as V8 reads them), and `Z` or a `±HH:MM` offset. `None` for anything else,
/// which the general parser reads as V8 does.
fn iso_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // `YYYY-MM-DDTHH:MM:SS`, then the fraction.
    let mut full = *b"0000-00-00T00:00:00.000Z";
    full[..19].copy_from_slice(b.get(..19)?);
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        for (i, &d) in b[at + 1..at + 1 + digits.min(3)].iter().enumerate() {
            full[20 + i] = d;
        }
        at += 1 + digits;
    }
    let offset_minutes = match &b[at..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let (hours, minutes) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let minutes = hours * 60 + minutes;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let [year, month, day, hour, minute, second, ms] =
        iso_fields(std::str::from_utf8(&full).ok()?)?;
    let local = make_date(
        make_day(year, month - 1, day)?,
        make_time(hour, minute, second, ms)?,
    )?;
    time_clip(local.checked_sub(offset_minutes * 60_000)? as f64)
}

/// The year, month (1–12), day, hour, minute, second and millisecond of a date in
/// `toISOString` form with a real day and time, years 0000–9999; `None` for anything else.
fn iso_fields(s: &str) -> Option<[i64; 7]> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        b.get(range)?.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let shape = b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z';
    if !shape {
        return None;
    }
    let fields = [
        digits(0..4)?,
        digits(5..7)?,
        digits(8..10)?,
        digits(11..13)?,
        digits(14..16)?,
        digits(17..19)?,
        digits(20..23)?,
    ];
    let [year, month, day, hour, minute, second, _] = fields;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    ((1..=12).contains(&month)
        && (1..=month_days).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60)
        .then_some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn iso(v: Value) -> Option<String> {
        normalize(&v)
    }

    #[test]
    fn iso_strings_read_as_the_general_parser_reads_them() {
        // Spread over years 0000–9999 (a multiplicative step visits every part of the range).
        let (first, last) = (-62_167_219_200_000_i64, 253_402_300_799_999_i64);
        let mut ms = first;
        while ms <= last {
            let iso = to_iso_string(ms).unwrap();
            assert_eq!(parse_text(&iso), Some(ms), "{iso}");
            assert_eq!(date_parse(&iso), Some(ms), "{iso}");
            // Without its milliseconds, to the second; with more digits, or an offset.
            for form in [
                format!("{}456Z", &iso[..23]),
                format!("{}.1Z", &iso[..19]),
                format!("{}+05:30", &iso[..23]),
                format!("{}123-08:00", &iso[..23]),
                format!("{}+00:00", &iso[..19]),
                format!("{}-23:59", &iso[..19]),
                format!("{}+24:00", &iso[..23]),
                format!("{}.Z", &iso[..19]),
                format!("{}+0530", &iso[..23]),
            ] {
                assert_eq!(parse_text(&form), date_parse(&form), "{form}");
            }
            let seconds = format!("{}Z", &iso[..19]);
            assert_eq!(parse_text(&seconds), date_parse(&seconds), "{seconds}");
            assert_eq!(
                parse_text(&seconds),
                Some(ms - ms.rem_euclid(1000)),
                "{seconds}"
            );
            ms += 7_919_993_331_117;
        }
        // Not a real day: left to the general parser, which rolls it over as V8 does.
        assert!(!is_iso_string("2025-02-30T00:00:00.000Z"));
        assert_eq!(
            parse_text("2025-02-30T00:00:00.000Z"),
            Some(1_740_873_600_000)
        );
    }

    #[test]
    fn normalises_to_utc_iso() {
        assert_eq!(
            iso(json!("2025-05-14T07:30:00+05:30")).as_deref(),
            Some("2025-05-14T02:00:00.000Z")
        );
        assert_eq!(
            iso(json!("2025-05-14T07:30:00-08:00")).as_deref(),
            Some("2025-05-14T15:30:00.000Z")
        );
        assert_eq!(
            iso(json!("2025-05-14T07:30:00.5+01:00")).as_deref(),
            Some("2025-05-14T06:30:00.500Z")
        );
        assert_eq!(
            iso(json!("2024-02-29T23:59:59.999Z")).as_deref(),
            Some("2024-02-29T23:59:59.999Z")
        );
        assert_eq!(
            iso(json!("2025-05-14")).as_deref(),
            Some("2025-05-14T00:00:00.000Z")
        );
        assert_eq!(
            iso(json!(1715672000000i64)).as_deref(),
            Some("2024-05-14T07:33:20.000Z")
        );
        assert_eq!(
            iso(json!("2025-05-14 07:30")).as_deref(),
            Some("2025-05-14T07:30:00.000Z")
        );
        assert_eq!(
            iso(json!("Wed, 14 May 2025 07:30:00 GMT")).as_deref(),
            Some("2025-05-14T07:30:00.000Z")
        );
        assert_eq!(
            iso(json!("May 14, 2025 07:30:00 +0200")).as_deref(),
            Some("2025-05-14T05:30:00.000Z")
        );
        assert_eq!(
            iso(json!("1715672000")).as_deref(),
            Some("2024-05-14T07:33:20.000Z")
        );
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in [
            json!("not a date"),
            json!("2025-13-01T00:00:00Z"),
            json!(""),
            json!(true),
            json!(null),
            json!(9e15),
            json!({}),
        ] {
            assert_eq!(iso(bad.clone()), None, "{bad}");
        }
    }

    #[test]
    fn follows_the_dayjs_pattern() {
        assert_eq!(
            iso(json!("2025-05-14T07:30:00.5")).as_deref(),
            Some("2025-05-14T07:30:00.005Z")
        );
        // A string that reads as a number is epoch seconds, even when it looks like a date.
        assert_eq!(
            iso(json!("20250514")).as_deref(),
            Some("1970-08-23T09:08:34.000Z")
        );
        assert_eq!(
            iso(json!("2025-05")).as_deref(),
            Some("2025-05-01T00:00:00.000Z")
        );
        assert_eq!(
            iso(json!("2025/5/1 7:3:2")).as_deref(),
            Some("2025-05-01T07:03:02.000Z")
        );
        assert_eq!(
            iso(json!("2025-05-14t0730")).as_deref(),
            Some("2025-05-14T07:30:00.000Z")
        );
        assert_eq!(
            iso(json!("2025-05-14T07:30:00z")).as_deref(),
            Some("2025-05-14T07:30:00.000Z")
        );
    }

    #[test]
    fn rolls_over_like_javascript() {
        assert_eq!(
            iso(json!("2025-02-30T00:00:00Z")).as_deref(),
            Some("2025-03-02T00:00:00.000Z")
        );
        assert_eq!(
            iso(json!("2025-13-01T00:00:00")).as_deref(),
            Some("2026-01-01T00:00:00.000Z")
        );
    }

    #[test]
    fn numeric_strings_are_unix_times_valid_in_seconds() {
        assert_eq!(
            iso(json!("1715672000000")).as_deref(),
            Some("2024-05-14T07:33:20.000Z")
        );
        assert_eq!(
            iso(json!("9999999999999")),
            None,
            "valid in milliseconds, not in seconds"
        );
        assert_eq!(iso(json!("2025-05-14T07:30:00,5Z")), None);
    }

    #[test]
    fn covers_the_whole_range_of_js_dates() {
        assert_eq!(
            iso(json!(8.64e15)).as_deref(),
            Some("+275760-09-13T00:00:00.000Z")
        );
        assert_eq!(
            iso(json!(-8.64e15)).as_deref(),
            Some("-271821-04-20T00:00:00.000Z")
        );
        assert_eq!(iso(json!(-1)).as_deref(), Some("1969-12-31T23:59:59.999Z"));
        assert_eq!(
            iso(json!("+262143-01-01T00:00:00Z")).as_deref(),
            Some("+262143-01-01T00:00:00.000Z"),
            "beyond chrono's years"
        );
    }

    #[test]
    fn iso_strings_are_their_own_normal_form() {
        for s in [
            "2025-05-14T02:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "0000-01-01T00:00:00.000Z",
        ] {
            assert!(is_iso_string(s), "{s}");
            assert_eq!(iso(Value::from(s)).as_deref(), Some(s));
        }
        for s in [
            "2025-02-29T00:00:00.000Z",
            "2025-05-14T24:00:00.000Z",
            "2025-05-14T02:00:00.000+00:00",
            "2025-05-14T02:00:00Z",
            "2025-13-01T00:00:00.000Z",
            "2025-05-14 02:00:00.000Z",
        ] {
            assert!(!is_iso_string(s), "{s}");
        }
    }
}
