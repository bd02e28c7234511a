//! JavaScript's `Date.parse` for strings, as V8 (Node.js 20) implements it.
//!
//! Segment's Node.js code falls back to `new Date(string)`, so the strings it accepts, and the
//! instants they denote, are exactly those of V8's date parser. This module re-implements that
//! parser in safe Rust:
//!
//! * First the ES5 / ISO 8601 date-time string format is tried:
//!   `[±YY]YYYY[-MM[-DD]][THH:mm[:ss[.s…]][Z|±HH:mm|±HHmm]]`. Date-only forms are UTC; forms with
//!   a time but no offset are local time. Any number of fraction digits is allowed (the first
//!   three count), `T` and `Z` may be lower case, `24:00[:00[.000]]` is the end of the day, and
//!   a day up to 31 rolls over into the next month (`2019-02-31` is 3 March).
//! * Whatever the ISO reader leaves over goes to V8's permissive "legacy" reader, which takes
//!   the numbers it finds as date parts (month/day/year, or year/month/day when the first one
//!   cannot be a day) or as time parts (`h:m[:s[.ms]]`), month names (any word starting with
//!   the first three letters of one, in any case), `AM`/`PM`, the zone names `UT`, `UTC`, `GMT`,
//!   `Z` and the North American `EST`…`PDT`, offsets such as `+0530`, `-05:30` or `GMT+5`,
//!   parenthesised comments, and skips unknown words before the first number. A missing year
//!   defaults to 2001, one- and two-digit years are 20xx (00–49) or 19xx (50–99).
//!
//! The local time zone is UTC here (as at the edge): a date-time without an offset is read as
//! UTC, which is `Date.parse` in Node.js run with `TZ=UTC`. The result goes through `TimeClip`,
//! so anything more than 8.64e15 ms from the epoch is NaN (`None`).
//!
//! JavaScript strings are UTF-16 and Rust strings UTF-8, but V8's reader only tells apart ASCII
//! digits and punctuation, NUL (which ends its input), ECMAScript white space and line
//! terminators (separators), and any other character from `A` up (a letter: `é`, `日`, U+2028…);
//! a word's length only matters for pure-ASCII keywords, so reading Unicode scalar values
//! instead of UTF-16 code units gives the same results.

use super::calendar::{make_date, make_day, make_time};
use crate::js::{is_space, is_space_or_line_end};

/// V8 builds the value of a numeral from at most this many leading digits.
const MAX_SIGNIFICANT_DIGITS: u32 = 9;
/// Largest Smi on 64-bit Node.js builds (no pointer compression): offsets beyond it are invalid.
const SMI_MAX: u32 = i32::MAX as u32;

/// JavaScript's `Date.parse`: milliseconds since the epoch for `text` as V8 reads it with the
/// local time zone being UTC, or `None` where it gives NaN.
pub fn parse(text: &str) -> Option<i64> {
    parse_fields(text)?.to_epoch_ms()
}

// ---------------------------------------------------------------------------------------------
// Characters and tokens.

/// What a run of letters (characters from `A` upwards) means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WordKind {
    /// Not a keyword: a garbage word.
    Other,
    /// A month; the value is 1–12.
    Month,
    /// A time zone name; the value is its offset in hours.
    Zone,
    /// `T` (the ISO date/time separator).
    TimeSeparator,
    /// `AM` (value 0) or `PM` (value 12).
    AmPm,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Token {
    /// A character (or parenthesised comment) with no meaning of its own.
    Unknown,
    /// A run of ASCII digits: its value (from its first nine significant digits; the rest are
    /// dropped) and its length (leading zeros included).
    Number { value: i32, len: usize },
    /// One of `: - + . )`.
    Symbol(char),
    /// One white-space or line-terminator character.
    WhiteSpace,
    /// The end of the input (or a NUL character).
    End,
    /// A word: what it means, the value that goes with that, and its length in characters.
    Word {
        kind: WordKind,
        value: i32,
        len: usize,
    },
}

impl Token {
    fn is_number(self) -> bool {
        matches!(self, Token::Number { .. })
    }

    fn is_number_of_len(self, wanted: usize) -> bool {
        matches!(self, Token::Number { len, .. } if len == wanted)
    }

    /// The value of a number token (0 for anything else; only asked of numbers).
    fn number(self) -> i32 {
        match self {
            Token::Number { value, .. } => value,
            _ => 0,
        }
    }

    fn is_symbol(self, c: char) -> bool {
        self == Token::Symbol(c)
    }

    /// `+1` for `+`, `-1` for `-`, `None` for any other token.
    fn sign(self) -> Option<i32> {
        match self {
            Token::Symbol('+') => Some(1),
            Token::Symbol('-') => Some(-1),
            _ => None,
        }
    }

    fn is_word_kind(self, wanted: WordKind) -> bool {
        matches!(self, Token::Word { kind, .. } if kind == wanted)
    }

    /// The single letter `Z` (in either case).
    fn is_z(self) -> bool {
        matches!(
            self,
            Token::Word {
                kind: WordKind::Zone,
                value: 0,
                len: 1
            }
        )
    }
}

/// A character of a word: anything from `A` up that is not white space (so `é`, `日` and even
/// U+2028 are letters here; digits and ASCII punctuation are not).
fn is_word_char(c: char) -> bool {
    c >= 'A' && !is_space(c)
}

