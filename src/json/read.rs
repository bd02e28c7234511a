//! Reading JSON text in place: an object's members and an array's items as borrowed slices of
//! the input (`&RawValue`), parsed only as deep as a lookup goes.
//!
//! serde_json validates every byte it skips, so text that reaches these functions is valid
//! JSON; nesting depth is not limited here (skipping is iterative), which is why nothing in
//! this module recurses.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// What a JSON text is, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl Kind {
    /// Segment's `realTypeOf` name (`"object"`, `"array"`, …).
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

/// An object's member read in place: its key, decoded (borrowed when it has no escapes), and
/// its value's text.
pub type Member<'a> = (Cow<'a, str>, &'a RawValue);

/// The kind of a JSON value, from its (trimmed) text.
pub fn kind(raw: &RawValue) -> Kind {
    match raw.get().as_bytes().first() {
        Some(b'{') => Kind::Object,
        Some(b'[') => Kind::Array,
        Some(b'"') => Kind::String,
        Some(b't' | b'f') => Kind::Bool,
        Some(b'n') => Kind::Null,
        _ => Kind::Number,
    }
}

/// Reads an object's members from a map, keys borrowed where they can be. Each key is taken
/// as its text first (serde_json would refuse to decode a lone surrogate into a `str`), then
/// decoded by [`string`].
pub fn read_members<'de, M: MapAccess<'de>>(mut map: M) -> Result<Vec<Member<'de>>, M::Error> {
    let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
    while let Some(key) = map.next_key::<&'de RawValue>()? {
        let key = string(key).unwrap_or_default();
        members.push((key, map.next_value::<&'de RawValue>()?));
    }
    Ok(members)
}

/// Reads an object's members as [`read_members`] does, except the members named `special`,
/// whose values are read as `T` in the same pass (the last one kept, as `JSON.parse` keeps it):
/// one scan of the text reads a level and, below one member, another.
pub fn read_members_except<'de, M: MapAccess<'de>, T: Deserialize<'de>>(
    mut map: M,
    special: &str,
) -> Result<(Vec<Member<'de>>, Option<T>), M::Error> {
    let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
    let mut found = None;
    while let Some(key) = map.next_key::<&'de RawValue>()? {
        let key = string(key).unwrap_or_default();
        if key == special {
            found = Some(map.next_value::<T>()?);
        } else {
            members.push((key, map.next_value::<&'de RawValue>()?));
        }
    }
    Ok((members, found))
}

/// One level of a JSON value: an object's members or an array's items (each still text), or a
/// scalar's value. Every kind of value is accepted, so reading never describes a value of the
/// wrong type (serde's wording of a float would link float formatting into the wasm build).
#[derive(Debug)]
pub enum Level<'a> {
    /// An object's members in text order, keys decoded (borrowed when they have no escapes);
    /// repeated keys are all listed ([`find`] resolves them as `JSON.parse` does).
    Object(Vec<Member<'a>>),
    /// An array's items.
    Array(Vec<&'a RawValue>),
    /// A scalar: `null`, a boolean, a number as JavaScript holds it, or a string.
    Scalar(Scalar),
}

/// A JSON scalar's value, as JavaScript's `JSON.parse` gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    /// The nearest double (±Infinity beyond the range: `1e400`).
    Number(f64),
    /// A string, lone surrogates as their stand-ins ([`crate::js::string`]).
    String(String),
}

impl<'de: 'a, 'a> Deserialize<'de> for Level<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LevelVisitor)
    }
}

/// Reads any JSON value one level deep.
pub struct LevelVisitor;

