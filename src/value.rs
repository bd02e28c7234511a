//! [`Resolved`]: the value a mapping produces, which unlike JSON can be `undefined`.
//!
//! Segment's mapping-kit keeps `undefined` inside objects and arrays until the very end
//! (`removeUndefined`), and some directives observe the difference (`@merge` lets an
//! `undefined` key override a defined one, `@flatten` keeps it as a key that later vanishes).
//! Modelling `undefined` explicitly keeps those results exact.

use crate::js::number;
use crate::js::{index_key, PROTO_KEY};
use crate::json::read::{self, Kind, Scalar, Tree};
use crate::json::write::{copy_canonical, write_str, ProtoMember, Unwritable};
use crate::json::RawJson;
/// An object's members in insertion order, hashed with foldhash (randomly seeded, and much
/// faster than SipHash for the short keys events have).
pub type ObjectMap = indexmap::IndexMap<String, Resolved, foldhash::fast::RandomState>;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// `String(value)` threw: JavaScript found no primitive for an object (see
/// [`Resolved::to_js_string`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoPrimitive;

/// A JSON value that may also be, or contain, `undefined`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Resolved {
    /// JavaScript's `undefined`: "nothing resolved here".
    #[default]
    Undefined,
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number as JavaScript holds it: a double (`1.0` is `1`, integers beyond 2⁵³ round),
    /// ±Infinity where JSON text goes beyond a double's range (`1e400`), as `JSON.parse` reads
    /// it. `JSON.stringify` writes the non-finite ones as `null`.
    Number(f64),
    /// A string.
    String(String),
    /// An array; `undefined` items print as `null`.
    Array(Vec<Resolved>),
    /// An object; `undefined` members are dropped when it becomes JSON.
    Object(ObjectMap),
    /// An array or object still in its JSON text, as read from an event: passed through
    /// untouched unless a directive looks inside it ([`Resolved::materialize`]).
    Raw(RawJson),
}

/// The member JavaScript calls to make an object text (`String(o)`, `` `${o}` ``, `o == ''`);
/// an object's own member of that name hides `Object.prototype.toString`.
const TO_STRING: &str = "toString";

/// Whether JSON text may have a `__proto__` key: it has `__pro`, or an escape (with which a
/// key can spell it otherwise).
fn may_have_proto_key(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(5).any(|w| w == b"__pro") || b.windows(2).any(|w| w == b"\\u")
}

/// Object members in JavaScript's property order: array-index keys ascending, then the
/// others in insertion order. Objects without index keys (nearly all) are not copied.
pub fn js_order(map: &ObjectMap) -> JsOrder<indexmap::map::Iter<'_, String, Resolved>> {
    ordered(map.iter(), has_index_keys(map))
}

/// [`js_order`] for an object given up by its owner.
pub fn js_order_owned(map: ObjectMap) -> JsOrder<indexmap::map::IntoIter<String, Resolved>> {
    let reorder = has_index_keys(&map);
    ordered(map.into_iter(), reorder)
}

/// [`js_order`] for the members of any object (a `serde_json` map, say).
pub fn js_order_of<K: AsRef<str>, V, I: Iterator<Item = (K, V)> + Clone>(members: I) -> JsOrder<I> {
    let reorder = members
        .clone()
        .any(|(k, _)| index_key(k.as_ref()).is_some());
    ordered(members, reorder)
}

fn has_index_keys(map: &ObjectMap) -> bool {
    map.keys().any(|k| index_key(k).is_some())
}

fn ordered<K: AsRef<str>, V, I: Iterator<Item = (K, V)>>(iter: I, reorder: bool) -> JsOrder<I> {
    if !reorder {
        return JsOrder::AsInserted(iter);
    }
    let members: Vec<(K, V)> = iter.collect();
    JsOrder::Sorted(
        js_positions(members.iter().map(|(k, _)| k.as_ref())),
        members.into_iter().map(Some).collect(),
    )
}

