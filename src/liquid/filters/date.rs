//! Date filters: `date` (strftime), `date_to_xmlschema`, `date_to_rfc822`, `date_to_string`,
//! `date_to_long_string`.
//!
//! Values are read as liquidjs reads them: numbers and strings of digits are Unix seconds,
//! `now`/`today` the current time, other strings go through JavaScript's `Date.parse` (the
//! core's re-implementation of V8's). Dates display in UTC, as Segment runs liquidjs, unless a
//! time zone argument is given: a number of minutes (liquidjs's sign: `-120` is UTC+2) or an
//! IANA zone name, whose offset at that instant comes from the time zone database
//! ([`super::time_zone`]); a name no zone has is an error.

use super::{arg, raw_arg, time_zone, Error};
use crate::datetime::{self, civil_from_days, v8};
use crate::host;
use crate::liquid::error::Code;
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::value::Value;

type Out<'d> = Result<Value<'d>, Error>;

const MS_PER_DAY: f64 = 86_400_000.0;
const DEFAULT_FORMAT: &str = "%A, %B %-e, %Y at %-l:%M %P %z";
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// JavaScript's `TimeClip`, as a number: NaN beyond ±8.64e15 ms, fractions cut off.
fn time_clip(ms: f64) -> f64 {
    datetime::time_clip(ms).map_or(f64::NAN, |ms| ms as f64)
}

/// `new Date(value)` for a value that is neither a number nor a string of digits.
fn new_date(v: &Value) -> Result<f64, Error> {
    Ok(match v.to_primitive()? {
        Value::Str(s) => v8::parse(&text::rust_string(&s)).map_or(f64::NAN, |ms| ms as f64),
        other => time_clip(other.to_number()?),
    })
}

/// liquidjs's `LiquidDate`: an instant and the wall clock it is shown in.
struct LiquidDate {
    /// The instant, in ms since the epoch.
    ms: f64,
    /// The shown wall-clock time, as ms since the epoch of a UTC clock.
    shown: f64,
    /// Minutes behind UTC (JavaScript's `getTimezoneOffset` sign); `None` when the number
    /// given was no number.
    offset: f64,
    /// The zone name given, if one was (`%Z` shows it).
    zone: Option<String>,
    /// Whether a time zone was given at all.
    fixed: bool,
}

impl LiquidDate {
    fn new(ms: f64, zone: &Value) -> Result<LiquidDate, Error> {
        let ms = time_clip(ms);
        let (offset, name, fixed) = match zone {
            Value::Undefined | Value::Null => (0.0, None, false),
            // An invalid date is no error whatever the zone (`toLocaleString` answers
            // "Invalid Date" before it reads the zone).
            Value::Str(_) if ms.is_nan() => (f64::NAN, None, true),
            Value::Str(s) => {
                let name = text::rust_string(s);
                let offset = time_zone::offset_minutes(&name, ms)
                    .ok_or_else(|| Code::TimeZone(name.clone()))?;
                (offset, Some(name), true)
            }
            other => (other.to_number()?, None, true),
        };
        Ok(LiquidDate {
            ms,
            shown: time_clip(ms - offset * 60_000.0),
            offset,
            zone: name,
            fixed,
        })
    }

    fn valid(&self) -> bool {
        !self.shown.is_nan()
    }
}

/// liquidjs's `parseDate`; `"now"` and `"today"` are `now_ms`.
fn parse_date(v: &Value, zone: &Value, now_ms: f64) -> Result<Option<LiquidDate>, Error> {
    let v = v.to_value();
    let ms = match &v {
        Value::Undefined | Value::Null => return Ok(None),
        Value::Number(n) => n * 1000.0,
        Value::Str(s) if **s == *text::utf16("now") || **s == *text::utf16("today") => now_ms,
        Value::Str(s) if !s.is_empty() && s.iter().all(|u| (0x30..=0x39).contains(u)) => {
            text::to_number(s) * 1000.0
        }
        other => new_date(other)?,
    };
    let date = LiquidDate::new(ms, zone)?;
    Ok(date.valid().then_some(date))
}

/// The shown calendar fields of a date.
struct Fields {
    year: i64,
    /// 0–11.
    month: usize,
    day: u32,
    /// 0 (Sunday) – 6.
    weekday: usize,
    hours: u32,
    minutes: u32,
    seconds: u32,
    millis: u32,
}