impl<'de> Visitor<'de> for LevelVisitor {
    type Value = Level<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Level<'de>, M::Error> {
        read_members(map).map(Level::Object)
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Level<'de>, S::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(8));
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            items.push(item);
        }
        Ok(Level::Array(items))
    }
    fn visit_unit<E>(self) -> Result<Level<'de>, E> {
        Ok(Level::Scalar(Scalar::Null))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Level<'de>, E> {
        Ok(Level::Scalar(Scalar::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Level<'de>, E> {
        // (Rounded to the nearest double, as JavaScript reads the digits.)
        Ok(Level::Scalar(Scalar::Number(n as f64)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Level<'de>, E> {
        Ok(Level::Scalar(Scalar::Number(n as f64)))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Level<'de>, E> {
        Ok(Level::Scalar(Scalar::Number(n)))
    }
    // (A string with a lone surrogate never gets here: serde_json refuses it before. Where a
    // value may be a string, [`level`] reads it without serde's string decoding.)
    fn visit_str<E>(self, s: &str) -> Result<Level<'de>, E> {
        Ok(Level::Scalar(Scalar::String(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Level<'de>, E> {
        Ok(Level::Scalar(Scalar::String(s)))
    }
}

/// How many levels of arrays and objects a JSON text may nest to be read into a tree (as
/// serde_json's own reader allows).
pub const MAX_TREE_DEPTH: usize = 128;

/// A JSON text as a tree, as JavaScript's `JSON.parse` reads it: the last of repeated keys
/// wins, at the first one's place, and numbers are the nearest double (or integer), read from
/// their text. (serde_json's own `Value` reader is off by one unit in the last place for some
/// long numbers unless its large `float_roundtrip` reader is linked, and with `raw_value` on it
/// links float formatting into the wasm build.) At most [`MAX_TREE_DEPTH`] levels deep.
pub fn tree(text: &str) -> Result<Value, serde_json::Error> {
    let raw: &RawValue = serde_json::from_str(text)?;
    tree_of(raw, 0).ok_or_else(|| de::Error::custom("recursion limit exceeded"))
}

/// The tree of a JSON text already read, `None` past [`MAX_TREE_DEPTH`]. Each level reads its
/// members as text, so a value nested `d` levels deep is read `d` times: bounded by the depth.
pub fn tree_of(raw: &RawValue, depth: usize) -> Option<Value> {
    build(raw, depth)
}

/// A tree [`build`] makes: a JSON tree here, a mapped value in [`crate::value`].
pub trait Tree: Sized {
    /// A scalar, given its text and its value.
    fn scalar(raw: &RawValue, value: Scalar) -> Self;
    fn array(items: Vec<Self>) -> Self;
    /// An empty object, and a member put in (a repeated key keeps its first place).
    fn object() -> Self;
    fn insert(&mut self, key: String, value: Self);
}

impl Tree for Value {
    fn scalar(raw: &RawValue, value: Scalar) -> Value {
        match value {
            // Integers exactly as written while they fit (the tree is JSON, not JavaScript).
            Scalar::Number(_) => number(raw.get()).map_or(Value::Null, Value::Number),
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::String(s) => Value::String(s),
            Scalar::Null => Value::Null,
        }
    }
    fn array(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
    fn object() -> Value {
        Value::Object(Map::new())
    }
    fn insert(&mut self, key: String, value: Value) {
        if let Value::Object(map) = self {
            map.insert(key, value);
        }
    }
}

/// The tree of type `T` of a JSON text already read, `None` past [`MAX_TREE_DEPTH`] levels
/// below `depth`.
pub fn build<T: Tree>(raw: &RawValue, depth: usize) -> Option<T> {
    match level(raw)? {
        Level::Object(members) if depth < MAX_TREE_DEPTH => {
            let mut object = T::object();
            for (key, value) in members {
                object.insert(key.into_owned(), build(value, depth + 1)?);
            }
            Some(object)
        }
        Level::Array(items) if depth < MAX_TREE_DEPTH => items
            .into_iter()
            .map(|item| build(item, depth + 1))
            .collect::<Option<Vec<_>>>()
            .map(T::array),
        Level::Scalar(value) => Some(T::scalar(raw, value)),
        _ => None,
    }
}

/// A number's text as the number JavaScript reads (integers exactly while they fit; `None`
/// beyond the range of a double, where JavaScript has ±Infinity).
pub fn number(text: &str) -> Option<Number> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Number::from(i));
        }
        if let Ok(u) = text.parse::<u64>() {
            return Some(Number::from(u));
        }
    }
    crate::js::number::parse_decimal(text).and_then(Number::from_f64)
}

/// One level of a JSON text (`None` only for text that is not JSON, which the reader never
/// hands out). Scalars are read by [`value`].
pub fn level(raw: &RawValue) -> Option<Level<'_>> {
    match kind(raw) {
        Kind::Object | Kind::Array => serde_json::from_str(raw.get()).ok(),
        _ => scalar(raw).map(Level::Scalar),
    }
}

