//! JavaScript semantics that Segment's behaviour depends on.
//!
//! Segment's libraries are JavaScript, and their observable behaviour leans on JS rules:
//! how a number prints (`String(1e21)` is `"1e+21"`), what `String([1, null])` gives, which
//! values are falsy, how `Number("  12 ")` parses, and how `a && a[key]` walks into strings
//! and arrays. This module holds those rules in one place, for both [`serde_json::Value`]
//! (events) and [`Resolved`] (mapped values, which can hold `undefined`).

use crate::event::Event;
use crate::json::read::{self, Kind};
use crate::value::Resolved;
use serde_json::value::RawValue;
use serde_json::{Number, Value};

/// `Number.prototype.toString()` for a finite or non-finite `f64`.
pub fn number_to_string(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return "0".into();
    }
    let sign = if f < 0.0 { "-" } else { "" };
    // serde_json prints the shortest round-tripping digits, like JS; only the layout differs.
    let shortest = Number::from_f64(f.abs())
        .map(|n| n.to_string())
        .unwrap_or_default();
    let (digits, n) = decimal_digits(&shortest);
    let k = digits.len() as i64;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let rest = if k > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        let esign = if n > 0 { "+" } else { "-" };
        format!("{}{rest}e{esign}{}", &digits[..1], (n - 1).abs())
    };
    format!("{sign}{body}")
}

/// The significant digits of a positive decimal numeral (`"1.25e-7"`, `"1500.0"`) and the
/// position of the decimal point relative to the first of them (`0.0125` → `"125"`, -1).
fn decimal_digits(text: &str) -> (String, i64) {
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = int_part.chars().chain(frac_part.chars()).collect();
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all
        .trim_start_matches('0')
        .trim_end_matches('0')
        .to_string();
    (digits, int_part.len() as i64 - leading as i64 + exponent)
}

/// The JS string form of a JSON number (integers beyond 2^53 lose precision, as in JS).
pub fn json_number_to_string(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() <= (1u64 << 53) {
            return i.to_string();
        }
    }
    if let Some(u) = n.as_u64() {
        if u <= (1u64 << 53) {
            return u.to_string();
        }
    }
    number_to_string(n.as_f64().unwrap_or(f64::NAN))
}

