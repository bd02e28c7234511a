//! Timestamps: which values Segment's `datetime` fields accept, and their UTC
//! `toISOString` form (`2025-05-14T02:00:00.000Z`), which is what Nudge accepts.
//!
//! Segment accepts what `dayjs` accepts: numbers (epoch milliseconds), strings of digits
//! (epoch seconds, or milliseconds when 13 digits long), `YYYY[-MM[-DD]][ HH[:mm[:ss[.SSS]]]]`
//! read as UTC with JavaScript's roll-over of out-of-range parts, and otherwise what
//! JavaScript's `Date` parses: ISO 8601 with `Z` or an offset, and the common RFC 2822 /
//! `Date.prototype.toString` forms. Local time is UTC here, as at the edge.

use crate::js;
use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use serde_json::Value;

/// Largest distance from the epoch a JS `Date` can hold, in milliseconds.
const MAX_TIME_MS: f64 = 8.64e15;

/// Milliseconds since the epoch for a `datetime` field value, or `None` when it is not a date.
pub fn parse_timestamp(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => time_clip(js::json_number_value(n)),
        Value::String(s) => parse_date_string(s),
        _ => None,
    }
}

/// `Date.prototype.toISOString()` for milliseconds since the epoch.
pub fn to_iso_string(ms: i64) -> Option<String> {
    let dt = DateTime::from_timestamp_millis(ms)?;
    let year = dt.year();
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
        "{year_text}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.timestamp_subsec_millis()
    ))
}

/// Normalises a `datetime` value to its UTC ISO form.
pub fn normalize(value: &Value) -> Option<String> {
    parse_timestamp(value).and_then(to_iso_string)
}

fn time_clip(ms: f64) -> Option<i64> {
    (ms.is_finite() && ms.abs() <= MAX_TIME_MS).then(|| ms.trunc() as i64)
}

fn parse_date_string(s: &str) -> Option<i64> {
    // A string that is exactly a JS number's text: epoch seconds (13 digits: milliseconds).
    let n = js::string_to_number(s);
    if !s.is_empty() && js::number_to_string(n) == s {
        return time_clip(if s.len() == 13 { n } else { n * 1000.0 });
    }
    if !s.ends_with(['Z', 'z']) {
        if let Some(ms) = parse_dayjs_pattern(s) {
            return ms;
        }
    }
    parse_iso(s).or_else(|| parse_legacy(s))
}

fn days_from_civil(year: i64, month: i64, day: i64) -> Option<i64> {
    // month is 0-based and may be out of range; it rolls into the year like JS `MakeDay`.
    let y = year.checked_add(month.div_euclid(12))?;
    let m = month.rem_euclid(12) as u32 + 1;
    let first = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, 1)?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some((first - epoch).num_days() + day - 1)
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
    let days = days_from_civil(year, month, day)?;
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

/// Reads exactly `n` ASCII digits.
fn digits(s: &str, n: usize) -> Option<(i64, &str)> {
    let head = s.get(..n)?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, &s[n..]))
}