impl Fields {
    fn of(shown: f64) -> Fields {
        let days = (shown / MS_PER_DAY).floor();
        let in_day = (shown - days * MS_PER_DAY) as u32;
        // A date's time is within a `Date`'s range, which the calendar covers.
        let (year, month, day) = civil_from_days(days as i64).unwrap_or((1970, 1, 1));
        Fields {
            year,
            month: month as usize - 1,
            day,
            weekday: (days as i64 + 4).rem_euclid(7) as usize,
            hours: in_day / 3_600_000,
            minutes: in_day / 60_000 % 60,
            seconds: in_day / 1000 % 60,
            millis: in_day % 1000,
        }
    }

    /// liquidjs's leap-year test (which calls year 0 a common year).
    fn leap(&self) -> bool {
        let y = self.year;
        (y & 3) == 0 && (y % 100 != 0 || (y % 400 == 0 && y != 0))
    }

    fn day_of_year(&self) -> u32 {
        let feb = if self.leap() { 29 } else { 28 };
        let lengths = [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        lengths[..self.month].iter().sum::<u32>() + self.day
    }

    fn week_of_year(&self, start_day: usize) -> u32 {
        let since_start = (self.weekday + 7 - start_day) % 7;
        (self.day_of_year() + 6 - since_start as u32) / 7
    }

    fn hours12(&self) -> u32 {
        match self.hours % 12 {
            0 => 12,
            h => h,
        }
    }

    /// `toLocaleDateString()` in en-US: `3/5/2024` (years before 1 shown as BC years,
    /// without the era).
    fn locale_date(&self) -> String {
        let year = if self.year <= 0 {
            1 - self.year
        } else {
            self.year
        };
        format!("{}/{}/{}", self.month + 1, self.day, year)
    }

    /// `toLocaleTimeString()` in en-US: `2:07:09 PM`.
    fn locale_time(&self) -> String {
        let meridiem = if self.hours < 12 { "AM" } else { "PM" };
        format!(
            "{}:{:02}:{:02} {meridiem}",
            self.hours12(),
            self.minutes,
            self.seconds
        )
    }
}

/// `padStart`.
fn pad_start(s: &str, width: f64, pad: char) -> String {
    let len = s.encode_utf16().count() as f64;
    // NaN widths pad nothing, as in JavaScript.
    if width.partial_cmp(&len) != Some(std::cmp::Ordering::Greater) {
        return s.to_string();
    }
    let mut out: String = std::iter::repeat_n(pad, (width - len) as usize).collect();
    out.push_str(s);
    out
}

/// `%z`: `+0000`, `-0530`, with `:` between hours and minutes under the `:` flag.
fn offset_text(offset: f64, colon: bool) -> String {
    let abs = offset.abs();
    let sign = if offset > 0.0 { '-' } else { '+' };
    let h = crate::js::number_to_string((abs / 60.0).floor());
    let m = crate::js::number_to_string(crate::js::number::remainder(abs, 60.0));
    format!(
        "{sign}{}{}{}",
        pad_start(&h, 2.0, '0'),
        if colon { ":" } else { "" },
        pad_start(&m, 2.0, '0')
    )
}

/// One conversion `%[flags][width][E|O]c`, found at `at` (just after the `%`): its end and
/// its parts, as liquidjs's regular expression (with backtracking) finds them.
fn conversion_at(f: &[u16], at: usize) -> Option<(usize, String, Option<usize>, u16)> {
    let is_flag = |u: u16| b"-_0^#:".iter().any(|&c| u16::from(c) == u);
    let is_digit = |u: u16| (0x30..=0x39).contains(&u);
    let is_char = |u: Option<&u16>| u.is_some_and(|&u| !matches!(u, 0x0A | 0x0D | 0x2028 | 0x2029));
    let max_flags = f[at..].iter().take_while(|&&u| is_flag(u)).count();
    for flags in (0..=max_flags).rev() {
        let w_at = at + flags;
        let max_width = f[w_at..].iter().take_while(|&&u| is_digit(u)).count();
        for width in (0..=max_width).rev() {
            let m_at = w_at + width;
            let modifier =
                matches!(f.get(m_at), Some(&u) if u == u16::from(b'E') || u == u16::from(b'O'));
            for skip in [usize::from(modifier), 0] {
                let c_at = m_at + skip;
                if is_char(f.get(c_at)) {
                    let flag_text = text::rust_string(&f[at..w_at]);
                    let width_value = (width > 0).then(|| {
                        text::rust_string(&f[w_at..m_at])
                            .parse::<usize>()
                            .unwrap_or(usize::MAX)
                    });
                    return Some((c_at + 1, flag_text, width_value, f[c_at]));
                }
            }
        }
    }
    None
}

/// strftime as liquidjs implements it; padding is charged to the memory limit.
fn strftime(cx: &mut Context, date: &LiquidDate, format: &[u16]) -> Result<Vec<u16>, Error> {
    let d = Fields::of(date.shown);
    let mut out = Vec::new();
    let mut i = 0;
    while i < format.len() {
        if format[i] != u16::from(b'%') {
            out.push(format[i]);
            i += 1;
            continue;
        }
        let Some((end, flags, width, c)) = conversion_at(format, i + 1) else {
            out.push(format[i]);
            i += 1;
            continue;
        };
        let converted =
            char::from_u32(u32::from(c)).and_then(|c| convert(&d, date, c, width, &flags, cx));
        let Some(converted) = converted else {
            out.extend_from_slice(&format[i..end]);
            i = end;
            continue;
        };
        let (mut s, default_width, space_pad) = converted?;
        let mut pad = if space_pad { ' ' } else { '0' };
        let mut pad_width = width.map_or(default_width as f64, |w| w as f64);
        if flags.contains('^') {
            s = host::to_upper(&s);
        } else if flags.contains('#') {
            s = if s.chars().any(|c| c.is_ascii_lowercase()) {
                host::to_upper(&s)
            } else {
                host::to_lower(&s)
            };
        }
        if flags.contains('_') {
            pad = ' ';
        } else if flags.contains('0') {
            pad = '0';
        }
        if flags.contains('-') {
            pad_width = 0.0;
        }
        cx.charge(pad_width - s.encode_utf16().count() as f64)?;
        let padded = match s.strip_prefix('-') {
            Some(rest) if pad == '0' => format!("-{}", pad_start(rest, pad_width - 1.0, pad)),
            _ => pad_start(&s, pad_width, pad),
        };
        out.extend(padded.encode_utf16());
        i = end;
    }
    Ok(out)
}

/// The text of conversion `c`, its default width and whether it pads with spaces; `None`
/// for a letter that is no conversion (the directive then stays as written).
fn convert(
    d: &Fields,
    date: &LiquidDate,
    c: char,
    width: Option<usize>,
    flags: &str,
    cx: &mut Context,
) -> Option<Result<(String, usize, bool), Error>> {
    let n = |v: i64| v.to_string();
    let (s, default_width) = match c {
        'a' => (DAYS[d.weekday][..3].to_string(), 0),
        'A' => (DAYS[d.weekday].to_string(), 0),
        'b' | 'h' => (MONTHS[d.month][..3].to_string(), 0),
        'B' => (MONTHS[d.month].to_string(), 0),
        'c' => (format!("{}, {}", d.locale_date(), d.locale_time()), 0),
        'C' => (n(d.year.div_euclid(100)), 2),
        'd' => (n(d.day.into()), 2),
        'e' => (n(d.day.into()), 2),
        'H' => (n(d.hours.into()), 2),
        'I' => (n(d.hours12().into()), 2),
        'j' => (n(d.day_of_year().into()), 3),
        'k' => (n(d.hours.into()), 2),
        'l' => (n(d.hours12().into()), 2),
        'L' => (n(d.millis.into()), 3),
        'm' => (n(d.month as i64 + 1), 2),
        'M' => (n(d.minutes.into()), 2),
        'N' => {
            let w = width.filter(|&w| w > 0).unwrap_or(9);
            let mut s = format!("{:03}", d.millis);
            s.truncate(w);
            if let Err(e) = cx.charge(w as f64 - s.len() as f64) {
                return Some(Err(e));
            }
            (format!("{s:0<w$}"), 0)
        }
        'p' => ((if d.hours < 12 { "AM" } else { "PM" }).to_string(), 0),
        'P' => ((if d.hours < 12 { "am" } else { "pm" }).to_string(), 0),
        'q' => {
            let suffix = match (d.day, d.day % 10) {
                (11..=13, _) => "th",
                (_, 1) => "st",
                (_, 2) => "nd",
                (_, 3) => "rd",
                _ => "th",
            };
            (suffix.to_string(), 0)
        }
        's' => (crate::js::number_to_string((date.ms / 1000.0).floor()), 0),
        'S' => (n(d.seconds.into()), 2),
        'u' => (n(if d.weekday == 0 { 7 } else { d.weekday as i64 }), 0),
        'U' => (n(d.week_of_year(0).into()), 2),
        'w' => (n(d.weekday as i64), 0),
        'W' => (n(d.week_of_year(1).into()), 2),
        'x' => (d.locale_date(), 0),
        'X' => (d.locale_time(), 0),
        'y' => (n(d.year.rem_euclid(100)), 2),
        'Y' => (n(d.year), 4),
        'z' => (offset_text(date.offset, flags.contains(':')), 0),
        'Z' => match (&date.zone, date.fixed) {
            (Some(zone), true) if !zone.is_empty() => (zone.clone(), 0),
            (_, true) => (offset_text(date.offset, flags.contains(':')), 0),
            (_, false) => ("UTC".to_string(), 0),
        },
        't' => ("\t".to_string(), 0),
        'n' => ("\n".to_string(), 0),
        '%' => ("%".to_string(), 0),
        _ => return None,
    };
    Some(Ok((s, default_width, "aAbBceklpP".contains(c))))
}

/// Formats `v` with `format` in the zone `zone`, or gives `v` back when it is no date.
fn format_date<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    format: &[u16],
    zone: &Value<'d>,
) -> Out<'d> {
    match parse_date(&v, zone, cx.now_ms)? {
        Some(date) => Ok(Value::units(strftime(cx, &date, format)?)),
        None => Ok(v),
    }
}