/// The members of an object (`None` for anything else).
pub fn members(raw: &RawValue) -> Option<Vec<Member<'_>>> {
    match (kind(raw), level(raw)) {
        (Kind::Object, Some(Level::Object(members))) => Some(members),
        _ => None,
    }
}

/// The items of an array (`None` for anything else).
pub fn items(raw: &RawValue) -> Option<Vec<&RawValue>> {
    match (kind(raw), level(raw)) {
        (Kind::Array, Some(Level::Array(items))) => Some(items),
        _ => None,
    }
}

/// The value of `key` in a member list: the last one written, as `JSON.parse` keeps it.
pub fn find<'a>(members: &[Member<'a>], key: &str) -> Option<&'a RawValue> {
    members
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| *v)
}

/// `object[key]` for an object's text.
pub fn member<'a>(raw: &'a RawValue, key: &str) -> Option<&'a RawValue> {
    find(&members(raw)?, key)
}

/// A scalar's value (`None` for an array or an object).
pub fn scalar(raw: &RawValue) -> Option<Scalar> {
    Some(match kind(raw) {
        Kind::Array | Kind::Object => return None,
        Kind::String => Scalar::String(string(raw).map_or_else(String::new, Cow::into_owned)),
        // The nearest double, as JavaScript reads it (±Infinity beyond the range: `1e400`).
        Kind::Number => {
            Scalar::Number(crate::js::number::parse_decimal(raw.get()).unwrap_or(f64::NAN))
        }
        Kind::Bool => Scalar::Bool(raw.get() == "true"),
        Kind::Null => Scalar::Null,
    })
}

/// A string's value, borrowed from the text when it has no escapes (`None` for anything
/// but a string). Lone surrogates (`"\ud800"`) are read as JavaScript keeps them, as their
/// stand-ins ([`crate::js::string`]).
pub fn string(raw: &RawValue) -> Option<Cow<'_, str>> {
    let content = raw.get().strip_prefix('"')?.strip_suffix('"')?;
    Some(unescape(content))
}

/// The string a JSON string's content (the valid text between its quotes) stands for, as
/// `JSON.parse` reads it, lone surrogates as stand-ins. (serde_json refuses lone surrogates
/// in strings; its byte-string reader keeps them, but links float formatting into the wasm
/// build, some 27 KB.)
pub fn unescape(content: &str) -> Cow<'_, str> {
    let b = content.as_bytes();
    let Some(first) = memchr::memchr(b'\\', b) else {
        return Cow::Borrowed(content);
    };
    let mut out = String::with_capacity(content.len());
    let mut i = first;
    out.push_str(&content[..i]);
    while i < b.len() {
        // Backslashes and escape letters are ASCII: every index used to slice is a boundary.
        if b[i] != b'\\' {
            let next = memchr::memchr(b'\\', &b[i..]).map_or(b.len(), |n| i + n);
            out.push_str(&content[i..next]);
            i = next;
            continue;
        }
        let simple = match b.get(i + 1) {
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let unit = hex4(b, i + 2);
                i += 6;
                let low = (0xD800..0xDC00)
                    .contains(&unit)
                    .then(|| (b.get(i..i + 2) == Some(b"\\u")).then(|| hex4(b, i + 2)))
                    .flatten()
                    .filter(|low| (0xDC00..0xE000).contains(low));
                match low {
                    Some(low) => {
                        let c = 0x10000
                            + ((u32::from(unit) - 0xD800) << 10)
                            + (u32::from(low) - 0xDC00);
                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                        i += 6;
                    }
                    None => out.push(crate::js::string::unit_char(unit)),
                }
                continue;
            }
            // `\"`, `\\`, `\/`.
            Some(&c) => char::from(c),
            None => break,
        };
        out.push(simple);
        i += 2;
    }
    Cow::Owned(out)
}