/// The order JavaScript lists an object's keys in, as positions in insertion order: array-index
/// keys first, ascending (each is unique), then the others as inserted.
fn js_positions<'k>(keys: impl Iterator<Item = &'k str>) -> std::vec::IntoIter<usize> {
    let mut indexes: Vec<(usize, usize)> = Vec::new();
    let mut others: Vec<usize> = Vec::new();
    for (position, key) in keys.enumerate() {
        match index_key(key) {
            Some(index) => indexes.push((index, position)),
            None => others.push(position),
        }
    }
    // The core's one sort (`crate::sort`): the standard library's would add 5 KB or more.
    crate::sort::sort_pairs(&mut indexes);
    let mut order: Vec<usize> = indexes.into_iter().map(|(_, position)| position).collect();
    order.extend(others);
    order.into_iter()
}

/// The iterator [`js_order`] returns.
pub enum JsOrder<I: Iterator> {
    /// No index keys: insertion order is JS order.
    AsInserted(I),
    /// Index keys moved to the front: the members, taken in the order of the positions.
    Sorted(std::vec::IntoIter<usize>, Vec<Option<I::Item>>),
}

impl<I: Iterator> Iterator for JsOrder<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        match self {
            JsOrder::AsInserted(i) => i.next(),
            JsOrder::Sorted(order, members) => members.get_mut(order.next()?)?.take(),
        }
    }
}

impl Resolved {
    /// Whether this is `undefined`.
    /// The value of JSON text read in place: a scalar's value; arrays and objects stay text,
    /// as [`Resolved::Raw`].
    pub fn in_place(raw: &RawValue) -> Resolved {
        match read::scalar(raw) {
            Some(scalar) => scalar.into(),
            None => Resolved::Raw(raw.to_owned().into()),
        }
    }

    pub fn is_undefined(&self) -> bool {
        matches!(self, Resolved::Undefined)
    }

    /// `undefined` or `null`.
    pub fn is_nullish(&self) -> bool {
        matches!(self, Resolved::Undefined | Resolved::Null)
    }

    /// The value with any JSON text parsed into a tree, for directives that look inside
    /// arrays and objects. Text nested deeper than serde_json's limit (128) is `undefined`.
    pub fn materialize(self) -> Resolved {
        match self {
            Resolved::Raw(raw) => resolved_of(&raw, 0).unwrap_or(Resolved::Undefined),
            other => other,
        }
    }