/// The keywords V8 knows, by their lower-case prefix of up to three letters.
const KEYWORDS: [(&[u8], WordKind, i32); 27] = [
    (b"jan", WordKind::Month, 1),
    (b"feb", WordKind::Month, 2),
    (b"mar", WordKind::Month, 3),
    (b"apr", WordKind::Month, 4),
    (b"may", WordKind::Month, 5),
    (b"jun", WordKind::Month, 6),
    (b"jul", WordKind::Month, 7),
    (b"aug", WordKind::Month, 8),
    (b"sep", WordKind::Month, 9),
    (b"oct", WordKind::Month, 10),
    (b"nov", WordKind::Month, 11),
    (b"dec", WordKind::Month, 12),
    (b"am", WordKind::AmPm, 0),
    (b"pm", WordKind::AmPm, 12),
    (b"ut", WordKind::Zone, 0),
    (b"utc", WordKind::Zone, 0),
    (b"z", WordKind::Zone, 0),
    (b"gmt", WordKind::Zone, 0),
    (b"cdt", WordKind::Zone, -5),
    (b"cst", WordKind::Zone, -6),
    (b"edt", WordKind::Zone, -4),
    (b"est", WordKind::Zone, -5),
    (b"mdt", WordKind::Zone, -6),
    (b"mst", WordKind::Zone, -7),
    (b"pdt", WordKind::Zone, -7),
    (b"pst", WordKind::Zone, -8),
    (b"t", WordKind::TimeSeparator, 0),
];

/// What a word means, from its first three characters (lower-cased the way V8 does it, by
/// setting bit 5; `None` past the end of a shorter word) and its length. Month names match on
/// their first three letters whatever follows; other keywords must match the whole word.
fn classify_word(prefix: [Option<u32>; 3], len: usize) -> (WordKind, i32) {
    for &(name, kind, value) in &KEYWORDS {
        let same_prefix =
            (0..3).all(|i| prefix.get(i).copied().flatten() == name.get(i).map(|&b| u32::from(b)));
        if same_prefix && (len <= 3 || kind == WordKind::Month) {
            return (kind, value);
        }
    }
    (WordKind::Other, 0)
}

/// Reads tokens with one token of look-ahead.
struct Scanner<'a> {
    chars: std::str::Chars<'a>,
    /// The current character; `'\0'` at the end (a NUL in the text also ends it, as in V8).
    ch: char,
    next: Token,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        let mut scanner = Scanner {
            chars: text.chars(),
            ch: '\0',
            next: Token::End,
        };
        scanner.advance();
        scanner.next = scanner.scan();
        scanner
    }

    fn advance(&mut self) {
        self.ch = self.chars.next().unwrap_or('\0');
    }

    fn at_end(&self) -> bool {
        self.ch == '\0'
    }

    fn peek(&self) -> Token {
        self.next
    }

    fn next_token(&mut self) -> Token {
        let token = self.next;
        self.next = self.scan();
        token
    }

    /// Consumes the next token if it is the symbol `c`.
    fn skip_symbol(&mut self, c: char) -> bool {
        if self.next.is_symbol(c) {
            self.next = self.scan();
            true
        } else {
            false
        }
    }

    fn scan(&mut self) -> Token {
        if self.at_end() {
            return Token::End;
        }
        let c = self.ch;
        if c.is_ascii_digit() {
            // Leading zeros do not count towards the nine significant digits (but do towards
            // the length).
            let mut len: usize = 0;
            while self.ch == '0' {
                len = len.saturating_add(1);
                self.advance();
            }
            let mut value: i32 = 0;
            let mut significant: u32 = 0;
            while let Some(digit) = self.ch.to_digit(10) {
                if significant < MAX_SIGNIFICANT_DIGITS {
                    // At most nine digits: cannot overflow, but stay checked anyway.
                    value = value.saturating_mul(10).saturating_add(digit as i32);
                }
                significant = significant.saturating_add(1);
                len = len.saturating_add(1);
                self.advance();
            }
            return Token::Number { value, len };
        }
        if matches!(c, ':' | '-' | '+' | '.' | ')') {
            self.advance();
            return Token::Symbol(c);
        }
        if is_word_char(c) {
            let mut prefix: [Option<u32>; 3] = [None; 3];
            let mut len: usize = 0;
            while is_word_char(self.ch) {
                if let Some(slot) = prefix.get_mut(len) {
                    *slot = Some(u32::from(self.ch) | 0x20);
                }
                len = len.saturating_add(1);
                self.advance();
            }
            let (kind, value) = classify_word(prefix, len);
            return Token::Word { kind, value, len };
        }
        if is_space_or_line_end(c) {
            self.advance();
            return Token::WhiteSpace;
        }
        if c == '(' {
            // Skip a balanced parenthesised comment (or everything to the end if unbalanced).
            let mut depth: usize = 0;
            loop {
                if self.ch == ')' {
                    depth = depth.saturating_sub(1);
                } else if self.ch == '(' {
                    depth = depth.saturating_add(1);
                }
                self.advance();
                if depth == 0 || self.at_end() {
                    break;
                }
            }
            return Token::Unknown;
        }
        self.advance();
        Token::Unknown
    }
}

// ---------------------------------------------------------------------------------------------
// Composers: collect the parts, then check and write them out.

fn is_month(n: i32) -> bool {
    (1..=12).contains(&n)
}

fn is_day(n: i32) -> bool {
    (1..=31).contains(&n)
}

fn is_hour(n: i32) -> bool {
    (0..=23).contains(&n)
}

fn is_hour12(n: i32) -> bool {
    (0..=12).contains(&n)
}

fn is_minute(n: i32) -> bool {
    (0..=59).contains(&n)
}

fn is_second(n: i32) -> bool {
    (0..=59).contains(&n)
}

fn is_millisecond(n: i32) -> bool {
    (0..=999).contains(&n)
}

/// The date numbers in the order read, plus a named month.
#[derive(Default)]
struct DayParts {
    comp: [i32; 3],
    len: usize,
    named_month: Option<i32>,
    /// Read as an ISO date: always year, month, day, and no two-digit-year mapping.
    iso: bool,
}