/// The four hex digits at `at` as a UTF-16 unit (U+FFFD where they are not hex digits, which
/// valid JSON never has).
pub(crate) fn hex4(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 4)
        .and_then(|h| std::str::from_utf8(h).ok())
        .and_then(|h| u16::from_str_radix(h, 16).ok())
        .unwrap_or(0xFFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> &RawValue {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn members_keep_text_order_and_lookups_take_the_last_duplicate() {
        let r = raw(r#" {"a": 1, "b\u0020c": [1, {"x": 2}], "a": 2} "#);
        let m = members(r).unwrap();
        let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["a", "b c", "a"]);
        assert_eq!(member(r, "a").map(RawValue::get), Some("2"));
        assert_eq!(
            member(r, "b c").map(RawValue::get),
            Some(r#"[1, {"x": 2}]"#)
        );
        assert!(member(r, "z").is_none());
        assert!(members(raw("[1]")).is_none());
    }

    #[test]
    fn items_and_scalars() {
        let list = items(raw(r#"[1, "two", null, true, 1e400, {"k": []}]"#)).unwrap();
        let values: Vec<Option<Scalar>> = list.into_iter().map(scalar).collect();
        assert_eq!(values[0], Some(Scalar::Number(1.0)));
        assert_eq!(values[1], Some(Scalar::String("two".into())));
        assert_eq!(values[2], Some(Scalar::Null));
        assert_eq!(values[3], Some(Scalar::Bool(true)));
        assert_eq!(values[4], Some(Scalar::Number(f64::INFINITY)));
        assert_eq!(values[5], None);
    }

    #[test]
    fn skipping_is_not_limited_by_depth() {
        let deep = format!(
            "{{\"a\": 1, \"b\": {}{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let r: &RawValue = serde_json::from_str(&deep).unwrap();
        assert_eq!(member(r, "a").map(RawValue::get), Some("1"));
    }

    #[test]
    fn numbers_are_read_as_javascript_reads_them() {
        // serde_json's default reader is one unit in the last place off for this one.
        let text = "-3.6641799985156705e-91";
        let exact: f64 = text.parse().unwrap();
        assert_eq!(number(text).and_then(|n| n.as_f64()), Some(exact));
        assert_eq!(tree(&format!("[{text}]")).unwrap()[0].as_f64(), Some(exact));
        assert_eq!(
            number("9007199254740993").and_then(|n| n.as_u64()),
            Some(9007199254740993)
        );
        assert_eq!(number("1e400"), None);
    }

    #[test]
    fn strings_are_read_as_json_parse_reads_them() {
        let lone = |unit| crate::js::string::unit_char(unit).to_string();
        assert_eq!(unescape("plain"), Cow::Borrowed("plain"));
        assert_eq!(
            unescape(r#"q\"\\\/\b\f\n\r\t\u00e9\u0041"#),
            "q\"\\/\u{8}\u{c}\n\r\té\u{41}"
        );
        assert_eq!(unescape(r"\ud83c\udf89 \uD83C\uDF89"), "🎉 🎉");
        // Lone surrogates, leading or trailing, alone or next to another: stand-ins.
        assert_eq!(unescape(r"\ud800"), lone(0xD800));
        assert_eq!(unescape(r"x\udfffy"), format!("x{}y", lone(0xDFFF)));
        assert_eq!(
            unescape(r"\udc00\ud800"),
            format!("{}{}", lone(0xDC00), lone(0xD800))
        );
        assert_eq!(
            unescape(r"\ud83c\ud83c\udf89"),
            format!("{}🎉", lone(0xD83C))
        );
        // In keys and values, at any depth, and in trees.
        let r = raw(r#"{"\ud800": ["\udfff"], "k": "\ud800"}"#);
        let m = members(r).unwrap();
        assert_eq!(m[0].0, lone(0xD800));
        assert_eq!(
            scalar(items(m[0].1).unwrap()[0]),
            Some(Scalar::String(lone(0xDFFF)))
        );
        assert_eq!(scalar(m[1].1), Some(Scalar::String(lone(0xD800))));
        let t = tree(r#"{"\ud800": "a\udc00"}"#).unwrap();
        assert_eq!(t[lone(0xD800)], Value::String(format!("a{}", lone(0xDC00))));
    }

    #[test]
    fn trees_are_bounded_in_depth() {
        let ok = format!(
            "{}{}",
            "[".repeat(MAX_TREE_DEPTH),
            "]".repeat(MAX_TREE_DEPTH)
        );
        assert!(tree(&ok).is_ok());
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_TREE_DEPTH + 2),
            "]".repeat(MAX_TREE_DEPTH + 2)
        );
        assert!(tree(&deep).is_err());
        let repeated = tree(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(repeated.to_string(), r#"{"a":3,"b":2}"#);
    }
}