    /// `String(value)` in JS (`undefined` and `null` give `"undefined"`/`"null"`). Fails where
    /// JavaScript's ToPrimitive throws: an object (or an array holding one) with its own
    /// `toString` member, which in JSON is never the function JavaScript would call.
    pub fn to_js_string(&self) -> Result<String, NoPrimitive> {
        Ok(match self {
            Resolved::Undefined => "undefined".into(),
            Resolved::Null => "null".into(),
            Resolved::Bool(b) => b.to_string(),
            Resolved::Number(n) => number::number_to_string(*n),
            Resolved::String(s) => s.clone(),
            Resolved::Array(items) => {
                // `Array.prototype.join`: nullish items as empty text.
                let mut out = String::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !item.is_nullish() {
                        out.push_str(&item.to_js_string()?);
                    }
                }
                out
            }
            Resolved::Object(map) if map.contains_key(TO_STRING) => return Err(NoPrimitive),
            Resolved::Raw(raw) if read::kind(raw) == Kind::Array => {
                return self.clone().materialize().to_js_string()
            }
            Resolved::Raw(raw) if read::member(raw, TO_STRING).is_some() => {
                return Err(NoPrimitive)
            }
            Resolved::Object(_) | Resolved::Raw(_) => "[object Object]".into(),
        })
    }

    /// `JSON.stringify(value)` in the middle of a mapping (`@json`): own `__proto__` members are
    /// printed. `None` where JS answers `undefined` (or for JSON text too deep to rewrite, see
    /// [`Unwritable`]).
    pub fn stringify(&self) -> Option<String> {
        let mut out = String::new();
        matches!(self.write(&mut out, ProtoMember::Print), Ok(true)).then_some(out)
    }

    /// Appends the value as Segment sends it, `JSON.stringify` after `removeUndefined`:
    /// `undefined` and `__proto__` members left out ([`ProtoMember::Drop`]); `false` (nothing
    /// written) for `undefined`.
    pub fn write_json(&self, out: &mut String) -> Result<bool, Unwritable> {
        self.write(out, ProtoMember::Drop)
    }

    /// Appends `JSON.stringify(value)`, `__proto__` members as `proto` says.
    pub(crate) fn write(&self, out: &mut String, proto: ProtoMember) -> Result<bool, Unwritable> {
        match self {
            Resolved::Undefined => return Ok(false),
            Resolved::Null => out.push_str("null"),
            Resolved::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Resolved::Number(n) if n.is_finite() => out.push_str(&number::number_to_string(*n)),
            Resolved::Number(_) => out.push_str("null"),
            Resolved::String(s) => write_str(s, out),
            Resolved::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !item.write(out, proto)? {
                        out.push_str("null");
                    }
                }
                out.push(']');
            }
            Resolved::Object(map) => {
                out.push('{');
                let mut first = true;
                for (k, v) in js_order(map) {
                    if v.is_undefined() || (k == PROTO_KEY && proto == ProtoMember::Drop) {
                        continue;
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    write_str(k, out);
                    out.push(':');
                    v.write(out, proto)?;
                }
                out.push('}');
            }
            Resolved::Raw(raw) => write_js(raw.text(), out, proto)?,
        }
        Ok(true)
    }

    /// Segment's `removeUndefined`, then JSON: `undefined` members disappear (and so do
    /// `__proto__` members), `undefined` array items become `null`; `None` when the whole value
    /// is `undefined`.
    pub fn into_json(self) -> Option<Value> {
        Some(match self {
            Resolved::Undefined => return None,
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Number(n) => number::json_number(n).map_or(Value::Null, Value::Number),
            Resolved::String(s) => Value::String(s),
            Resolved::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|i| i.into_json().unwrap_or(Value::Null))
                    .collect(),
            ),
            Resolved::Object(map) => Value::Object(
                js_order_owned(map)
                    .filter(|(k, _)| k.as_str() != PROTO_KEY)
                    .filter_map(|(k, v)| v.into_json().map(|j| (k, j)))
                    .collect::<Map<_, _>>(),
            ),
            raw @ Resolved::Raw(_) => return raw.materialize().into_json(),
        })
    }

    /// Segment's `removeUndefined` without leaving the `Resolved` world (array items stay
    /// `undefined`, as in JS). Its `Object.assign` copies make `__proto__` members prototypes,
    /// so those go too (what a prototype then lends to lookups is not kept).
    pub fn remove_undefined(self) -> Resolved {
        match self {
            Resolved::Array(items) => {
                Resolved::Array(items.into_iter().map(Resolved::remove_undefined).collect())
            }
            Resolved::Object(map) => Resolved::Object(
                map.into_iter()
                    .filter(|(k, v)| !v.is_undefined() && k != PROTO_KEY)
                    .map(|(k, v)| (k, v.remove_undefined()))
                    .collect(),
            ),
            // Text is looked into only when it may have such a key (plain or escaped).
            Resolved::Raw(raw) if may_have_proto_key(raw.text()) => {
                Resolved::Raw(raw).materialize().remove_undefined()
            }
            other => other,
        }
    }
}

