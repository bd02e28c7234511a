//! JavaScript's `Date` arithmetic on chrono's proleptic Gregorian calendar: `MakeDay`,
//! `MakeTime`, `MakeDate` with `TimeClip`, and `toISOString`.
//!
//! chrono's dates reach from year −262,143 to 262,142; JavaScript's from −271,821 to +275,760
//! (±8.64e15 ms around the epoch). The Gregorian calendar repeats itself every 400 years (146,097 days),
//! so a date beyond chrono's range is moved into it by whole 400-year cycles and its year moved
//! back afterwards: [`within_chrono`], the one place where the calendar is extended by hand.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};

/// The largest distance from the epoch a JavaScript `Date` holds (`TimeClip`), in ms.
pub const MAX_TIME_MS: i64 = 8_640_000_000_000_000;
const MS_PER_DAY: i64 = 86_400_000;
const CYCLE_YEARS: i64 = 400;
const CYCLE_DAYS: i64 = 146_097;
/// chrono counts days from 0001-01-01 (day 1); this is 1970-01-01 in that count.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// `at(n)` for a year or instant `n`; when `n` is beyond chrono's range (`at` gives `None`),
/// `at` of `n` moved by whole cycles of `cycle` (400 years, in the unit of `n`) into it, and
/// how many cycles were taken off.
fn within_chrono<T>(n: i64, cycle: i64, at: impl Fn(i64) -> Option<T>) -> Option<(T, i64)> {
    if let Some(value) = at(n) {
        return Some((value, 0));
    }
    let cycles = n.div_euclid(cycle);
    Some((at(n.checked_sub(cycles.checked_mul(cycle)?)?)?, cycles))
}

/// `MakeDay(year, month, day)`: days since 1970-01-01 of a date whose `month` is 0-based and
/// may be out of range (it rolls into the year) and whose `day` may be any number.
pub fn make_day(year: i64, month: i64, day: i64) -> Option<i64> {
    let year = year.checked_add(month.div_euclid(12))?;
    let month = u32::try_from(month.rem_euclid(12) + 1).ok()?;
    let (first, cycles) = within_chrono(year, CYCLE_YEARS, |year| {
        NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, 1)
    })?;
    let days = i64::from(first.num_days_from_ce()) - EPOCH_DAYS_FROM_CE;
    days.checked_add(cycles.checked_mul(CYCLE_DAYS)?)?
        .checked_add(day.checked_sub(1)?)
}

/// The date of a day number (days since 1970-01-01): year, month 1–12, day 1–31; `None`
/// beyond the range of a `Date`.
pub fn civil_from_days(days: i64) -> Option<(i64, u32, u32)> {
    let (date, cycles) = within_chrono(days, CYCLE_DAYS, |days| {
        NaiveDate::from_num_days_from_ce_opt(
            i32::try_from(days.checked_add(EPOCH_DAYS_FROM_CE)?).ok()?,
        )
    })?;
    Some((
        i64::from(date.year()) + cycles * CYCLE_YEARS,
        date.month(),
        date.day(),
    ))
}

/// `MakeTime(hour, minute, second, ms)`: milliseconds, any part out of its range.
pub fn make_time(hour: i64, minute: i64, second: i64, ms: i64) -> Option<i64> {
    hour.checked_mul(3_600_000)?
        .checked_add(minute.checked_mul(60_000)?)?
        .checked_add(second.checked_mul(1000)?)?
        .checked_add(ms)
}

/// `TimeClip(MakeDate(day, time))`: milliseconds since the epoch, or `None` (NaN) beyond the
/// range of a `Date`.
pub fn make_date(day: i64, time: i64) -> Option<i64> {
    let ms = day.checked_mul(MS_PER_DAY)?.checked_add(time)?;
    (ms.checked_abs()? <= MAX_TIME_MS).then_some(ms)
}

/// `TimeClip` of a number: its integer part, or `None` (NaN) beyond the range of a `Date`.
pub fn time_clip(ms: f64) -> Option<i64> {
    (ms.is_finite() && ms.abs() <= MAX_TIME_MS as f64).then(|| ms.trunc() as i64)
}

