//! The values a template computes with, and the JavaScript rules liquidjs applies to them:
//! how they print (`[object Object]`, arrays run together, `1e+21`), how they convert to
//! numbers and compare, which properties they have (`size`, `first`, `last`, `length`).
//!
//! Objects and arrays of the caller's data are not copied: [`Value::Data`] points at them.

use super::data::{Data, DataKind};
use super::text::{self, JsStr};
use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::Arc;

/// A conversion to a primitive that JavaScript refuses (`Cannot convert object to primitive
/// value`).
#[derive(Debug)]
pub(crate) struct NoPrimitive;

/// The result of a JavaScript conversion.
pub(crate) type Conversion<T> = Result<T, NoPrimitive>;

/// A JavaScript value as liquidjs sees it.
#[derive(Clone)]
pub(crate) enum Value<'d> {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(JsStr),
    /// An array the template built (`split`, a range, `push`…).
    Array(Rc<Vec<Value<'d>>>),
    /// An array or object of the caller's data, read in place.
    Data(&'d dyn Data),
    /// One of liquidjs's special objects.
    Drop(Drop),
}

/// liquidjs's drops: the literals `nil`, `empty` and `blank` (objects that compare in their own
/// way and print as `""`), and the `block` variable inside `{% block %}`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Drop {
    Nil,
    Empty,
    Blank,
    Block,
}