impl DayParts {
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn add(&mut self, n: i32) -> bool {
        match self.comp.get_mut(self.len) {
            Some(slot) => {
                *slot = n;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Year, month (1–12) and day (1–31), or `None` when they make no date.
    fn finish(&self) -> Option<(i32, i32, i32)> {
        if self.len == 0 {
            return None;
        }
        // Missing parts are 1 (so a missing year is 1, which becomes 2001).
        let mut comp = self.comp;
        for slot in comp.iter_mut().skip(self.len) {
            *slot = 1;
        }
        let [first, second, third] = comp;
        let (mut year, month, day) = match self.named_month {
            None if self.iso || !is_day(first) => (first, second, third),
            None => (third, first, second),
            Some(month) if !is_day(first) => (first, month, second),
            Some(month) => (second, month, first),
        };
        if !self.iso {
            if (0..=49).contains(&year) {
                year += 2000;
            } else if (50..=99).contains(&year) {
                year += 1900;
            }
        }
        (is_month(month) && is_day(day)).then_some((year, month, day))
    }
}

/// Hour, minute, second and millisecond in the order read, plus an AM/PM offset.
#[derive(Default)]
struct TimeParts {
    comp: [i32; 4],
    len: usize,
    hour_offset: Option<i32>,
}

impl TimeParts {
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `n` can be the next part after the hour.
    fn is_expecting(&self, n: i32) -> bool {
        (self.len == 1 && is_minute(n))
            || (self.len == 2 && is_second(n))
            || (self.len == 3 && is_millisecond(n))
    }

    fn add(&mut self, n: i32) -> bool {
        match self.comp.get_mut(self.len) {
            Some(slot) => {
                *slot = n;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Adds the last part: the ones after it are zero.
    fn add_final(&mut self, n: i32) -> bool {
        if !self.add(n) {
            return false;
        }
        for slot in self.comp.iter_mut().skip(self.len) {
            *slot = 0;
        }
        self.len = self.comp.len();
        true
    }

    /// Hour, minute, second, millisecond, or `None` when out of range.
    fn finish(&self) -> Option<(i32, i32, i32, i32)> {
        let mut comp = self.comp;
        for slot in comp.iter_mut().skip(self.len) {
            *slot = 0;
        }
        let [mut hour, minute, second, millisecond] = comp;
        if let Some(offset) = self.hour_offset {
            if !is_hour12(hour) {
                return None;
            }
            hour = hour % 12 + offset;
        }
        let in_range =
            is_hour(hour) && is_minute(minute) && is_second(second) && is_millisecond(millisecond);
        // Hour 24 is midnight at the end of the day, when nothing follows it.
        let end_of_day = hour == 24 && minute == 0 && second == 0 && millisecond == 0;
        (in_range || end_of_day).then_some((hour, minute, second, millisecond))
    }
}

/// A UTC offset: sign, hours, minutes.
#[derive(Default)]
struct ZoneParts {
    sign: Option<i32>,
    hour: Option<i32>,
    minute: Option<i32>,
}

impl ZoneParts {
    /// A named zone, or `Z`: a whole number of hours.
    fn set_hours(&mut self, offset_hours: i32) {
        let sign = if offset_hours < 0 { -1 } else { 1 };
        self.sign = Some(sign);
        self.hour = Some(offset_hours.saturating_mul(sign));
        self.minute = Some(0);
    }

    fn set_sign(&mut self, sign: i32) {
        self.sign = Some(if sign < 0 { -1 } else { 1 });
    }

    fn is_expecting(&self, n: i32) -> bool {
        self.hour.is_some() && self.minute.is_none() && is_minute(n)
    }

    fn is_utc(&self) -> bool {
        self.hour == Some(0) && self.minute == Some(0)
    }

    fn is_empty(&self) -> bool {
        self.hour.is_none()
    }

    /// The offset in seconds (`Some(None)` when there is none: local time), or `None` when it
    /// is too large. V8 computes it in 32-bit unsigned arithmetic, wrap-around included.
    fn finish(&self) -> Option<Option<i64>> {
        let Some(sign) = self.sign else {
            return Some(None);
        };
        let hours = self.hour.unwrap_or(0) as u32;
        let minutes = self.minute.unwrap_or(0) as u32;
        let total = hours
            .wrapping_mul(3600)
            .wrapping_add(minutes.wrapping_mul(60));
        if total > SMI_MAX {
            return None;
        }
        let total = i64::from(total);
        Some(Some(if sign < 0 { -total } else { total }))
    }
}

/// The parts of a parsed date string.
struct Fields {
    year: i32,
    /// 1–12.
    month: i32,
    /// 1–31 (may exceed the month's length: it rolls over).
    day: i32,
    hour: i32,
    minute: i32,
    second: i32,
    millisecond: i32,
    /// Seconds east of UTC; `None` for local time (UTC here).
    offset_seconds: Option<i64>,
}

impl Fields {
    /// `MakeDay` / `MakeTime` / `MakeDate`, the offset, then `TimeClip`.
    fn to_epoch_ms(&self) -> Option<i64> {
        let day = make_day(self.year.into(), i64::from(self.month) - 1, self.day.into())?;
        let local = make_time(
            self.hour.into(),
            self.minute.into(),
            self.second.into(),
            self.millisecond.into(),
        )?;
        let offset_ms = self.offset_seconds.unwrap_or(0).checked_mul(1000)?;
        make_date(day, local.checked_sub(offset_ms)?)
    }
}

// ---------------------------------------------------------------------------------------------
// The parser.

/// Milliseconds kept from a fraction: its first three digits (from a value built of at most
/// nine digits, and the numeral's length).
fn fraction_ms(value: i32, len: usize) -> i32 {
    match len {
        1 => value.saturating_mul(100),
        2 => value.saturating_mul(10),
        0 | 3 => value,
        _ => {
            let kept = len.min(MAX_SIGNIFICANT_DIGITS as usize);
            let divisor = 10_i32.checked_pow((kept - 3) as u32).unwrap_or(1);
            value.checked_div(divisor).unwrap_or(0)
        }
    }
}

/// What the ISO reader hands on.
enum IsoOutcome {
    /// The string is complete and valid as ISO.
    Done,
    /// The string is invalid.
    Invalid,
    /// Go on with the legacy reader from this token.
    Continue(Token),
}

/// Reads as much as it can as an ES5 date-time string.
fn read_iso(
    scanner: &mut Scanner,
    day: &mut DayParts,
    time: &mut TimeParts,
    zone: &mut ZoneParts,
) -> IsoOutcome {
    use IsoOutcome::{Continue, Invalid};

    // Year: YYYY, or ±YYYYYY (but not -000000).
    if let Some(sign) = scanner.peek().sign() {
        let sign_token = scanner.next_token();
        if !scanner.peek().is_number_of_len(6) {
            return Continue(sign_token);
        }
        let year = scanner.next_token().number();
        if sign < 0 && year == 0 {
            return Continue(sign_token);
        }
        day.add(sign * year);
    } else if scanner.peek().is_number_of_len(4) {
        day.add(scanner.next_token().number());
    } else {
        return Continue(scanner.next_token());
    }

    // -MM[-DD]
    if scanner.skip_symbol('-') {
        if !(scanner.peek().is_number_of_len(2) && is_month(scanner.peek().number())) {
            return Continue(scanner.next_token());
        }
        day.add(scanner.next_token().number());
        if scanner.skip_symbol('-') {
            if !(scanner.peek().is_number_of_len(2) && is_day(scanner.peek().number())) {
                return Continue(scanner.next_token());
            }
            day.add(scanner.next_token().number());
        }
    }

    if !scanner.peek().is_word_kind(WordKind::TimeSeparator) {
        if scanner.peek() != Token::End {
            return Continue(scanner.next_token());
        }
    } else {
        // THH:mm[:ss[.s…]] — past the `T`, anything malformed is fatal.
        scanner.next_token();
        let two_digits = |token: Token| token.is_number_of_len(2);
        let hour_token = scanner.peek();
        if !two_digits(hour_token) || !(0..=24).contains(&hour_token.number()) {
            return Invalid;
        }
        let hour_is_24 = hour_token.number() == 24;
        time.add(scanner.next_token().number());
        if !scanner.skip_symbol(':') {
            return Invalid;
        }
        let minute_token = scanner.peek();
        if !two_digits(minute_token)
            || !is_minute(minute_token.number())
            || (hour_is_24 && minute_token.number() > 0)
        {
            return Invalid;
        }
        time.add(scanner.next_token().number());
        if scanner.skip_symbol(':') {
            let second_token = scanner.peek();
            if !two_digits(second_token)
                || !is_second(second_token.number())
                || (hour_is_24 && second_token.number() > 0)
            {
                return Invalid;
            }
            time.add(scanner.next_token().number());
            if scanner.skip_symbol('.') {
                let fraction = scanner.peek();
                if !fraction.is_number() || (hour_is_24 && fraction.number() > 0) {
                    return Invalid;
                }
                if let Token::Number { value, len } = scanner.next_token() {
                    time.add(fraction_ms(value, len));
                }
            }
        }
        // Z | ±HH:mm | ±HHmm
        if scanner.peek().is_z() {
            scanner.next_token();
            zone.set_hours(0);
        } else if let Some(sign) = scanner.peek().sign() {
            scanner.next_token();
            zone.set_sign(sign);
            if scanner.peek().is_number_of_len(4) {
                let hhmm = scanner.next_token().number();
                let (hours, minutes) = (hhmm / 100, hhmm % 100);
                if !is_hour(hours) || !is_minute(minutes) {
                    return Invalid;
                }
                zone.hour = Some(hours);
                zone.minute = Some(minutes);
            } else {
                let hours = scanner.peek();
                if !two_digits(hours) || !is_hour(hours.number()) {
                    return Invalid;
                }
                zone.hour = Some(scanner.next_token().number());
                if !scanner.skip_symbol(':') {
                    return Invalid;
                }
                let minutes = scanner.peek();
                if !two_digits(minutes) || !is_minute(minutes.number()) {
                    return Invalid;
                }
                zone.minute = Some(scanner.next_token().number());
            }
        }
        if scanner.peek() != Token::End {
            return Invalid;
        }
    }

    // Date-only forms are UTC; date-time forms without an offset are local time.
    if zone.is_empty() && time.is_empty() {
        zone.set_hours(0);
    }
    day.iso = true;
    IsoOutcome::Done
}

/// Parses `text` into its parts, or `None` where V8's parser fails.
fn parse_fields(text: &str) -> Option<Fields> {
    let mut scanner = Scanner::new(text);
    let mut day = DayParts::default();
    let mut time = TimeParts::default();
    let mut zone = ZoneParts::default();

    let mut token = match read_iso(&mut scanner, &mut day, &mut time, &mut zone) {
        IsoOutcome::Invalid => return None,
        IsoOutcome::Done => Token::End,
        IsoOutcome::Continue(token) => token,
    };
    let mut has_read_number = !day.is_empty();

    // The legacy reader.
    while token != Token::End {
        match token {
            Token::Number { value: n, .. } => {
                has_read_number = true;
                if scanner.skip_symbol(':') {
                    if scanner.skip_symbol(':') {
                        // `n::` — hour and a zero minute.
                        if !time.is_empty() {
                            return None;
                        }
                        time.add(n);
                        time.add(0);
                    } else {
                        // `n:`
                        if !time.add(n) {
                            return None;
                        }
                        if scanner.peek().is_symbol('.') {
                            scanner.next_token();
                        }
                    }
                } else if scanner.skip_symbol('.') && time.is_expecting(n) {
                    // `n.` ending the time: milliseconds follow.
                    time.add(n);
                    let Token::Number { value, len } = scanner.peek() else {
                        return None;
                    };
                    scanner.next_token();
                    time.add_final(fraction_ms(value, len));
                } else if zone.is_expecting(n) {
                    zone.minute = Some(n);
                } else if time.is_expecting(n) {
                    time.add_final(n);
                    // The time must be followed by the end, white space, `Z` or a sign.
                    let after = scanner.peek();
                    if !(after == Token::End
                        || after == Token::WhiteSpace
                        || after.is_z()
                        || after.sign().is_some())
                    {
                        return None;
                    }
                } else {
                    if !day.add(n) {
                        return None;
                    }
                    scanner.skip_symbol('-');
                }
            }
            Token::Word { kind, value, .. } => {
                if kind == WordKind::AmPm && !time.is_empty() {
                    time.hour_offset = Some(value);
                } else if kind == WordKind::Month {
                    day.named_month = Some(value);
                    scanner.skip_symbol('-');
                } else if kind == WordKind::Zone && has_read_number {
                    zone.set_hours(value);
                } else {
                    // Garbage words are only allowed before the first number, and must be
                    // separated from it.
                    if has_read_number || scanner.peek().is_number() {
                        return None;
                    }
                }
            }
            Token::Symbol(c) if (c == '+' || c == '-') && (zone.is_utc() || !time.is_empty()) => {
                // An offset after a zone name or a time: `+hh`, `+hhmm` or `+hh:`.
                zone.set_sign(if c == '-' { -1 } else { 1 });
                let (n, len) = match scanner.peek() {
                    Token::Number { value, len } => {
                        scanner.next_token();
                        (value, len)
                    }
                    _ => (0, 0),
                };
                has_read_number = true;
                if scanner.peek().is_symbol(':') {
                    zone.hour = Some(n);
                    zone.minute = None;
                } else if len == 1 || len == 2 {
                    zone.hour = Some(n);
                    zone.minute = Some(0);
                } else if len == 3 || len == 4 {
                    zone.hour = Some(n / 100);
                    zone.minute = Some(n % 100);
                } else {
                    return None;
                }
            }
            Token::Symbol('+' | '-' | ')') if has_read_number => return None,
            _ => {
                // Other characters and white space are ignored.
            }
        }
        token = scanner.next_token();
    }

    let (year, month, day_of_month) = day.finish()?;
    let (hour, minute, second, millisecond) = time.finish()?;
    let offset_seconds = zone.finish()?;
    Some(Fields {
        year,
        month,
        day: day_of_month,
        hour,
        minute,
        second,
        millisecond,
        offset_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    /// `(input, Date.parse(input))` as printed by Node.js 20.20 (V8 11.3) run with `TZ=UTC`;
    /// `None` is NaN. The comments are `new Date(ms).toISOString()`.
    const NODE_CASES: &[(&str, Option<i64>)] = &[
        ("2025", Some(1_735_689_600_000)),       // 2025-01-01T00:00:00.000Z
        ("2025-05", Some(1_746_057_600_000)),    // 2025-05-01T00:00:00.000Z
        ("2025-05-14", Some(1_747_180_800_000)), // 2025-05-14T00:00:00.000Z
        ("2025-05-14T07:30", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        ("2025-05-14T07:30:00", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        ("2025-05-14T07:30:00.000Z", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        ("2025-05-14T07:30:00.1Z", Some(1_747_207_800_100)), // 2025-05-14T07:30:00.100Z
        ("2025-05-14T07:30:00.12Z", Some(1_747_207_800_120)), // 2025-05-14T07:30:00.120Z
        ("2025-05-14T07:30:00.123456789Z", Some(1_747_207_800_123)), // 2025-05-14T07:30:00.123Z
        (
            "2025-05-14T07:30:00.0001234567891Z",
            Some(1_747_207_800_123),
        ), // 2025-05-14T07:30:00.123Z
        ("2025-05-14t07:30:00z", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        ("2025-05-14T07:30:00+05:30", Some(1_747_188_000_000)), // 2025-05-14T02:00:00.000Z
        ("2025-05-14T07:30:00-08:00", Some(1_747_236_600_000)), // 2025-05-14T15:30:00.000Z
        ("2025-05-14T07:30:00+0530", Some(1_747_188_000_000)), // 2025-05-14T02:00:00.000Z
        ("2025-05-14T07:30+01:00", Some(1_747_204_200_000)), // 2025-05-14T06:30:00.000Z
        ("+002025-05-14T07:30:00Z", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        ("-002025-05-14", Some(-126_058_550_400_000)), // -002025-05-14T00:00:00.000Z
        ("+275760-09-13T00:00:00.000Z", Some(8_640_000_000_000_000)), // +275760-09-13T00:00:00.000Z
        ("+275760-09-13T00:00:00.001Z", None),
        ("-271821-04-20T00:00:00.000Z", Some(-8_640_000_000_000_000)), // -271821-04-20T00:00:00.000Z
        ("-271821-04-19T23:59:59.999Z", None),
        ("-000000-01-01", Some(978_307_200_000)), // 2001-01-01T00:00:00.000Z
        ("+000000-01-01", Some(-62_167_219_200_000)), // 0000-01-01T00:00:00.000Z
        ("-000001-01-01", Some(-62_198_755_200_000)), // -000001-01-01T00:00:00.000Z
        ("0000-01-01", Some(-62_167_219_200_000)), // 0000-01-01T00:00:00.000Z
        ("0049-01-01", Some(-60_620_832_000_000)), // 0049-01-01T00:00:00.000Z
        ("9999-12-31T23:59:59.999Z", Some(253_402_300_799_999)), // 9999-12-31T23:59:59.999Z
        ("10000-01-01", Some(253_402_300_800_000)), // +010000-01-01T00:00:00.000Z
        ("2020-01-01T24:00", Some(1_577_923_200_000)), // 2020-01-02T00:00:00.000Z
        ("2020-01-01T24:00:00.000", Some(1_577_923_200_000)), // 2020-01-02T00:00:00.000Z
        ("2020-01-01T24:00:01", None),
        ("2020-01-01T24:01", None),
        ("2020-01-01T24:00:00.001", None),
        ("2019-02-28", Some(1_551_312_000_000)), // 2019-02-28T00:00:00.000Z
        ("2019-02-29", Some(1_551_398_400_000)), // 2019-03-01T00:00:00.000Z
        ("2019-02-31", Some(1_551_571_200_000)), // 2019-03-03T00:00:00.000Z
        ("2020-02-30", Some(1_583_020_800_000)), // 2020-03-01T00:00:00.000Z
        ("2019-04-31", Some(1_556_668_800_000)), // 2019-05-01T00:00:00.000Z
        ("2019-02-32", None),
        ("2019-00-10", None),
        ("2019-01-00", None),
        ("2025-13-01T00:00:00Z", None),
        ("2024-12-31T23:59:60Z", None),
        ("2024-12-31T25:00Z", None),
        ("2024-12-31T23:5Z", None),
        ("2024-12-31T2:50Z", None),
        ("2024-12-31T23:59+24:00", None),
        ("2024-12-31T23:59+0060", None),
        ("2024-12-31T23:59+1:00", None),
        ("2020-05-14T", None),
        ("2020-05-14T10", None),
        ("2020-05-14T10:00:00.", None),
        ("2025-05-14T07:30:00 Z", None),
        ("2025-05-14T07:30:00.000Zabc", None),
        ("2025-05-14Z", Some(1_747_180_800_000)), // 2025-05-14T00:00:00.000Z
        ("2025-05-14 07:30:00 +0000", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        ("2025-05-14 07:30", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        ("2025-05-14 07:30:00.123Z", Some(1_747_207_800_123)), // 2025-05-14T07:30:00.123Z
        ("2025 05 14", Some(1_747_180_800_000)),  // 2025-05-14T00:00:00.000Z
        ("2025-5-14", Some(1_747_180_800_000)),   // 2025-05-14T00:00:00.000Z
        ("2025/05/14", Some(1_747_180_800_000)),  // 2025-05-14T00:00:00.000Z
        ("2025/05/14 07:30", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        ("2025/05/14 07:30:15", Some(1_747_207_815_000)), // 2025-05-14T07:30:15.000Z
        ("20200101", None),
        ("  2025-05-14  ", Some(1_747_180_800_000)), // 2025-05-14T00:00:00.000Z
        ("Wed, 14 May 2025 07:30:00 GMT", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        (
            "Wed May 14 2025 07:30:00 GMT+0000 (Coordinated Universal Time)",
            Some(1_747_207_800_000),
        ), // 2025-05-14T07:30:00.000Z
        (
            "Wed May 14 2025 09:30:00 GMT+0200 (Central European Summer Time)",
            Some(1_747_207_800_000),
        ), // 2025-05-14T07:30:00.000Z
        ("Tue, 31 Dec 2024 23:59:59 +0000", Some(1_735_689_599_000)), // 2024-12-31T23:59:59.000Z
        ("Thu, 01 Jan 1970 00:00:00 UT", Some(0)),   // 1970-01-01T00:00:00.000Z
        ("Thu, 01 Jan 1970 00:00:00 UTC", Some(0)),  // 1970-01-01T00:00:00.000Z
        ("Thu, 01 Jan 1970 00:00:00 z", Some(0)),    // 1970-01-01T00:00:00.000Z
        ("Jan 1 1970 00:00:00 +0100", Some(-3_600_000)), // 1969-12-31T23:00:00.000Z
        ("Jan 1 1970 00:00:00 -01:30", Some(5_400_000)), // 1970-01-01T01:30:00.000Z
        ("Jan 1 1970 00:00:00 GMT+0130", Some(-5_400_000)), // 1969-12-31T22:30:00.000Z
        ("Jan 1 1970 00:00:00 GMT-5", Some(18_000_000)), // 1970-01-01T05:00:00.000Z
        ("Jan 1 2000 GMT+1:30", Some(946_679_400_000)), // 1999-12-31T22:30:00.000Z
        ("Jan 1 1970 00:00:00 EST", Some(18_000_000)), // 1970-01-01T05:00:00.000Z
        ("Jan 1 1970 00:00:00 PDT", Some(25_200_000)), // 1970-01-01T07:00:00.000Z
        ("Jan 1 2000 10:00 GMT+01:30:45", None),
        ("Jan 1 2000 10:00 +12345", None),
        ("Jan 1 2000 10:00 +", None),
        ("Jan 1 2000 10:30:00GMT", None),
        ("Jan 1 2000 +0100", None),
        ("Jan 1 2000 GMT", Some(946_684_800_000)), // 2000-01-01T00:00:00.000Z
        ("Jan 1 2000 10:00 GMT+300000:", Some(-133_279_200_000)), // 1965-10-11T10:00:00.000Z
        ("Jan 1 2000 10:00 GMT+1193047:", Some(946_718_896_000)), // 2000-01-01T09:28:16.000Z
        ("May 14, 2025", Some(1_747_180_800_000)), // 2025-05-14T00:00:00.000Z
        ("14 May 2025", Some(1_747_180_800_000)),  // 2025-05-14T00:00:00.000Z
        ("may 14 2025 7:30 pm", Some(1_747_251_000_000)), // 2025-05-14T19:30:00.000Z
        ("MAY 14 2025 07:30 AM", Some(1_747_207_800_000)), // 2025-05-14T07:30:00.000Z
        ("wednesday, may 14, 2025", Some(1_747_180_800_000)), // 2025-05-14T00:00:00.000Z
        ("Sept 5 2020", Some(1_599_264_000_000)),  // 2020-09-05T00:00:00.000Z
        ("December 25, 1999", Some(946_080_000_000)), // 1999-12-25T00:00:00.000Z
        ("Janvier 5 2020", Some(1_578_182_400_000)), // 2020-01-05T00:00:00.000Z
        ("Jan 5", Some(978_652_800_000)),          // 2001-01-05T00:00:00.000Z
        ("5 Jan", Some(978_652_800_000)),          // 2001-01-05T00:00:00.000Z
        ("Jan", None),
        ("Jan 2020", Some(1_577_836_800_000)), // 2020-01-01T00:00:00.000Z
        ("2020 Jan", Some(1_577_836_800_000)), // 2020-01-01T00:00:00.000Z
        ("Jan 32 2020", None),
        ("Jan 1 2000 12:00 am", Some(946_684_800_000)), // 2000-01-01T00:00:00.000Z
        ("Jan 1 2000 12:00 pm", Some(946_728_000_000)), // 2000-01-01T12:00:00.000Z
        ("Jan 1 2000 13:00 pm", None),
        ("12:00 am Jan 1 2000", Some(946_684_800_000)), // 2000-01-01T00:00:00.000Z
        ("10 PM", None),
        ("Jan 1 2000 10::", Some(946_720_800_000)), // 2000-01-01T10:00:00.000Z
        ("Jan 1 2000 10:30:45.5", Some(946_722_645_500)), // 2000-01-01T10:30:45.500Z
        ("Jan 1 2000 10:30.5", None),
        ("Jan 1 2000 10.30", None),
        ("05/14/2025", Some(1_747_180_800_000)), // 2025-05-14T00:00:00.000Z
        ("5/14/2025", Some(1_747_180_800_000)),  // 2025-05-14T00:00:00.000Z
        ("05/14/2025 07:30 PM", Some(1_747_251_000_000)), // 2025-05-14T19:30:00.000Z
        ("14/05/2025", None),
        ("12/31/1999 23:59:59", Some(946_684_799_000)), // 1999-12-31T23:59:59.000Z
        ("1/2/3", Some(1_041_465_600_000)),             // 2003-01-02T00:00:00.000Z
        ("1/2/3 4:5:6 pm", Some(1_041_523_506_000)),    // 2003-01-02T16:05:06.000Z
        ("1 Mar 25", Some(1_740_787_200_000)),          // 2025-03-01T00:00:00.000Z
        ("1 Mar 49", Some(2_498_169_600_000)),          // 2049-03-01T00:00:00.000Z
        ("1 Mar 50", Some(-626_054_400_000)),           // 1950-03-01T00:00:00.000Z
        ("Mar 1 100", Some(-59_006_361_600_000)),       // 0100-03-01T00:00:00.000Z
        ("01.02.2003", Some(1_041_465_600_000)),        // 2003-01-02T00:00:00.000Z
        ("Product 7", Some(993_945_600_000)),           // 2001-07-01T00:00:00.000Z
        ("User 123", Some(-58_285_699_200_000)),        // 0123-01-01T00:00:00.000Z
        ("SH#79817", Some(2_456_614_051_200_000)),      // +079817-01-01T00:00:00.000Z
        ("00", Some(946_684_800_000)),                  // 2000-01-01T00:00:00.000Z
        ("0", Some(946_684_800_000)),                   // 2000-01-01T00:00:00.000Z
        ("49", Some(2_493_072_000_000)),                // 2049-01-01T00:00:00.000Z
        ("50", Some(-631_152_000_000)),                 // 1950-01-01T00:00:00.000Z
        ("99", Some(915_148_800_000)),                  // 1999-01-01T00:00:00.000Z
        ("100", Some(-59_011_459_200_000)),             // 0100-01-01T00:00:00.000Z
        ("x1", None),
        ("x 1", Some(978_307_200_000)), // 2001-01-01T00:00:00.000Z
        ("1x", None),
        ("12345678901", None),
        ("Jan 1 0000000002020", Some(1_577_836_800_000)), // 2020-01-01T00:00:00.000Z
        ("not a date", None),
        ("", None),
        ("   ", None),
        ("T10:00", None),
        ("10:00", None),
        ("Z 2020", Some(1_577_836_800_000)), // 2020-01-01T00:00:00.000Z
        ("2020 UTC", Some(1_577_836_800_000)), // 2020-01-01T00:00:00.000Z
        ("May 14 2025 (comment) 10:00", Some(1_747_216_800_000)), // 2025-05-14T10:00:00.000Z
        ("May (nested (paren)) 14 2025", Some(1_747_180_800_000)), // 2025-05-14T00:00:00.000Z
        ("(2000-01-01", None),
        ("2000-01-01)", None),
        ("1 ) 3", None),
        ("+1 2 3", Some(1_041_465_600_000)), // 2003-01-02T00:00:00.000Z
        ("\u{a0}2025-05-14", Some(1_747_180_800_000)), // 2025-05-14T00:00:00.000Z
        ("2025-05-14\u{3000}", Some(1_747_180_800_000)), // 2025-05-14T00:00:00.000Z
        ("\u{feff}2020-01-01", Some(1_577_836_800_000)), // 2020-01-01T00:00:00.000Z
        ("\u{2028}2020-01-01", None),
        ("May\u{a0}14 2020", Some(1_589_414_400_000)), // 2020-05-14T00:00:00.000Z
        ("\u{e9} 2020", Some(1_577_836_800_000)),      // 2020-01-01T00:00:00.000Z
        ("\u{65e5}\u{672c} 2020", Some(1_577_836_800_000)), // 2020-01-01T00:00:00.000Z
        ("2020-01-01\u{0}garbage", Some(1_577_836_800_000)), // 2020-01-01T00:00:00.000Z
        ("Infinity", None),
        ("NaN", None),
    ];

    fn ms(text: &str) -> Option<i64> {
        parse(text)
    }

    #[test]
    fn agrees_with_node() {
        let mut failures = Vec::new();
        for &(text, expected) in NODE_CASES {
            let got = parse(text);
            if got != expected {
                failures.push(format!("{text:?}: node {expected:?}, got {got:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn iso_forms() {
        // Date-only is UTC; date-time without an offset is local time, which is UTC here.
        assert_eq!(ms("2025-05-14"), Some(1_747_180_800_000));
        assert_eq!(ms("2025-05-14T07:30"), Some(1_747_207_800_000));
        assert_eq!(ms("2025-05-14T07:30:00+0530"), Some(1_747_188_000_000)); // 02:00Z
        assert_eq!(
            ms("2025-05-14T07:30:00.123456789Z"),
            Some(1_747_207_800_123)
        );
        assert_eq!(ms("+002025-05-14T07:30:00Z"), Some(1_747_207_800_000));
        // Hour 24 only as the end of the day.
        assert_eq!(ms("2020-01-01T24:00"), Some(1_577_923_200_000)); // 2020-01-02
        assert_eq!(ms("2020-01-01T24:00:01"), None);
        // Day up to 31 rolls over; 32 does not parse; month 13 does not parse.
        assert_eq!(ms("2019-02-31"), Some(1_551_571_200_000)); // 2019-03-03
        assert_eq!(ms("2019-02-32"), None);
        assert_eq!(ms("2025-13-01T00:00:00Z"), None);
        // `-000000` is no ISO year: the legacy reader drops it and reads `01-01` as 2001-01-01.
        assert_eq!(ms("-000000-01-01"), Some(978_307_200_000));
        assert_eq!(ms("10000-01-01"), Some(253_402_300_800_000));
    }

    #[test]
    fn time_clip() {
        assert_eq!(
            ms("+275760-09-13T00:00:00.000Z"),
            Some(8_640_000_000_000_000)
        );
        assert_eq!(ms("+275760-09-13T00:00:00.001Z"), None);
        assert_eq!(
            ms("-271821-04-20T00:00:00.000Z"),
            Some(-8_640_000_000_000_000)
        );
        assert_eq!(ms("-271821-04-19T23:59:59.999Z"), None);
    }

    #[test]
    fn legacy_forms() {
        assert_eq!(ms("2025-05-14 07:30:00 +0000"), Some(1_747_207_800_000));
        assert_eq!(ms("2025 05 14"), Some(1_747_180_800_000));
        assert_eq!(ms("2025-05-14Z"), Some(1_747_180_800_000));
        assert_eq!(ms("05/14/2025"), Some(1_747_180_800_000));
        assert_eq!(ms("2025/05/14 07:30"), Some(1_747_207_800_000));
        assert_eq!(ms("Wed, 14 May 2025 07:30:00 GMT"), Some(1_747_207_800_000));
        assert_eq!(ms("may 14 2025 7:30 pm"), Some(1_747_251_000_000)); // 19:30Z
        assert_eq!(ms("Product 7"), Some(993_945_600_000)); // 2001-07-01
        assert_eq!(ms("User 123"), Some(-58_285_699_200_000)); // 0123-01-01
        assert_eq!(ms("SH#79817"), Some(2_456_614_051_200_000)); // +079817-01-01
        assert_eq!(ms("00"), Some(946_684_800_000)); // 2000-01-01
        assert_eq!(ms("not a date"), None);
    }

    #[test]
    fn never_panics() {
        let mut inputs: Vec<String> = vec![
            String::new(),
            "9".repeat(10_000),
            "0".repeat(10_000),
            format!("2020-01-01T10:00:00.{}Z", "9".repeat(5_000)),
            format!("Jan 1 2000 10:00 GMT+{}:", "9".repeat(100)),
            "(".repeat(10_000),
            format!("{}2020{}", "(".repeat(100), ")".repeat(200)),
            "\u{0}".to_string(),
            "😀2020😀".to_string(),
            "-999999-01-01".to_string(),
            "+999999-12-31T23:59:59.999-23:59".to_string(),
            "999999999 999999999 999999999 999999999:999999999:999999999.999999999 pm +999999999:"
                .to_string(),
        ];
        // Pseudo-random strings over an alphabet full of meaningful characters.
        let alphabet: Vec<char> =
            "0123456789-+:./,() TtZzapmAPMjJnNuUgGeEsSdD\u{a0}\u{3000}\u{2028}\u{0}é日😀"
                .chars()
                .collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if let Some(&c) = alphabet.get((state % alphabet.len() as u64) as usize) {
                    text.push(c);
                }
            }
            inputs.push(text);
        }
        for text in &inputs {
            if let Some(value) = parse(text) {
                assert!(
                    value.unsigned_abs() <= 8_640_000_000_000_000,
                    "{text:?} gave {value}"
                );
            }
        }
    }
}
