//! How JavaScript prints numbers.
//!
//! Segment's libraries print numbers with `String(n)` (`1e21` is `"1e+21"`, `0.1 + 0.2` is
//! `"0.30000000000000004"`), and JSON numbers are doubles there, so integers beyond 2⁵³ lose
//! precision. This module sits below [`crate::value`], which prints numbers too;
//! [`crate::js`] re-exports it with the other JavaScript rules.

use serde_json::Number;

/// `Number.prototype.toString()` (ECMAScript's Number::toString, radix 10), by `ryu-js`:
/// the shortest round-tripping digits in JavaScript's layout, `NaN`, `Infinity`, `-0` as `"0"`.
pub fn number_to_string(f: f64) -> String {
    ryu_js::Buffer::new().format(f).to_owned()
}

/// The number a JSON number stands for in JS (a double: integers beyond 2⁵³ round). Also
/// takes a double, which is its own value, so that code reading either form reads the same.
pub fn json_number_value<N: JsonNumber + ?Sized>(n: &N) -> f64 {
    n.js_value()
}

/// A number in one of the forms the core holds: a JSON tree's [`Number`], or a double (a
/// mapped value's, [`crate::value::Resolved::Number`]).
pub trait JsonNumber {
    /// The double JavaScript holds for it.
    fn js_value(&self) -> f64;
}

impl JsonNumber for Number {
    fn js_value(&self) -> f64 {
        // An integer is converted with rounding to nearest, as JavaScript reads its digits.
        self.as_f64().unwrap_or(f64::NAN)
    }
}

impl JsonNumber for f64 {
    fn js_value(&self) -> f64 {
        *self
    }
}

/// A double as a JSON tree's number, printed as JavaScript prints it where serde_json can:
/// integers as integers (serde_json writes `1.0` for a float); `None` for ±Infinity and NaN,
/// which JSON has no number for (`JSON.stringify` writes `null`).
pub fn json_number(f: f64) -> Option<Number> {
    if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
        Some(Number::from(f as i64))
    } else if f.fract() == 0.0 && f > 0.0 && f < 18_446_744_073_709_551_616.0 {
        // Below 2⁶⁴: exactly a u64.
        Some(Number::from(f as u64))
    } else {
        Number::from_f64(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(number_to_string(f), s, "{f}");
        }
        let big: Number = serde_json::from_str("12345678901234567890").unwrap();
        assert_eq!(
            number_to_string(json_number_value(&big)),
            "12345678901234567000"
        );
        let negative: Number = serde_json::from_str("-9007199254740993").unwrap();
        assert_eq!(
            number_to_string(json_number_value(&negative)),
            "-9007199254740992"
        );
        assert_eq!(json_number(-0.0), Some(Number::from(0)));
        assert_eq!(
            json_number(1e19),
            Some(Number::from(10_000_000_000_000_000_000u64))
        );
        assert_eq!(
            json_number(1.5).map(|n| n.to_string()).as_deref(),
            Some("1.5")
        );
        assert_eq!(json_number(f64::INFINITY), None);
    }
}