/// `Number(string)`: trims whitespace, `""` is 0, accepts `0x`/`0o`/`0b` and `Infinity`.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.is_empty() {
        return 0.0;
    }
    let radix = |prefix: &[&str], radix: u32| -> Option<f64> {
        let lower = t.to_ascii_lowercase();
        prefix
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .map(|digits| {
                if digits.is_empty() {
                    return f64::NAN;
                }
                digits
                    .chars()
                    .try_fold(0f64, |acc, c| {
                        c.to_digit(radix).map(|d| acc * radix as f64 + d as f64)
                    })
                    .unwrap_or(f64::NAN)
            })
    };
    if let Some(v) = radix(&["0x"], 16)
        .or_else(|| radix(&["0o"], 8))
        .or_else(|| radix(&["0b"], 2))
    {
        return v;
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    let valid = t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !valid {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// The number a JSON number stands for in JS.
pub fn json_number_value(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// Length of a string in UTF-16 code units, as JS `.length` counts it.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `str[i]` in JS: the i-th UTF-16 code unit as a string (a lone surrogate becomes U+FFFD).
fn string_index(s: &str, i: usize) -> Option<String> {
    let unit = s.encode_utf16().nth(i)?;
    Some(String::from_utf16_lossy(&[unit]))
}

/// A canonical array index (`"0"`, `"12"`, not `"01"` or `"-1"`).
fn array_index(key: &str) -> Option<usize> {
    if key.is_empty()
        || (key.len() > 1 && key.starts_with('0'))
        || !key.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    key.parse().ok()
}

/// A place being walked by [`get`]: borrowed from an event, borrowed from a mapped value, or
/// derived (a character or a length, which JS property access can produce).
enum Cursor<'a> {
    Json(&'a Value),
    Res(&'a Resolved),
    Owned(Resolved),
    Event(&'a Event<'a>),
    Raw(&'a RawValue),
}

/// Where [`get`] starts: an event (plain JSON) or a value produced by a mapping.
#[derive(Clone, Copy)]
pub enum Root<'a> {
    /// An event or any plain JSON document.
    Json(&'a Value),
    /// A value produced by a mapping (it may hold `undefined`).
    Resolved(&'a Resolved),
    /// An event read in place from JSON text.
    Event(&'a Event<'a>),
}

impl Root<'_> {
    /// The root itself as a value.
    pub fn to_resolved(self) -> Resolved {
        match self {
            Root::Json(v) => Resolved::from(v),
            Root::Resolved(r) => r.clone(),
            Root::Event(e) => e.to_resolved(),
        }
    }

    /// Segment's `realTypeOf` name of the root.
    pub fn type_name(self) -> &'static str {
        match self {
            Root::Json(v) => real_type_of(Some(v)),
            Root::Resolved(r) => r.type_name(),
            Root::Event(e) => e.kind().type_name(),
        }
    }
}

impl<'a> Cursor<'a> {
    fn is_falsy(&self) -> bool {
        match self {
            Cursor::Json(v) => json_is_falsy(v),
            Cursor::Res(r) => r.is_falsy(),
            Cursor::Owned(r) => r.is_falsy(),
            // Only object events are walked as events (see `walk`).
            Cursor::Event(_) => false,
            Cursor::Raw(raw) => match read::kind(raw) {
                Kind::Null => true,
                Kind::Bool => raw.get() == "false",
                Kind::String => raw.get() == "\"\"",
                Kind::Number => read::value(raw).is_falsy(),
                Kind::Array | Kind::Object => false,
            },
        }
    }

    /// `cur && cur[key]`.
    fn step(self, key: &str) -> Cursor<'a> {
        if self.is_falsy() {
            return self;
        }
        match self {
            Cursor::Json(v) => match v {
                Value::Object(map) => map
                    .get(key)
                    .map_or(Cursor::Owned(Resolved::Undefined), Cursor::Json),
                Value::Array(items) => {
                    if key == "length" {
                        return Cursor::Owned(Resolved::from_f64(items.len() as f64));
                    }
                    array_index(key)
                        .and_then(|i| items.get(i))
                        .map_or(Cursor::Owned(Resolved::Undefined), Cursor::Json)
                }
                Value::String(s) => Cursor::Owned(string_property(s, key)),
                _ => Cursor::Owned(Resolved::Undefined),
            },
            Cursor::Res(r) => step_resolved(r, key),
            Cursor::Owned(r) => Cursor::Owned(step_resolved(&r, key).into_resolved()),
            Cursor::Event(event) => event
                .get(key)
                .map_or(Cursor::Owned(Resolved::Undefined), Cursor::Raw),
            Cursor::Raw(raw) => step_raw(raw, key),
        }
    }

    fn into_resolved(self) -> Resolved {
        match self {
            Cursor::Json(v) => Resolved::from(v),
            Cursor::Res(r) => r.clone(),
            Cursor::Owned(r) => r,
            Cursor::Event(event) => event.to_resolved(),
            Cursor::Raw(raw) => read::value(raw),
        }
    }
}

/// `raw[key]` for JSON text: an object's member, an array's item or `length`, a string's
/// character or `length`.
fn step_raw<'a>(raw: &'a RawValue, key: &str) -> Cursor<'a> {
    let found = match read::kind(raw) {
        Kind::Object => read::member(raw, key),
        Kind::Array => {
            let items = read::items(raw).unwrap_or_default();
            if key == "length" {
                return Cursor::Owned(Resolved::from_f64(items.len() as f64));
            }
            array_index(key).and_then(|i| items.get(i).copied())
        }
        Kind::String => match read::value(raw) {
            Resolved::String(s) => return Cursor::Owned(string_property(&s, key)),
            _ => None,
        },
        _ => None,
    };
    found.map_or(Cursor::Owned(Resolved::Undefined), Cursor::Raw)
}

fn step_resolved<'a>(r: &'a Resolved, key: &str) -> Cursor<'a> {
    match r {
        Resolved::Object(map) => map
            .get(key)
            .map_or(Cursor::Owned(Resolved::Undefined), Cursor::Res),
        Resolved::Array(items) => {
            if key == "length" {
                return Cursor::Owned(Resolved::from_f64(items.len() as f64));
            }
            array_index(key)
                .and_then(|i| items.get(i))
                .map_or(Cursor::Owned(Resolved::Undefined), Cursor::Res)
        }
        Resolved::String(s) => Cursor::Owned(string_property(s, key)),
        Resolved::Raw(raw) => step_raw(raw, key),
        _ => Cursor::Owned(Resolved::Undefined),
    }
}

