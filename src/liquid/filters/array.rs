//! Array filters: `join`, `first`, `last`, `size`, `sum`, `compact`, `push`, `unshift`,
//! `pop`, `shift`, `slice`, `where`, `sample`. (Segment disables `concat`, `map`, `reverse`,
//! `sort`, `sort_natural`, `uniq`, `find…`, `has…`, `group_by…`, `reject…`, `where_exp`.)

use super::{arg, raw_arg, Error};
use crate::liquid::render::{equals, Context};
use crate::liquid::text;
use crate::liquid::tokenizer::Tokenizer;
use crate::liquid::value::{js_add, slice_range, to_integer, Value};

type Out<'d> = Result<Value<'d>, Error>;

/// `join`, or `join: separator` (a space by default); `nil` items are empty.
pub(crate) fn join<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let items = v.to_array();
    let separator = match args.first().map(Value::to_value) {
        None | Some(Value::Undefined | Value::Null) => vec![0x20],
        Some(s) => s.stringify()?,
    };
    let mut size = separator.len() * items.len().saturating_sub(1);
    let mut parts = Vec::with_capacity(items.len());
    for item in &items {
        let s = item.js_string()?;
        size += s.len();
        parts.push(if item.is_nil() { Vec::new() } else { s });
    }
    cx.charge(size as f64)?;
    Ok(Value::units(text::join(&parts, &separator)))
}

/// Whether liquidjs's `isArrayLike` holds: a truthy value with a numeric `length`.
fn array_like(v: &Value) -> bool {
    v.js_truthy() && matches!(v.length(), Value::Number(_))
}

/// The first item of an array (first code unit of a string); `""` for anything else.
pub(crate) fn first<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let v = v.to_value();
    Ok(if array_like(&v) {
        v.element(0.0)
    } else {
        Value::str("")
    })
}

/// The last item of an array (last code unit of a string); `""` for anything else.
pub(crate) fn last<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let v = v.to_value();
    Ok(if array_like(&v) {
        v.element(-1.0)
    } else {
        Value::str("")
    })
}

/// `value.length`, or 0.
pub(crate) fn size<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let length = if v.js_truthy() {
        v.length()
    } else {
        Value::Undefined
    };
    Ok(if length.js_truthy() {
        length
    } else {
        Value::Number(0.0)
    })
}

/// Reads a dotted property path (`sum: 'a.b'`) from `item`.
fn path<'d>(item: &Value<'d>, property: &Value<'d>) -> Result<Value<'d>, Error> {
    let property = property.stringify()?;
    let mut v = item.clone();
    for key in text::split(&property, &[u16::from(b'.')]) {
        v = v.read_property(&Value::units(key.to_vec()))?;
    }
    Ok(v)
}

/// The sum of the items (or of a property of each), non-numbers counting as 0.
pub(crate) fn sum<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let items = v.to_array();
    cx.work(items.len() as u64)?;
    let property = raw_arg(args, 0);
    let mut total = 0.0;
    for item in &items {
        let n = if property.js_truthy() {
            path(item, &property)?.to_number()?
        } else {
            item.to_number()?
        };
        if !n.is_nan() {
            total += n;
        }
    }
    Ok(Value::Number(total))
}

/// The items that are not `nil`.
pub(crate) fn compact<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let items = v.to_array();
    cx.charge(items.len() as f64)?;
    Ok(Value::array(
        items
            .into_iter()
            .filter(|i| !i.to_value().is_nil())
            .collect(),
    ))
}

/// A copy with the argument added at the end.
pub(crate) fn push<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let mut items = v.to_array();
    cx.charge((items.len() + 1) as f64)?;
    items.push(raw_arg(args, 0));
    Ok(Value::array(items))
}

/// A copy with the argument added at the start.
pub(crate) fn unshift<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let mut items = v.to_array();
    cx.charge(items.len() as f64)?;
    items.insert(0, raw_arg(args, 0));
    Ok(Value::array(items))
}

/// A copy without the last item.
pub(crate) fn pop<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let mut items = v.to_array();
    cx.charge(items.len() as f64)?;
    items.pop();
    Ok(Value::array(items))
}

/// A copy without the first item.
pub(crate) fn shift<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    let mut items = v.to_array();
    cx.charge(items.len() as f64)?;
    if !items.is_empty() {
        items.remove(0);
    }
    Ok(Value::array(items))
}