impl<'d> Value<'d> {
    /// A string value.
    pub(crate) fn str(s: &str) -> Value<'d> {
        Value::Str(text::js(s))
    }

    /// A string value from code units.
    pub(crate) fn units(u: Vec<u16>) -> Value<'d> {
        Value::Str(Arc::from(u))
    }

    /// An array value.
    pub(crate) fn array(items: Vec<Value<'d>>) -> Value<'d> {
        Value::Array(Rc::new(items))
    }

    /// A value of the caller's data: scalars are converted, arrays and objects referenced.
    pub(crate) fn from_data(d: &'d dyn Data) -> Value<'d> {
        match d.kind() {
            DataKind::Undefined => Value::Undefined,
            DataKind::Null => Value::Null,
            DataKind::Bool(b) => Value::Bool(b),
            DataKind::Number(n) => Value::Number(n),
            DataKind::String(s) => Value::str(s),
            DataKind::Array | DataKind::Object => Value::Data(d),
        }
    }

    /// liquidjs's `toValue`: drops stand for their primitive (`nil` → `null`, `empty` and
    /// `blank` → `""`).
    pub(crate) fn to_value(&self) -> Value<'d> {
        match self {
            Value::Drop(Drop::Nil) => Value::Null,
            Value::Drop(Drop::Empty | Drop::Blank) => Value::Str(Arc::from([])),
            other => other.clone(),
        }
    }

    /// `value == null`.
    pub(crate) fn is_nil(&self) -> bool {
        matches!(self, Value::Undefined | Value::Null)
    }

    /// `Array.isArray(value)`.
    pub(crate) fn is_array(&self) -> bool {
        match self {
            Value::Array(_) => true,
            Value::Data(d) => d.kind() == DataKind::Array,
            _ => false,
        }
    }

    /// A data object (not an array).
    pub(crate) fn is_data_object(&self) -> bool {
        matches!(self, Value::Data(d) if d.kind() == DataKind::Object)
    }

    /// The items of an array value.
    pub(crate) fn items(&self) -> Option<Vec<Value<'d>>> {
        match self {
            Value::Array(items) => Some(items.as_ref().clone()),
            Value::Data(d) if d.kind() == DataKind::Array => Some(
                (0..d.len())
                    .map(|i| d.item(i).map_or(Value::Undefined, Value::from_data))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// liquidjs's `toArray`: `nil` is `[]`, an array itself, anything else a one-item array.
    pub(crate) fn to_array(&self) -> Vec<Value<'d>> {
        let v = self.to_value();
        if v.is_nil() {
            return Vec::new();
        }
        v.items().unwrap_or_else(|| vec![v])
    }

    /// Liquid truthiness: only `false`, `nil` (and `undefined`) are falsy.
    pub(crate) fn is_truthy(&self) -> bool {
        !matches!(
            self.to_value(),
            Value::Bool(false) | Value::Undefined | Value::Null
        )
    }

    /// JavaScript truthiness (what `if (x)` in liquidjs's own code tests).
    pub(crate) fn js_truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            _ => true,
        }
    }

    /// liquidjs's `stringify`: what `{{ value }}` prints.
    pub(crate) fn stringify(&self) -> Conversion<Vec<u16>> {
        let mut out = Vec::new();
        self.write_to(&mut out)?;
        Ok(out)
    }

    /// Appends what `{{ value }}` prints: `nil` prints nothing, arrays print their items run
    /// together, anything else as `String(value)`.
    pub(crate) fn write_to(&self, out: &mut Vec<u16>) -> Conversion<()> {
        match self.to_value() {
            Value::Str(s) => out.extend_from_slice(&s),
            Value::Undefined | Value::Null => {}
            v if v.is_array() => {
                for item in v.items().unwrap_or_default() {
                    item.write_to(out)?;
                }
            }
            v => v.write_js_string(out)?,
        }
        Ok(())
    }

    /// `String(value)`.
    pub(crate) fn js_string(&self) -> Conversion<Vec<u16>> {
        let mut out = Vec::new();
        self.write_js_string(&mut out)?;
        Ok(out)
    }

    fn write_js_string(&self, out: &mut Vec<u16>) -> Conversion<()> {
        match self {
            Value::Undefined => out.extend(text::utf16("undefined")),
            Value::Null => out.extend(text::utf16("null")),
            Value::Bool(b) => out.extend(text::utf16(if *b { "true" } else { "false" })),
            Value::Number(n) => out.extend_from_slice(&text::number(*n)),
            Value::Str(s) => out.extend_from_slice(s),
            v if v.is_array() => {
                // Array.prototype.toString: items joined with ",", null and undefined empty.
                for (i, item) in v.items().unwrap_or_default().iter().enumerate() {
                    if i > 0 {
                        out.push(u16::from(b','));
                    }
                    if !item.is_nil() {
                        item.write_js_string(out)?;
                    }
                }
            }
            v => {
                v.check_primitive()?;
                out.extend(text::utf16("[object Object]"));
            }
        }
        Ok(())
    }

    /// A data object whose own `toString` member hides `Object.prototype.toString` has no
    /// primitive value: JavaScript throws a TypeError when one is needed.
    fn check_primitive(&self) -> Conversion<()> {
        match self {
            Value::Data(d) if d.kind() == DataKind::Object && d.member("toString").is_some() => {
                Err(NoPrimitive)
            }
            _ => Ok(()),
        }
    }

    /// `Number(value)`.
    pub(crate) fn to_number(&self) -> Conversion<f64> {
        Ok(match self.to_primitive()? {
            Value::Undefined => f64::NAN,
            Value::Null => 0.0,
            Value::Bool(b) => f64::from(u8::from(b)),
            Value::Number(n) => n,
            Value::Str(s) => text::to_number(&s),
            _ => f64::NAN,
        })
    }

    /// liquidjs's `toNumber` for math filters: `Number(value)`, with NaN as 0.
    pub(crate) fn to_number_or_zero(&self) -> Conversion<f64> {
        let n = self.to_value().to_number()?;
        Ok(if n.is_nan() { 0.0 } else { n })
    }

    /// ToPrimitive: arrays become their string, objects `[object Object]`, drops their value.
    pub(crate) fn to_primitive(&self) -> Conversion<Value<'d>> {
        Ok(match self {
            Value::Drop(Drop::Block) => Value::str("[object Object]"),
            Value::Drop(_) => self.to_value(),
            Value::Array(_) | Value::Data(_) => Value::units(self.js_string()?),
            other => other.clone(),
        })
    }

    /// The property key `value` names (`String(value)`).
    pub(crate) fn property_key(&self) -> Conversion<Vec<u16>> {
        self.js_string()
    }

    /// An own property: a string's or array's `length` and indexes, a data object's members.
    pub(crate) fn own(&self, key: &[u16]) -> Option<Value<'d>> {
        let is_length = text::eq_ascii(key, "length");
        match self {
            Value::Str(s) => {
                if is_length {
                    return Some(Value::Number(s.len() as f64));
                }
                canonical_index(key)
                    .and_then(|i| s.get(i))
                    .map(|&u| Value::units(vec![u]))
            }
            Value::Array(items) => {
                if is_length {
                    return Some(Value::Number(items.len() as f64));
                }
                canonical_index(key).and_then(|i| items.get(i).cloned())
            }
            Value::Data(d) => match d.kind() {
                DataKind::Array => {
                    if is_length {
                        return Some(Value::Number(d.len() as f64));
                    }
                    canonical_index(key)
                        .and_then(|i| d.item(i))
                        .map(Value::from_data)
                }
                _ => d.member(&text::rust_string(key)).map(Value::from_data),
            },
            _ => None,
        }
    }

    /// `value.length` (for `size` and liquidjs's `isArrayLike`).
    pub(crate) fn length(&self) -> Value<'d> {
        match self {
            Value::Str(_) | Value::Array(_) | Value::Data(_) => self
                .own(&[108, 101, 110, 103, 116, 104])
                .unwrap_or(Value::Undefined),
            _ => Value::Undefined,
        }
    }

    /// The number of items (array), code units (string) or members (object); `Object.keys`
    /// length for objects.
    fn size(&self) -> Option<f64> {
        match self {
            Value::Str(s) => Some(s.len() as f64),
            Value::Array(items) => Some(items.len() as f64),
            Value::Data(d) => Some(d.len() as f64),
            _ => None,
        }
    }

    /// liquidjs's `readProperty`: `obj[key]` for own properties, negative array indexes from
    /// the end, and `size`, `first`, `last` for arrays, strings and objects that lack them.
    pub(crate) fn read_property(&self, key: &Value<'d>) -> Conversion<Value<'d>> {
        let key = key.to_value();
        match self {
            Value::Undefined | Value::Null => return Ok(self.clone()),
            // Drops answer through their own methods; only `block.super` has something to say.
            Value::Drop(d) => {
                let is_super = text::eq_ascii(&key.property_key()?, "super");
                return Ok(if *d == Drop::Block && is_super {
                    Value::Str(Arc::from([]))
                } else {
                    Value::Undefined
                });
            }
            _ => {}
        }
        if let (true, Value::Number(n)) = (self.is_array(), &key) {
            return Ok(self.element(*n));
        }
        let name = key.property_key()?;
        let own = self.own(&name);
        Ok(if text::eq_ascii(&name, "size") {
            match own {
                Some(v) if self.is_data_object() => v,
                _ => self.size().map_or(Value::Undefined, Value::Number),
            }
        } else if self.is_array() && text::eq_ascii(&name, "first") {
            self.element(0.0)
        } else if self.is_array() && text::eq_ascii(&name, "last") {
            self.element(-1.0)
        } else {
            own.unwrap_or(Value::Undefined)
        })
    }

    /// liquidjs's `readArrayElement`: `index` counts from the end when negative; only own
    /// elements (`length` comes from the value, so strings and array-like objects work too).
    pub(crate) fn element(&self, index: f64) -> Value<'d> {
        let index = if index < 0.0 {
            let length = match self.length() {
                Value::Number(n) => n,
                _ => f64::NAN,
            };
            length + index
        } else {
            index
        };
        self.own(&text::number(index)).unwrap_or(Value::Undefined)
    }

    /// `a === b`.
    pub(crate) fn strict_equals(&self, other: &Value<'d>) -> bool {
        match (self, other) {
            (Value::Undefined, Value::Undefined) | (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => Rc::ptr_eq(a, b),
            (Value::Data(a), Value::Data(b)) => std::ptr::addr_eq(*a, *b),
            (Value::Drop(a), Value::Drop(b)) => a == b,
            _ => false,
        }
    }

    /// JavaScript's `a < b` after both sides became primitives: strings by code unit, anything
    /// else as numbers; `None` when a NaN makes the comparison undefined.
    pub(crate) fn js_less(&self, other: &Value<'d>) -> Conversion<Option<bool>> {
        let (a, b) = (self.to_primitive()?, other.to_primitive()?);
        if let (Value::Str(a), Value::Str(b)) = (&a, &b) {
            return Ok(Some(text::compare(a, b) == Ordering::Less));
        }
        let (a, b) = (a.to_number()?, b.to_number()?);
        Ok(if a.is_nan() || b.is_nan() {
            None
        } else {
            Some(a < b)
        })
    }
}