/// `date`, `date: format`, `date: format, zone` (the default format is liquidjs's
/// `%A, %B %-e, %Y at %-l:%M %P %z`).
pub(crate) fn date<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let zone = raw_arg(args, 1);
    let length = |x: &Value| match x.length() {
        Value::Number(n) => n,
        _ => 0.0,
    };
    cx.charge(length(&v) + length(&zone))?;
    let Some(date) = parse_date(&v, &zone, cx.now_ms)? else {
        return Ok(v);
    };
    let format = match arg(args, 0).map(Value::to_value) {
        None | Some(Value::Null) => text::utf16(DEFAULT_FORMAT),
        Some(f) => f.stringify()?,
    };
    cx.charge(format.len() as f64)?;
    Ok(Value::units(strftime(cx, &date, &format)?))
}

/// `2024-03-05T14:07:09+00:00`.
pub(crate) fn date_to_xmlschema<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    _: &[Value<'d>],
) -> Out<'d> {
    date(cx, v, &[Value::str("%Y-%m-%dT%H:%M:%S%:z")])
}

/// `Tue, 05 Mar 2024 14:07:09 +0000`.
pub(crate) fn date_to_rfc822<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    _: &[Value<'d>],
) -> Out<'d> {
    format_date(
        cx,
        v,
        &text::utf16("%a, %d %b %Y %H:%M:%S %z"),
        &Value::Undefined,
    )
}

