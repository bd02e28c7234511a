//! Timestamps: which values Segment's `datetime` fields accept, and their UTC
//! `toISOString` form (`2025-05-14T02:00:00.000Z`), which is what Nudge accepts.
//!
//! Segment accepts what `dayjs` accepts: numbers (epoch milliseconds), strings of digits
//! (Unix times), `YYYY[-MM[-DD]][ HH[:mm[:ss[.SSS]]]]` read as UTC with JavaScript's roll-over
//! of out-of-range parts, and otherwise whatever JavaScript's `Date.parse` reads ([`v8`]: ISO
//! 8601, RFC 2822, `toString` forms and V8's lenient legacy reading). Local time is UTC here,
//! as at the edge.

pub(crate) mod v8;

use crate::js;
use serde_json::Value;

/// Largest distance from the epoch a JS `Date` can hold, in milliseconds.
const MAX_TIME_MS: f64 = 8.64e15;

/// Milliseconds since the epoch for a `datetime` field value, or `None` when it is not a date.
pub fn parse_timestamp(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => time_clip(js::json_number_value(n)),
        Value::String(s) => parse_text(s),
        _ => None,
    }
}

/// `Date.prototype.toISOString()` for milliseconds since the epoch (any time a JS `Date` can
/// hold, ±8.64e15 ms, so years from −271821 to +275760).
pub fn to_iso_string(ms: i64) -> Option<String> {
    if ms.unsigned_abs() > MAX_TIME_MS as u64 {
        return None;
    }
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let year_text = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!(
            "{}{:06}",
            if year < 0 { '-' } else { '+' },
            year.unsigned_abs()
        )
    };
    Some(format!(
        "{year_text}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`month` 1–12).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day number (days since 1970-01-01): year, month 1–12, day 1–31.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// Normalises a `datetime` value to its UTC ISO form.
pub fn normalize(value: &Value) -> Option<String> {
    parse_timestamp(value).and_then(to_iso_string)
}

fn time_clip(ms: f64) -> Option<i64> {
    (ms.is_finite() && ms.abs() <= MAX_TIME_MS).then(|| ms.trunc() as i64)
}

/// Milliseconds since the epoch for a date string, or `None` when Segment would not take it.
pub fn parse_text(s: &str) -> Option<i64> {
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
    v8::parse(s).and_then(time_clip)
}

/// JS `MakeDay`: `month` is 0-based and may be out of range (it rolls into the year).
fn make_day(year: i64, month: i64, day: i64) -> Option<i64> {
    let y = year.checked_add(month.div_euclid(12))?;
    if y.abs() > 400_000 || day.abs() > 400_000_000 {
        return None;
    }
    Some(days_from_civil(y, month.rem_euclid(12) + 1, 1) + day - 1)
}

/// JS `new Date(y, m, d, h, mi, s, ms)` (with its roll-over) read as UTC.
fn make_date(
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
    let days = make_day(year, month, day)?;
    let t = days as f64 * 86_400_000.0
        + hour as f64 * 3_600_000.0
        + minute as f64 * 60_000.0
        + second as f64 * 1000.0
        + ms as f64;
    time_clip(t)
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
        set: |c| c == 'T' || c == 't' || c.is_whitespace() || c == '\u{feff}',
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
            || c.is_whitespace()
            || c == '\u{feff}'
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
    Some(make_date(
        year,
        month,
        day,
        num(4).unwrap_or(0),
        num(5).unwrap_or(0),
        num(6).unwrap_or(0),
        ms,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn iso(v: Value) -> Option<String> {
        normalize(&v)
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
        for days in [-1_000_000i64, -719_468, -1, 0, 59, 365, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, i64::from(m), i64::from(d)), days);
        }
    }

    #[test]
    fn prints_extended_years() {
        assert_eq!(
            to_iso_string(-62198755200000).as_deref(),
            Some("-000001-01-01T00:00:00.000Z")
        );
        assert_eq!(
            to_iso_string(253402300800000).as_deref(),
            Some("+010000-01-01T00:00:00.000Z")
        );
    }
}