impl From<&Value> for Resolved {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => Resolved::Null,
            Value::Bool(b) => Resolved::Bool(*b),
            Value::Number(n) => Resolved::Number(number::json_number_value(n)),
            Value::String(s) => Resolved::String(s.clone()),
            Value::Array(items) => Resolved::Array(items.iter().map(Resolved::from).collect()),
            Value::Object(map) => Resolved::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Resolved::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<Value> for Resolved {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => Resolved::Null,
            Value::Bool(b) => Resolved::Bool(b),
            Value::Number(n) => Resolved::Number(number::json_number_value(&n)),
            Value::String(s) => Resolved::String(s),
            Value::Array(items) => Resolved::Array(items.into_iter().map(Resolved::from).collect()),
            Value::Object(map) => Resolved::Object(
                map.into_iter()
                    .map(|(k, v)| (k, Resolved::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<Scalar> for Resolved {
    fn from(s: Scalar) -> Self {
        match s {
            Scalar::Null => Resolved::Null,
            Scalar::Bool(b) => Resolved::Bool(b),
            Scalar::Number(n) => Resolved::Number(n),
            Scalar::String(s) => Resolved::String(s),
        }
    }
}

impl Tree for Resolved {
    fn scalar(_: &RawValue, value: Scalar) -> Resolved {
        value.into()
    }
    fn array(items: Vec<Resolved>) -> Resolved {
        Resolved::Array(items)
    }
    fn object() -> Resolved {
        Resolved::Object(ObjectMap::default())
    }
    fn insert(&mut self, key: String, value: Resolved) {
        if let Resolved::Object(map) = self {
            map.insert(key, value);
        }
    }
}

/// A JSON text as the value `JSON.parse` gives (see [`resolved_of`]); `None` for text that is
/// not JSON or nests deeper than [`read::MAX_TREE_DEPTH`].
pub fn resolved(text: &str) -> Option<Resolved> {
    resolved_of(serde_json::from_str(text).ok()?, 0)
}

/// A JSON text already read as the value JavaScript's `JSON.parse` gives (as
/// [`read::tree_of`], but numbers beyond a double's range are ±Infinity, which a JSON tree
/// cannot hold), `None` past [`read::MAX_TREE_DEPTH`].
pub fn resolved_of(raw: &RawValue, depth: usize) -> Option<Resolved> {
    read::build(raw, depth)
}

/// Appends valid JSON `text` to `out` as JavaScript prints it after parsing it, its
/// `__proto__` members as `proto` says: copied when it already is ([`copy_canonical`]),
/// otherwise read and written again.
pub fn write_js(text: &str, out: &mut String, proto: ProtoMember) -> Result<(), Unwritable> {
    let mark = out.len();
    if copy_canonical(text, out, proto) {
        return Ok(());
    }
    out.truncate(mark);
    let value = resolved(text).ok_or(Unwritable)?;
    value.write(out, proto).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn undefined_disappears_from_objects_and_becomes_null_in_arrays() {
        let r = Resolved::Object(ObjectMap::from_iter([
            ("a".to_string(), Resolved::Undefined),
            (
                "b".to_string(),
                Resolved::Array(vec![Resolved::Undefined, Resolved::Number(1.0)]),
            ),
        ]));
        assert_eq!(r.clone().into_json(), Some(json!({"b": [null, 1]})));
        assert_eq!(r.stringify().as_deref(), Some(r#"{"b":[null,1]}"#));
        assert_eq!(Resolved::Undefined.stringify(), None);
    }

    #[test]
    fn numbers_and_keys_as_javascript_holds_them() {
        let v: Value = serde_json::from_str(
            r#"{"b": -0.0, "10": 1.0, "a": 9007199254740993, "2": 1E3, "01": 1.5}"#,
        )
        .unwrap();
        let r = Resolved::from(&v);
        assert_eq!(
            r.stringify().as_deref(),
            Some(r#"{"2":1000,"10":1,"b":0,"a":9007199254740992,"01":1.5}"#)
        );
        let keys: Vec<String> = r
            .into_json()
            .and_then(|j| j.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default();
        assert_eq!(keys, ["2", "10", "b", "a", "01"]);
    }

    #[test]
    fn js_string_forms() {
        let r = Resolved::from(json!([1, null, "a", [2, 3], {"x": 1}, true]));
        assert_eq!(r.to_js_string().unwrap(), "1,,a,2,3,[object Object],true");
        assert_eq!(Resolved::from(json!(1e21)).to_js_string().unwrap(), "1e+21");
        // An own `toString` that is no function: ToPrimitive throws, inside arrays too.
        let own = Resolved::from(json!([1, [{"toString": "x"}]]));
        assert_eq!(own.to_js_string(), Err(NoPrimitive));
        let raw = Resolved::Raw(RawJson::from_text(r#"{"toString":1}"#.into()).unwrap());
        assert!(raw.to_js_string().is_err());
        let value_of = Resolved::from(json!({"valueOf": "x"}));
        assert_eq!(value_of.to_js_string().unwrap(), "[object Object]");
    }
}