/// `05 Mar 2024`; `date_to_string: 'ordinal'` gives `5th Mar 2024`, and with `'US'`
/// `Mar 5th, 2024`.
pub(crate) fn date_to_string<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    args: &[Value<'d>],
) -> Out<'d> {
    stringify_date(cx, v, "%b", args)
}

/// `05 March 2024` (and the `ordinal` forms of `date_to_string`).
pub(crate) fn date_to_long_string<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    args: &[Value<'d>],
) -> Out<'d> {
    stringify_date(cx, v, "%B", args)
}

fn stringify_date<'d>(
    cx: &mut Context<'_, 'd>,
    v: Value<'d>,
    month: &str,
    args: &[Value<'d>],
) -> Out<'d> {
    let Some(date) = parse_date(&v, &Value::Undefined, cx.now_ms)? else {
        return Ok(v);
    };
    let is =
        |i: usize, s: &str| matches!(args.get(i), Some(Value::Str(a)) if **a == *text::utf16(s));
    let day = Fields::of(date.shown).day;
    let format = if is(0, "ordinal") {
        if is(1, "US") {
            format!("{month} {day}%q, %Y")
        } else {
            format!("{day}%q {month} %Y")
        }
    } else {
        format!("%d {month} %Y")
    };
    Ok(Value::units(strftime(cx, &date, &text::utf16(&format))?))
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn formats() {
        check(&[
            ("{{ ts | date: '%Y-%m-%d %H:%M:%S.%L' }}", "2024-03-05 14:07:09.123"),
            ("{{ ts | date }}", "Tuesday, March 5, 2024 at 2:07 pm +0000"),
            ("{{ ts | date: '%c|%x|%X|%Z|%z|%:z|%N|%3N|%s' }}", "3/5/2024, 2:07:09 PM|3/5/2024|2:07:09 PM|UTC|+0000|+00:00|123000000|123|1709647629"),
            ("{{ ts | date: '%a %A %b %B %h %C %e %j %k %l %I %p %P %u %w %U %W %y %q' }}", "Tue Tuesday Mar March Mar 20  5 065 14  2 02 PM pm 2 2 09 10 24 th"),
            ("{{ ts | date: '%^a %#B %-d %_m %010Y %%' }}", "TUE MARCH 5  3 0000002024 %"),
            ("{{ ts | date: '%Q %5 %E' }}", "%Q %5 %E"),
        ]);
    }

    #[test]
    fn reads_values_like_liquidjs() {
        check(&[
            ("{{ 1709647629 | date: '%F %T %Y' }}", "%F %T 2024"),
            ("{{ '1709647629' | date: '%Y-%m-%d' }}", "2024-03-05"),
            ("{{ 'March 5, 2024' | date: '%Y-%m-%d' }}", "2024-03-05"),
            (
                "{{ 'not a date' | date: '%Y' }}|{{ nil | date: '%Y' }}|{{ missing | date }}",
                "not a date||",
            ),
            ("{{ true | date: '%s' }}", "0"),
        ]);
    }

    #[test]
    fn time_zones() {
        check(&[
            ("{{ ts | date: '%H:%M %z', -120 }}", "16:07 +0200"),
            (
                "{{ ts | date: '%H:%M %z %Z', 'Etc/GMT+5' }}",
                "09:07 -0500 Etc/GMT+5",
            ),
            ("{{ ts | date: '%H:%M %Z', 330 }}", "08:37 -0530"),
            (
                "{{ ts | date: '%H', 'Mars/Olympus' }}",
                "error: Invalid time zone specified: Mars/Olympus, line:1, col:1",
            ),
            ("{{ 'soon' | date: '%H', 'Mars/Olympus' }}", "soon"),
            (
                "{{ ts | date: '%Y-%m-%d %H:%M %z %Z', 'America/New_York' }}",
                "2024-03-05 09:07 -0500 America/New_York",
            ),
            (
                "{{ '2024-07-04T12:00:00Z' | date: '%H:%M %:z', 'europe/berlin' }}",
                "14:00 +02:00",
            ),
            (
                "{{ '2024-03-10T06:59:59Z' | date: '%H:%M:%S %z', 'America/New_York' }}",
                "01:59:59 -0500",
            ),
            (
                "{{ '2024-03-10T07:00:00Z' | date: '%H:%M:%S %z', 'America/New_York' }}",
                "03:00:00 -0400",
            ),
        ]);
    }

    #[test]
    fn named_formats() {
        check(&[
            ("{{ ts | date_to_xmlschema }}", "2024-03-05T14:07:09+00:00"),
            (
                "{{ ts | date_to_rfc822 }}",
                "Tue, 05 Mar 2024 14:07:09 +0000",
            ),
            (
                "{{ ts | date_to_string }}|{{ ts | date_to_string: 'ordinal', 'US' }}",
                "05 Mar 2024|Mar 5th, 2024",
            ),
            (
                "{{ ts | date_to_long_string: 'ordinal' }}|{{ missing | date_to_long_string }}",
                "5th March 2024|",
            ),
        ]);
    }
}