/// The ECMAScript date-time string format: `YYYY[-MM[-DD]][THH:mm[:ss[.sss]]][Z|±HH:mm]`,
/// years also as `±YYYYYY`. Date-only forms are UTC.
fn parse_iso(s: &str) -> Option<i64> {
    let (year, mut rest) = match s.as_bytes().first()? {
        b'+' | b'-' => {
            let (y, rest) = digits(&s[1..], 6)?;
            if s.starts_with('-') && y == 0 {
                return None;
            }
            (if s.starts_with('-') { -y } else { y }, rest)
        }
        _ => digits(s, 4)?,
    };
    let part = |rest: &mut &str, sep: char| -> Option<Option<i64>> {
        match rest.strip_prefix(sep) {
            Some(after) => {
                let (v, r) = digits(after, 2)?;
                *rest = r;
                Some(Some(v))
            }
            None => Some(None),
        }
    };
    let month = part(&mut rest, '-')?;
    let day = if month.is_some() {
        part(&mut rest, '-')?
    } else {
        None
    };
    let (month, day) = (month.unwrap_or(1), day.unwrap_or(1));
    let (mut hour, mut minute, mut second, mut ms) = (0, 0, 0, 0);
    let has_time = rest.starts_with('T');
    if has_time {
        let (h, r) = digits(&rest[1..], 2)?;
        let r = r.strip_prefix(':')?;
        let (m, r) = digits(r, 2)?;
        (hour, minute, rest) = (h, m, r);
        if let Some(after) = rest.strip_prefix(':') {
            let (sec, r) = digits(after, 2)?;
            (second, rest) = (sec, r);
            if let Some(after) = rest.strip_prefix(['.', ',']) {
                let len = after.bytes().take_while(u8::is_ascii_digit).count();
                if len == 0 {
                    return None;
                }
                let frac: String = after[..len].chars().chain("000".chars()).take(3).collect();
                (ms, rest) = (frac.parse().ok()?, &after[len..]);
            }
        }
    }
    let offset_min = match rest {
        "" => 0,
        "Z" if has_time => 0,
        _ if has_time && (rest.starts_with('+') || rest.starts_with('-')) => {
            let (h, r) = digits(&rest[1..], 2)?;
            let (m, r) = digits(r.strip_prefix(':')?, 2)?;
            if !r.is_empty() || h > 23 || m > 59 {
                return None;
            }
            if rest.starts_with('-') {
                -(h * 60 + m)
            } else {
                h * 60 + m
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || minute > 59 || second > 59 {
        return None;
    }
    if hour > 24 || (hour == 24 && (minute, second, ms) != (0, 0, 0)) {
        return None;
    }
    // Days past the month's end roll over, as in V8.
    let local = make_date_exact(year, month - 1, day, hour, minute, second, ms)?;
    time_clip(local as f64 - offset_min as f64 * 60_000.0)
}

fn make_date_exact(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    ms: i64,
) -> Option<i64> {
    let days = days_from_civil(year, month, day)?;
    Some(days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// The forms JavaScript's `Date` reads outside ISO 8601, for example
/// `Wed, 14 May 2025 07:30:00 GMT`, `May 14, 2025 07:30`, `Wed May 14 2025 07:30:00 GMT+0200`.
fn parse_legacy(s: &str) -> Option<i64> {
    let mut year = None;
    let mut month = None;
    let mut day = None;
    let mut time = (0i64, 0i64, 0i64);
    let mut offset_min = 0i64;
    let cleaned = s.replace(',', " ");
    let cleaned = match cleaned.find('(') {
        Some(i) => cleaned[..i].to_string(),
        None => cleaned,
    };
    for word in cleaned.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        if let Some(i) = MONTHS.iter().position(|m| lower.starts_with(m)) {
            month = Some(i as i64);
        } else if DAYS.iter().any(|d| lower.starts_with(d))
            || matches!(lower.as_str(), "gmt" | "utc" | "z")
        {
            // Weekday names and the UTC zone names add nothing.
        } else if let Some(rest) = lower
            .strip_prefix("gmt")
            .or_else(|| lower.strip_prefix("utc"))
        {
            offset_min = parse_offset(rest)?;
        } else if word.starts_with(['+', '-']) && word.len() == 5 {
            offset_min = parse_offset(word)?;
        } else if word.contains(':') {
            let parts: Vec<i64> = word
                .split(':')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            match parts.as_slice() {
                [h, m] if *h < 24 && *m < 60 => time = (*h, *m, 0),
                [h, m, sec] if *h < 24 && *m < 60 && *sec < 60 => time = (*h, *m, *sec),
                _ => return None,
            }
        } else if word.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = word.parse().ok()?;
            if day.is_none() && word.len() <= 2 && (1..=31).contains(&n) {
                day = Some(n);
            } else if year.is_none() {
                year = Some(if word.len() <= 2 {
                    if n < 50 {
                        2000 + n
                    } else {
                        1900 + n
                    }
                } else {
                    n
                });
            } else {
                return None;
            }
        } else {
            return None;
        }
    }
    let (year, month, day) = (year?, month?, day?);
    let local = make_date_exact(year, month, day, time.0, time.1, time.2, 0)?;
    time_clip(local as f64 - offset_min as f64 * 60_000.0)
}

fn parse_offset(text: &str) -> Option<i64> {
    let sign = match text.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i64 = digits[..2].parse().ok()?;
    let m: i64 = digits[2..].parse().ok()?;
    Some(sign * (h * 60 + m))
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
        assert_eq!(iso(json!("2025-05-14T07:30:00z")).as_deref(), None);
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
