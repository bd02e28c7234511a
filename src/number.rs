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

/// The JS string form of a JSON number (integers beyond 2⁵³ lose precision, as in JS).
pub fn json_number_to_string(n: &Number) -> String {
    const SAFE: u64 = 1 << 53;
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= SAFE) {
        return i.to_string();
    }
    if let Some(u) = n.as_u64().filter(|u| *u <= SAFE) {
        return u.to_string();
    }
    number_to_string(json_number_value(n))
}

/// The number a JSON number stands for in JS.
pub fn json_number_value(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
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
        assert_eq!(json_number_to_string(&big), "12345678901234567000");
        let negative: Number = serde_json::from_str("-9007199254740993").unwrap();
        assert_eq!(json_number_to_string(&negative), "-9007199254740992");
    }
}
