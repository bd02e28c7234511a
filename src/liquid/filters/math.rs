//! Math filters: `abs`, `at_least`, `at_most`, `ceil`, `floor`, `divided_by`, `minus`,
//! `plus`, `times`, `modulo`, `round`.
//!
//! As in liquidjs 10.22 and later, every operand goes through `Number()` with NaN read as 0
//! (`'abc' | plus: 1` is 1), results are JavaScript doubles (`10 | divided_by: 4` is 2.5) and
//! `modulo` takes the sign of the divisor (`7 | modulo: -2` is -1).

use super::Error;
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::value::Value;
use std::cmp::Ordering;

type Out<'d> = Result<Value<'d>, Error>;

/// The value and every argument given through liquidjs's `toNumber` (`Number()`, NaN as 0),
/// in order. An argument that is `undefined` is 0, but a missing one stays missing, and
/// arithmetic with it gives NaN.
fn numbers(v: &Value, args: &[Value]) -> Result<Vec<f64>, Error> {
    let mut out = Vec::with_capacity(args.len() + 1);
    out.push(v.to_number_or_zero()?);
    for a in args {
        out.push(a.to_number_or_zero()?);
    }
    Ok(out)
}

/// The value and the first argument (NaN when missing).
fn pair(v: &Value, args: &[Value]) -> Result<(f64, f64), Error> {
    let n = numbers(v, args)?;
    Ok((n[0], n.get(1).copied().unwrap_or(f64::NAN)))
}

fn one(v: &Value, args: &[Value], f: fn(f64) -> f64) -> Out<'static> {
    Ok(Value::Number(f(numbers(v, args)?[0])))
}

pub(crate) fn abs<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    one(&v, args, f64::abs)
}

/// `Math.max` of the value and every argument.
pub(crate) fn at_least<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let n = numbers(&v, args)?;
    Ok(Value::Number(
        n.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    ))
}

/// `Math.min` of the value and every argument.
pub(crate) fn at_most<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let n = numbers(&v, args)?;
    Ok(Value::Number(
        n.iter().copied().fold(f64::INFINITY, f64::min),
    ))
}

pub(crate) fn ceil<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    one(&v, args, f64::ceil)
}

pub(crate) fn floor<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    one(&v, args, f64::floor)
}

/// `divided_by: d`, or `divided_by: d, true` for the floor of the quotient.
pub(crate) fn divided_by<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let n = numbers(&v, args)?;
    let (a, b) = (n[0], n.get(1).copied().unwrap_or(f64::NAN));
    let integer = n.get(2).is_some_and(|f| *f != 0.0);
    Ok(Value::Number(if integer { (a / b).floor() } else { a / b }))
}

pub(crate) fn minus<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let (a, b) = pair(&v, args)?;
    Ok(Value::Number(a - b))
}

pub(crate) fn plus<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let (a, b) = pair(&v, args)?;
    Ok(Value::Number(a + b))
}

pub(crate) fn times<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let (a, b) = pair(&v, args)?;
    Ok(Value::Number(a * b))
}

/// The remainder with the divisor's sign: `((a % b) + b) % b`.
pub(crate) fn modulo<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let (a, b) = pair(&v, args)?;
    let rem = crate::js::number::remainder;
    Ok(Value::Number(rem(rem(a, b) + b, b)))
}

/// `n` with its decimal point moved by `exponent` places, through its decimal text (as
/// liquidjs does, to round 1.005 to 1.01 and not 1).
fn shift_decimal(n: f64, exponent: f64) -> f64 {
    let printed = crate::js::number_to_string(n);
    let (mantissa, power) = printed.split_once('e').unwrap_or((&printed, "0"));
    let power = crate::js::string_to_number(power) + exponent;
    text::to_number(&text::utf16(&format!(
        "{mantissa}e{}",
        crate::js::number_to_string(power)
    )))
}

/// `round`, or `round: digits`; halves round away from zero, and a value too large to
/// scale comes back unchanged.
pub(crate) fn round<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let n = v.to_number_or_zero()?;
    let digits = match super::arg(args, 0) {
        Some(d) => d.to_number_or_zero()?,
        None => 0.0,
    };
    let scaled = shift_decimal(n.abs(), digits);
    // NaN (a fractional number of digits) also leaves the value as it is.
    let safe = 9_007_199_254_740_991.0;
    if !matches!(
        scaled.partial_cmp(&safe),
        Some(Ordering::Less | Ordering::Equal)
    ) {
        return Ok(Value::Number(n));
    }
    let rounded = shift_decimal(scaled.round(), -digits);
    Ok(Value::Number(if n < 0.0 { -rounded } else { rounded }))
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn arithmetic_is_javascript_arithmetic() {
        check(&[
            ("{{ 10 | divided_by: 4 }}|{{ 10 | divided_by: 4, true }}|{{ 1 | divided_by: 0 }}", "2.5|2|Infinity"),
            ("{{ 7 | modulo: -2 }}|{{ -3.5 | modulo: 7 }}|{{ 1 | modulo: 0 }}", "-1|3.5|NaN"),
            ("{{ 'abc' | plus: 1 }}|{{ '2' | plus: '3' }}|{{ price | times: 100 }}", "1|5|1998.9999999999998"),
            ("{{ 0.1 | plus: 0.2 }}|{{ 1000000000000000000000 | times: 1 }}|{{ 1e21 | times: 1 }}", "0.30000000000000004|1e+21|0"),
            ("{{ n | at_least: 1, 5, 2 }}|{{ n | at_most: 1 }}|{{ neg | abs }}", "5|1|2.5"),
            ("{{ neg | ceil }}|{{ neg | floor }}|{{ zero | minus: 0 }}", "-2|-3|0"),
            ("{{ n | times }}|{{ n | times: missing }}|{{ n | at_least }}", "NaN|0|3"),
        ]);
    }

    #[test]
    fn rounding() {
        check(&[
            (
                "{{ 1.005 | round: 2 }}|{{ 2.5 | round }}|{{ -2.5 | round }}",
                "1.01|3|-3",
            ),
            (
                "{{ price | round: 1 }}|{{ 1234.5 | round: -2 }}|{{ n | round: 'x' }}",
                "20|1200|3",
            ),
            ("{{ 1000000000000000000000 | round: 2 }}", "1e+21"),
        ]);
    }
}