/// JavaScript's `a + b`: string concatenation when either side is a string once both are
/// primitives, numeric addition otherwise.
pub(crate) fn js_add<'d>(a: &Value<'d>, b: &Value<'d>) -> Conversion<Value<'d>> {
    let (a, b) = (a.to_primitive()?, b.to_primitive()?);
    if matches!(a, Value::Str(_)) || matches!(b, Value::Str(_)) {
        let mut s = a.js_string()?;
        s.extend(b.js_string()?);
        return Ok(Value::units(s));
    }
    Ok(Value::Number(a.to_number()? + b.to_number()?))
}

/// JavaScript's `a <= b`.
pub(crate) fn js_le(a: &Value, b: &Value) -> Conversion<bool> {
    Ok(b.js_less(a)? == Some(false))
}

/// ToIntegerOrInfinity: NaN is 0, fractions are cut off.
pub(crate) fn to_integer(v: &Value) -> Conversion<f64> {
    let n = v.to_number()?;
    Ok(if n.is_nan() { 0.0 } else { n.trunc() })
}

/// The range `Array.prototype.slice(start, end)` takes from a sequence of length `len`.
pub(crate) fn slice_range(len: usize, start: f64, end: f64) -> std::ops::Range<usize> {
    let len_f = len as f64;
    let clamp = |i: f64| {
        if i < 0.0 {
            (len_f + i).max(0.0)
        } else {
            i.min(len_f)
        }
    };
    let (s, e) = (clamp(start) as usize, clamp(end) as usize);
    s..e.max(s)
}