/// `Date.prototype.toISOString()`: `2025-05-14T02:00:00.000Z`, years outside 0–9999 as
/// `±YYYYYY`; `None` beyond the range of a `Date`.
pub fn to_iso_string(ms: i64) -> Option<String> {
    if ms.checked_abs()? > MAX_TIME_MS {
        return None;
    }
    let (at, cycles) = within_chrono(ms, CYCLE_DAYS * MS_PER_DAY, DateTime::from_timestamp_millis)?;
    let year = i64::from(at.year()) + cycles * CYCLE_YEARS;
    // Written digit by digit: this runs for every event the Worker takes (its `receivedAt`
    // and corrected `timestamp`) and every `datetime` field planned.
    let mut out = String::with_capacity(27);
    if (0..=9999).contains(&year) {
        push_digits(&mut out, year.unsigned_abs(), 4);
    } else {
        out.push(if year < 0 { '-' } else { '+' });
        push_digits(&mut out, year.unsigned_abs(), 6);
    }
    for (separator, value, width) in [
        ('-', at.month(), 2),
        ('-', at.day(), 2),
        ('T', at.hour(), 2),
        (':', at.minute(), 2),
        (':', at.second(), 2),
        ('.', at.timestamp_subsec_millis(), 3),
    ] {
        out.push(separator);
        push_digits(&mut out, u64::from(value), width);
    }
    out.push('Z');
    Some(out)
}

/// Appends `n` with at least `width` digits, zero-padded.
fn push_digits(out: &mut String, n: u64, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(n);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(digits);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Date.UTC(year, month, day)` as Node.js prints it, beyond chrono's years included.
    #[test]
    fn day_numbers_give_dates_across_the_whole_range() {
        for (year, month, day) in [
            (1970, 1, 1),
            (2024, 2, 29),
            (0, 1, 1),
            (-1, 12, 31),
            (275_760, 9, 13),
            (-271_821, 4, 20),
            (262_143, 1, 1),
        ] {
            let days = make_day(year, i64::from(month) - 1, i64::from(day)).unwrap();
            assert_eq!(civil_from_days(days), Some((year, month, day)));
        }
    }

    #[test]
    fn days_match_javascript_across_the_whole_range() {
        for (year, month, day, ms) in [
            (1970, 0, 1, 0),
            (2024, 1, 29, 1_709_164_800_000),
            (2025, 12, 1, 1_767_225_600_000), // month 12 rolls into 2026
            (2025, -1, 1, 1_733_011_200_000), // month −1 is December 2024
            (2025, 0, 0, 1_735_603_200_000),  // day 0 is the last of the month before
            (0, 0, 1, -62_167_219_200_000),
            (-1, 0, 1, -62_198_755_200_000),
            (262_142, 11, 31, 8_210_266_790_400_000), // chrono's last year
            (262_143, 0, 1, 8_210_266_876_800_000),   // beyond it
            (275_760, 8, 13, 8_640_000_000_000_000),
            (-262_143, 0, 1, -8_334_601_228_800_000), // chrono's first year
            (-262_144, 11, 31, -8_334_601_315_200_000), // before it
            (-271_821, 3, 20, -8_640_000_000_000_000),
        ] {
            let got = make_day(year, month, day).and_then(|d| make_date(d, 0));
            assert_eq!(got, Some(ms), "{year}-{month}-{day}");
        }
        assert_eq!(make_day(275_760, 8, 14).and_then(|d| make_date(d, 0)), None);
        assert_eq!(make_day(i64::MAX, 11, 1), None);
        assert_eq!(
            make_day(-1_000_000_000, 0, 1).and_then(|d| make_date(d, 0)),
            None
        );
    }

    #[test]
    fn prints_iso_strings_like_javascript() {
        for (ms, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (1_747_188_000_000, "2025-05-14T02:00:00.000Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
            (-62_198_755_200_000, "-000001-01-01T00:00:00.000Z"),
            (8_210_266_876_799_999, "+262142-12-31T23:59:59.999Z"),
            (8_210_266_876_800_000, "+262143-01-01T00:00:00.000Z"),
            (-8_334_601_228_800_000, "-262143-01-01T00:00:00.000Z"),
            (-8_334_601_228_800_001, "-262144-12-31T23:59:59.999Z"),
            (8_640_000_000_000_000, "+275760-09-13T00:00:00.000Z"),
            (-8_640_000_000_000_000, "-271821-04-20T00:00:00.000Z"),
        ] {
            assert_eq!(to_iso_string(ms).as_deref(), Some(text), "{ms}");
        }
        assert_eq!(to_iso_string(8_640_000_000_000_001), None);
        assert_eq!(to_iso_string(i64::MIN), None);
    }

    #[test]
    fn clips_times() {
        assert_eq!(time_clip(1.9), Some(1));
        assert_eq!(time_clip(-1.9), Some(-1));
        assert_eq!(time_clip(8.64e15), Some(MAX_TIME_MS));
        assert_eq!(time_clip(8.64e15 + 1.0), None);
        assert_eq!(time_clip(f64::NAN), None);
        assert_eq!(make_time(24, 0, 0, 0), Some(MS_PER_DAY));
        assert_eq!(make_time(i64::MAX, 0, 0, 0), None);
    }
}