fn string_property(s: &str, key: &str) -> Resolved {
    if key == "length" {
        return Resolved::from_f64(utf16_len(s) as f64);
    }
    array_index(key)
        .and_then(|i| string_index(s, i))
        .map_or(Resolved::Undefined, Resolved::String)
}

/// Walks `segments` from `root` with JS's `obj && obj[key]` rule: a falsy value (`0`, `""`,
/// `false`, `null`) stops the walk and is the result; strings and arrays answer indexes and
/// `length`.
pub fn get<S: AsRef<str>>(root: Root<'_>, segments: &[S]) -> Resolved {
    walk(root, segments).into_resolved()
}

fn walk<'a, S: AsRef<str>>(root: Root<'a>, segments: &[S]) -> Cursor<'a> {
    let mut cur = match root {
        Root::Json(v) => Cursor::Json(v),
        Root::Resolved(r) => Cursor::Res(r),
        Root::Event(e) if e.kind() == Kind::Object => Cursor::Event(e),
        Root::Event(e) => Cursor::Owned(e.to_resolved()),
    };
    for seg in segments {
        cur = cur.step(seg.as_ref());
    }
    cur
}

/// JS falsiness of a JSON value.
pub fn json_is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => {
            let f = json_number_value(n);
            f == 0.0 || f.is_nan()
        }
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// JS truthiness of an optional JSON value (`None` is `undefined`).
pub fn truthy(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !json_is_falsy(v))
}

/// JS `typeof`-like name as Segment's `realTypeOf` reports it (`"array"`, `"null"`, …).
pub fn real_type_of(v: Option<&Value>) -> &'static str {
    match v {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

/// JS `toUpperCase`-based canonical form used by case-insensitive regular expressions
/// without the `u` flag.
pub fn canonicalize_char(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if (u as u32) <= 0xFFFF && (c as u32) <= 0xFFFF => {
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
    use serde_json::json;

    #[test]
    fn numbers_print_like_javascript() {
        for (f, s) in [
            (1.0, "1"),
            (-0.0, "0"),
            (19.99, "19.99"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123456.789, "123456.789"),
            (-3.0, "-3"),
            (0.1 + 0.2, "0.30000000000000004"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (123e-20, "1.23e-18"),
            (0.0125, "0.0125"),
            (1500.0, "1500"),
            (f64::INFINITY, "Infinity"),
        ] {
            assert_eq!(number_to_string(f), s, "{f}");
        }
        let big: Number = serde_json::from_str("12345678901234567890").unwrap();
        assert_eq!(json_number_to_string(&big), "12345678901234567000");
    }

    #[test]
    fn string_to_number_follows_js() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x10"), 16.0);
        assert!(string_to_number("abc").is_nan());
        assert!(string_to_number("inf").is_nan());
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert_eq!(string_to_number("1e3"), 1000.0);
    }

    #[test]
    fn get_walks_like_js_property_access() {
        let v = json!({"a": {"b": [10, {"c": "xyz"}]}, "zero": 0, "s": "héllo", "f": false});
        let r = |p: &[&str]| get(Root::Json(&v), p);
        assert_eq!(r(&["a", "b", "1", "c"]), Resolved::String("xyz".into()));
        assert_eq!(r(&["a", "b", "length"]), Resolved::from_f64(2.0));
        assert_eq!(r(&["zero", "x"]), Resolved::from_f64(0.0));
        assert_eq!(r(&["f", "x", "y"]), Resolved::Bool(false));
        assert_eq!(r(&["s", "1"]), Resolved::String("é".into()));
        assert_eq!(r(&["s", "length"]), Resolved::from_f64(5.0));
        assert_eq!(r(&["missing", "x"]), Resolved::Undefined);
        assert_eq!(r(&["a", "b", "01"]), Resolved::Undefined);
    }

    #[test]
    fn canonicalize_matches_js_rules() {
        assert_eq!(canonicalize_char('a'), 'A');
        assert_eq!(canonicalize_char('é'), 'É');
        assert_eq!(canonicalize_char('ß'), 'ß');
        assert_eq!(canonicalize_char('\u{17F}'), '\u{17F}');
    }
}