/// A canonical array index (`"0"`, `"12"`; not `"01"`, `"-1"` or `"1.5"`).
fn canonical_index(key: &[u16]) -> Option<usize> {
    let digits = key.iter().all(|u| (0x30..=0x39).contains(u));
    if key.is_empty() || !digits || (key.len() > 1 && key[0] == 0x30) || key.len() > 15 {
        return None;
    }
    text::rust_string(key).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &Value) -> String {
        text::rust_string(&v.stringify().unwrap())
    }

    fn prop<'d>(v: &Value<'d>, key: Value<'d>) -> Value<'d> {
        v.read_property(&key).unwrap()
    }

    #[test]
    fn prints_like_liquidjs() {
        let arr = Value::array(vec![
            Value::Number(1.0),
            Value::Null,
            Value::str("a"),
            Value::array(vec![Value::Bool(true)]),
        ]);
        assert_eq!(s(&arr), "1atrue");
        assert_eq!(text::rust_string(&arr.js_string().unwrap()), "1,,a,true");
        assert_eq!(s(&Value::Number(1e21)), "1e+21");
        assert_eq!(s(&Value::Drop(Drop::Nil)), "");
        assert_eq!(s(&Value::Drop(Drop::Block)), "[object Object]");
        assert_eq!(s(&Value::Undefined), "");
    }

    #[test]
    fn properties_of_strings_and_arrays() {
        let word = Value::str("héllo");
        assert_eq!(s(&prop(&word, Value::str("size"))), "5");
        assert_eq!(s(&prop(&word, Value::str("length"))), "5");
        assert_eq!(s(&prop(&word, Value::Number(1.0))), "é");
        assert!(matches!(prop(&word, Value::str("first")), Value::Undefined));
        let arr = Value::array(vec![Value::str("a"), Value::str("b")]);
        assert_eq!(s(&prop(&arr, Value::Number(-1.0))), "b");
        assert_eq!(s(&prop(&arr, Value::str("last"))), "b");
        assert_eq!(s(&prop(&arr, Value::str("1"))), "b");
        assert!(matches!(prop(&arr, Value::str("01")), Value::Undefined));
        assert!(matches!(prop(&arr, Value::Number(1.5)), Value::Undefined));
    }

    #[test]
    fn numbers_and_comparisons() {
        assert_eq!(Value::str(" 12 ").to_number().unwrap(), 12.0);
        assert_eq!(Value::Drop(Drop::Nil).to_number().unwrap(), 0.0);
        assert!(Value::array(vec![]).to_number().unwrap() == 0.0);
        assert!(Value::Undefined.to_number().unwrap().is_nan());
        assert_eq!(
            Value::str("b").js_less(&Value::str("ab")).unwrap(),
            Some(false)
        );
        assert_eq!(
            Value::str("10").js_less(&Value::Number(9.0)).unwrap(),
            Some(false)
        );
        assert_eq!(Value::str("x").js_less(&Value::Number(9.0)).unwrap(), None);
    }
}
