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

/// The double a decimal literal stands for (`12`, `-0.5`, `1.5e-7`, `.5`, `1.`, `+3`: the
/// grammar JSON numbers and the decimals of `Number("…")` share), correctly rounded, ±Infinity
/// beyond the range; `None` for anything else. Literals of up to 19 digits with a small
/// exponent are exact in doubles and computed here (Clinger's fast path); the rest go to the
/// host ([`crate::host::parse_float`]), so the npm wasm carries no arbitrary-precision parser.
pub fn parse_decimal(text: &str) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let b = text.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let (mut mantissa, mut digits, mut exponent, mut exact) = (0u64, 0usize, 0i64, true);
    let mut any = false;
    let mut fraction = false;
    while i < b.len() {
        match b[i] {
            d @ b'0'..=b'9' => {
                any = true;
                if mantissa != 0 || d != b'0' {
                    if digits < 19 {
                        mantissa = mantissa * 10 + u64::from(d - b'0');
                        digits += 1;
                    } else {
                        exact = false;
                        exponent += 1;
                    }
                }
                if fraction {
                    exponent -= 1;
                }
            }
            b'.' if !fraction => fraction = true,
            _ => break,
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let negative_exponent = b.get(i) == Some(&b'-');
        i += usize::from(matches!(b.get(i), Some(b'-' | b'+')));
        let start = i;
        let mut e = 0i64;
        while let Some(d @ b'0'..=b'9') = b.get(i) {
            e = (e * 10 + i64::from(d - b'0')).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        exponent += if negative_exponent { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    let magnitude = if mantissa == 0 {
        0.0
    } else if exact && mantissa <= 1 << 53 && (-22..=22).contains(&exponent) {
        let m = mantissa as f64;
        let scale = POW10[exponent.unsigned_abs() as usize];
        if exponent < 0 {
            m / scale
        } else {
            m * scale
        }
    } else {
        return Some(crate::host::parse_float(text));
    };
    Some(if negative { -magnitude } else { magnitude })
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

/// JavaScript's `a % b` (C's `fmod`): `a` less the whole multiple of `b` nearest it towards
/// zero, with `a`'s sign, exact. By `libm` (musl's `fmod`, on the bits): Rust's `%` on doubles
/// links a generic `fmod` with 128-bit division into the wasm, about 2 KB more.
pub fn remainder(a: f64, b: f64) -> f64 {
    libm::fmod(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_as_rust_does() {
        for text in [
            "0",
            "-0",
            "12",
            "-0.5",
            "1.5e-7",
            ".5",
            "1.",
            "+3",
            "0.001",
            "1e22",
            "1e23",
            "9007199254740993",
            "123456789012345678901",
            "1e400",
            "-1e400",
            "5e-324",
            "1e-400",
            "0e999999999",
            "0.30000000000000004",
            "1.7976931348623157e308",
            "2.5E+3",
        ] {
            let expected: f64 = text.parse().unwrap();
            let got = parse_decimal(text).unwrap();
            assert_eq!(got.to_bits(), expected.to_bits(), "{text}");
        }
        for text in [
            "", "-", ".", "1e", "1e+", "e5", "1.2.3", "--1", "inf", "NaN", "1 ", "0x1",
        ] {
            assert_eq!(parse_decimal(text), None, "{text}");
        }
    }

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

    #[test]
    fn remainder_is_the_native_remainder() {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            60.0,
            -60.0,
            3.0,
            1e-300,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 3.0,
            5e-324,
            -5e-324,
            1.7976931348623157e308,
            -1.7976931348623157e308,
            9007199254740993.0,
            0.1,
            0.3,
            123456.789,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let same = |a: f64, b: f64| {
            let (ours, native) = (remainder(a, b), a % b);
            assert!(
                ours.to_bits() == native.to_bits() || (ours.is_nan() && native.is_nan()),
                "{a:e} % {b:e}: {ours:e}, native {native:e}"
            );
        };
        for &a in &specials {
            for &b in &specials {
                same(a, b);
            }
        }
        // xorshift over all bit patterns (exponents near each other, and far apart).
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let a = f64::from_bits(next());
            let b = f64::from_bits(next());
            same(a, b);
            let near = f64::from_bits((a.to_bits() & !(0x3F << 52)) | (next() & (0x3F << 52)));
            same(near, b);
            same(a.trunc(), (next() % 100) as f64 - 50.0);
        }
    }
}
