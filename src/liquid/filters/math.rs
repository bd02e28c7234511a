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

fn num(v: &Value) -> f64 {
    v.to_number_or_zero()
}

/// The operand and argument `i` (an absent argument is `undefined`, which is NaN, which is 0).
fn pair(v: &Value, args: &[Value], i: usize) -> (f64, f64) {
    (num(v), args.get(i).map_or(0.0, num))
}

pub(crate) fn abs<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    Ok(Value::Number(num(&v).abs()))
}

/// `Math.max` of the value and every argument.
pub(crate) fn at_least<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    Ok(Value::Number(args.iter().map(num).fold(num(&v), f64::max)))
}

/// `Math.min` of the value and every argument.
pub(crate) fn at_most<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    Ok(Value::Number(args.iter().map(num).fold(num(&v), f64::min)))
}

pub(crate) fn ceil<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    Ok(Value::Number(num(&v).ceil()))
}

pub(crate) fn floor<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    Ok(Value::Number(num(&v).floor()))
}

/// `divided_by: d`, or `divided_by: d, true` for the floor of the quotient.
pub(crate) fn divided_by<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let (a, b) = pair(&v, args, 0);
    let integer = args.get(1).is_some_and(|f| num(f) != 0.0);
    Ok(Value::Number(if integer { (a / b).floor() } else { a / b }))
}

pub(crate) fn minus<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let (a, b) = pair(&v, args, 0);
    Ok(Value::Number(a - b))
}

pub(crate) fn plus<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let (a, b) = pair(&v, args, 0);
    Ok(Value::Number(a + b))
}

pub(crate) fn times<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let (a, b) = pair(&v, args, 0);
    Ok(Value::Number(a * b))
}

/// The remainder with the divisor's sign: `((a % b) + b) % b`.
pub(crate) fn modulo<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let (a, b) = pair(&v, args, 0);
    Ok(Value::Number(((a % b) + b) % b))
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
    let n = num(&v);
    let digits = super::arg(args, 0).map_or(0.0, num);
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
