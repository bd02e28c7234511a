//! Other filters: `default`, `json` (and its aliases `jsonify`, `inspect`), `to_integer`,
//! `raw`.

use super::{raw_arg, Error};
use crate::liquid::data::DataKind;
use crate::liquid::error::Code;
use crate::liquid::render::Context;
use crate::liquid::text;
use crate::liquid::value::Value;

type Out<'d> = Result<Value<'d>, Error>;

/// `default: fallback`: the fallback for `nil`, `false`, `""` and `[]` (not for `0`);
/// `default: fallback, allow_false: true` keeps `false`.
pub(crate) fn default<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let v = v.to_value();
    let fallback = raw_arg(args, 0);
    if let Some(len) = match &v {
        Value::Str(s) => Some(s.len()),
        other => other.items().map(|i| i.len()),
    } {
        return Ok(if len > 0 { v } else { fallback });
    }
    if matches!(v, Value::Bool(false)) && allow_false(args.get(1..).unwrap_or_default())? {
        return Ok(v);
    }
    Ok(if v.is_truthy() { v } else { fallback })
}

/// `new Map(args).get('allow_false')` is truthy; every argument must be an entry (an array
/// or object), or JavaScript throws.
fn allow_false(args: &[Value]) -> Result<bool, Error> {
    let mut allowed = false;
    for entry in args {
        let is_object = matches!(entry, Value::Array(_) | Value::Data(_) | Value::Drop(_));
        if !is_object {
            let shown = text::rust_string(&entry.js_string()?);
            return Err(Code::NotAnEntry(shown).into());
        }
        let key = entry.read_property(&Value::Number(0.0))?;
        if matches!(&key, Value::Str(k) if **k == *text::utf16("allow_false")) {
            allowed = entry.read_property(&Value::Number(1.0))?.js_truthy();
        }
    }
    Ok(allowed)
}

/// `json`, `json: indent`: `JSON.stringify` (objects in JavaScript's key order; `nil`,
/// `empty` and `blank` are objects, `{}`; `undefined` prints nothing).
pub(crate) fn json<'d>(cx: &mut Context<'_, 'd>, v: Value<'d>, args: &[Value<'d>]) -> Out<'d> {
    let indent: Vec<u16> = match args.first() {
        Some(Value::Number(n)) if *n >= 1.0 => vec![0x20; n.min(10.0) as usize],
        Some(Value::Str(s)) => s.iter().take(10).copied().collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    if write_json(cx, &v, &indent, 0, &mut out)? {
        Ok(Value::units(out))
    } else {
        Ok(Value::Undefined)
    }
}

/// liquidjs's memory charge for each value `JSON.stringify` visits.
fn json_charge(cx: &mut Context, v: &Value) -> Result<(), Error> {
    let n = match v {
        Value::Str(s) => s.len(),
        Value::Null => 4,
        Value::Bool(b) => 4 + usize::from(!b),
        Value::Number(n) if n.is_finite() => crate::js::number_to_string(*n).len(),
        Value::Number(_) => 4,
        Value::Undefined => 0,
        other => match other.items() {
            Some(items) => items.len() + 1,
            None => 2,
        },
    };
    cx.charge(n as f64)
}

fn newline(indent: &[u16], depth: usize, out: &mut Vec<u16>) {
    if !indent.is_empty() {
        out.push(0x0A);
        for _ in 0..depth {
            out.extend_from_slice(indent);
        }
    }
}

/// Appends `v` as JSON; `false` when `v` has no JSON form (`undefined`).
fn write_json(
    cx: &mut Context,
    v: &Value,
    indent: &[u16],
    depth: usize,
    out: &mut Vec<u16>,
) -> Result<bool, Error> {
    json_charge(cx, v)?;
    cx.work(1)?;
    match v {
        Value::Undefined => return Ok(false),
        Value::Null => out.extend(text::utf16("null")),
        Value::Bool(_) => out.extend(v.js_string()?),
        Value::Number(n) if n.is_finite() => out.extend(v.js_string()?),
        Value::Number(_) => out.extend(text::utf16("null")),
        Value::Str(s) => text::json_quote(s, out),
        _ => {
            if let Some(items) = v.items() {
                out.push(u16::from(b'['));
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(u16::from(b','));
                    }
                    newline(indent, depth + 1, out);
                    if !write_json(cx, item, indent, depth + 1, out)? {
                        out.extend(text::utf16("null"));
                    }
                }
                if !items.is_empty() {
                    newline(indent, depth, out);
                }
                out.push(u16::from(b']'));
                return Ok(true);
            }
            out.push(u16::from(b'{'));
            let mut any = false;
            if let Value::Data(d) = v {
                for (key, member) in d.members() {
                    if member.kind() == DataKind::Undefined {
                        continue;
                    }
                    if any {
                        out.push(u16::from(b','));
                    }
                    any = true;
                    newline(indent, depth + 1, out);
                    text::json_quote(&text::utf16(key), out);
                    out.push(u16::from(b':'));
                    if !indent.is_empty() {
                        out.push(0x20);
                    }
                    write_json(cx, &Value::from_data(member), indent, depth + 1, out)?;
                }
            }
            if any {
                newline(indent, depth, out);
            }
            out.push(u16::from(b'}'));
        }
    }
    Ok(true)
}

/// `Number(value)`.
pub(crate) fn to_integer<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    Ok(Value::Number(v.to_number()?))
}

/// The value unchanged (it only matters with output escaping, which Segment does not use).
pub(crate) fn raw<'d>(_: &mut Context<'_, 'd>, v: Value<'d>, _: &[Value<'d>]) -> Out<'d> {
    Ok(v)
}

#[cfg(test)]
mod tests {
    use crate::liquid::filters::testing::check;

    #[test]
    fn defaults() {
        check(&[
            (
                "{{ missing | default: 'd' }}|{{ '' | default: 'd' }}|{{ zero | default: 'd' }}",
                "d|d|0",
            ),
            (
                "{{ false | default: 'd' }}|{{ false | default: 'd', allow_false: true }}",
                "d|false",
            ),
            (
                "{{ nil | default: 'd' }}|{{ empty | default: 'd' }}|{{ tags | default: 'd' }}",
                "d|d|redgreenblue",
            ),
            (
                "{{ 'x' | default: 1, 2 }}|{{ false | default: 1, 2 }}",
                "error: Iterator value 2 is not an entry object, line:1, col:27",
            ),
        ]);
    }

    #[test]
    fn json() {
        check(&[
            (
                "{{ obj | json }}|{{ tags | json }}|{{ name | json }}",
                r#"{"a":1}|["red","green","blue"]|"Ünïcödé Straße""#,
            ),
            (
                "{{ nil | json }}|{{ missing | json }}|{{ 1000000000000000000000 | jsonify }}",
                "{}||1e+21",
            ),
            (
                "{{ mixed | json: 2 }}",
                "[\n  \"x\",\n  1,\n  null,\n  [\n    2,\n    3\n  ]\n]",
            ),
            ("{{ obj | inspect: 'ab' }}", "{\nab\"a\": 1\n}"),
        ]);
    }

    #[test]
    fn numbers_and_raw() {
        check(&[
            (
                "{{ '12' | to_integer | plus: 1 }}|{{ obj | to_integer }}|{{ nil | to_integer }}",
                "13|NaN|0",
            ),
            ("{{ name | raw }}", "Ünïcödé Straße"),
        ]);
    }
}