/// `slice: start, length` (length 1 by default; a negative start counts from the end;
/// strings are sliced by code point).
pub(crate) fn slice<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let v = v.to_value();
    if v.is_nil() {
        return Ok(Value::array(Vec::new()));
    }
    let items = v.items();
    let s = if items.is_none() {
        v.stringify()?
    } else {
        Vec::new()
    };
    let len = items
        .as_ref()
        .map_or_else(|| text::code_point_len(&s), Vec::len);
    let zero = Value::Number(0.0);
    let mut begin = raw_arg(args, 0);
    if begin.js_less(&zero)? == Some(true) {
        begin = js_add(&Value::Number(len as f64), &begin)?;
    }
    let length = arg(args, 1).cloned().unwrap_or(Value::Number(1.0));
    if begin.js_less(&zero)? == Some(true) || length.js_less(&zero)? == Some(true) {
        return Ok(match items {
            Some(_) => Value::array(Vec::new()),
            None => Value::str(""),
        });
    }
    cx.charge(length.to_number()?)?;
    Ok(match items {
        Some(items) => {
            let end = to_integer(&js_add(&begin, &length)?)?;
            Value::array(items[slice_range(items.len(), to_integer(&begin)?, end)].to_vec())
        }
        None => {
            let start = text::advance_code_points(&s, 0, begin.to_number()?);
            let end = text::advance_code_points(&s, start, length.to_number()?);
            Value::units(s[start..end].to_vec())
        }
    })
}

/// `where: property` (items whose property is truthy) or `where: property, value` (items
/// whose property equals the value). The property is a path such as `a.b[0]`.
pub(crate) fn where_<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let items = v.to_array();
    cx.charge(items.len() as f64)?;
    let property = raw_arg(args, 0).stringify()?;
    // A malformed path is reported at the node that uses the filter.
    let operand = Tokenizer::new(&property, 0, property.len())
        .read_scope_value()
        .map_err(Error::unplaced)?;
    let expected = args.get(1);
    let mut kept = Vec::new();
    for item in items {
        let value = match &operand {
            Some(op) => cx.spawned(item.clone(), |cx| cx.eval(op))?,
            None => Value::Undefined,
        };
        let matched = match expected {
            None | Some(Value::Undefined) => value.is_truthy(),
            Some(expected) => equals(&value, expected),
        };
        if matched {
            kept.push(item);
        }
    }
    Ok(Value::array(kept))
}

/// `sample`, `sample: count`: liquidjs picks at random; here the picks are the first items
/// (one possible outcome of the random choice), so renders are reproducible.
pub(crate) fn sample<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let v = v.to_value();
    if v.is_nil() {
        return Ok(Value::array(Vec::new()));
    }
    let items: Vec<Value<'d>> = match v.items() {
        Some(items) => items,
        None => text::code_points(&v.stringify()?)
            .into_iter()
            .map(|c| Value::units(c.to_vec()))
            .collect(),
    };
    cx.charge(v.length().to_number()?)?;
    let count = arg(args, 0).cloned().unwrap_or(Value::Number(1.0));
    if matches!(count, Value::Number(n) if n == 1.0) {
        return Ok(items.into_iter().next().unwrap_or(Value::Undefined));
    }
    let range = slice_range(items.len(), 0.0, to_integer(&count)?);
    Ok(Value::array(items[range].to_vec()))
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn joining_and_picking() {
        check(&[
            ("{{ tags | join: ', ' }}|{{ tags | join }}|{{ mixed | join: '-' }}", "red, green, blue|red green blue|x-1--2,3"),
            ("{{ tags | first }}|{{ tags | last }}|{{ tags.first }}|{{ tags[-1] }}", "red|blue|red|blue"),
            ("{{ name | first }}|{{ emoji | last | size }}|{{ n | first }}|{{ obj | first }}", "Ü|1||"),
            ("{{ tags | size }}|{{ name | size }}|{{ obj | size }}|{{ n | size }}|{{ nil | size }}", "3|14|0|0|0"),
        ]);
    }

    #[test]
    fn building_arrays() {
        check(&[
            ("{{ mixed | compact | size }}|{{ tags | push: 'x' | last }}|{{ tags | unshift: 'x' | first }}", "3|x|x"),
            ("{{ tags | pop | join }}|{{ tags | shift | join }}|{{ n | push: 4 | join }}", "red green|green blue|3 4"),
            ("{{ products | sum: 'qty' }}|{{ '1,2,x' | split: ',' | sum }}", "2|3"),
        ]);
    }

    #[test]
    fn slicing() {
        check(&[
            ("{{ tags | slice: 1 }}|{{ tags | slice: -2, 2 | join }}|{{ tags | slice: 5 | size }}", "green|green blue|0"),
            ("{{ emoji | slice: 1, 1 }}|{{ name | slice: -6, 3 }}|{{ name | slice }}", "🎉|Str|Ü"),
            ("{{ tags | slice: '1', 1 | join }}|{{ 'abc' | slice: -5 }}|{{ 'abc' | slice: 0, -1 }}", "green blue||"),
        ]);
    }

    #[test]
    fn where_selects_items() {
        check(&[
            ("{{ products | where: 'ok' | size }}|{{ products | where: 'sku', 'B-2' | first | size }}", "1|0"),
            ("{{ products | where: 'qty', 0 | first | json }}", r#"{"sku":"B-2","qty":0}"#),
            ("{{ products | where: 'missing', nil | size }}", "2"),
        ]);
    }

    #[test]
    fn sampling_is_reproducible() {
        check(&[(
            "{{ tags | sample }}|{{ tags | sample: 2 | join }}",
            "red|red green",
        )]);
    }
}
