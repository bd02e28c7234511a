//! Reading JSON text in place: an object's members and an array's items as borrowed slices of
//! the input (`&RawValue`), parsed only as deep as a lookup goes.
//!
//! serde_json validates every byte it skips, so text that reaches these functions is valid
//! JSON; nesting depth is not limited here (skipping is iterative), which is why nothing in
//! this module recurses.

use crate::value::Resolved;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
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

/// An object's members in text order, keys decoded (borrowed when they have no escapes).
/// Duplicate keys are all listed; [`member`] and [`unique_members`] resolve them as
/// `JSON.parse` does.
pub struct Members<'a>(pub Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Members<'de>, M::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    members.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(MembersVisitor)
    }
}

/// An array's items.
struct Items<'a>(Vec<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Items<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = Items<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON array")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Items<'de>, S::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(8));
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    items.push(item);
                }
                Ok(Items(items))
            }
        }
        d.deserialize_seq(ItemsVisitor)
    }
}

/// The members of an object (`None` for anything else).
pub fn members(raw: &RawValue) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    if kind(raw) != Kind::Object {
        return None;
    }
    serde_json::from_str::<Members<'_>>(raw.get())
        .ok()
        .map(|m| m.0)
}

/// The items of an array (`None` for anything else).
pub fn items(raw: &RawValue) -> Option<Vec<&RawValue>> {
    if kind(raw) != Kind::Array {
        return None;
    }
    serde_json::from_str::<Items<'_>>(raw.get())
        .ok()
        .map(|i| i.0)
}

/// The value of `key` in a member list: the last one written, as `JSON.parse` keeps it.
pub fn find<'a>(members: &[(Cow<'a, str>, &'a RawValue)], key: &str) -> Option<&'a RawValue> {
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

/// A scalar's value (`null`, a boolean, a number as JavaScript holds it, a string); arrays and
/// objects stay text, as [`Resolved::Raw`].
pub fn value(raw: &RawValue) -> Resolved {
    match kind(raw) {
        Kind::Null => Resolved::Null,
        Kind::Bool => Resolved::Bool(raw.get() == "true"),
        Kind::Number => number(raw.get()),
        Kind::String => serde_json::from_str::<Cow<'_, str>>(raw.get())
            .map_or(Resolved::Undefined, |s| Resolved::String(s.into_owned())),
        Kind::Array | Kind::Object => Resolved::Raw(raw.to_owned().into()),
    }
}

/// A number's text as JavaScript's `JSON.parse` holds it (a double; beyond its range,
/// ±Infinity, which `JSON.stringify` prints as `null`).
fn number(text: &str) -> Resolved {
    match serde_json::from_str::<serde_json::Number>(text) {
        Ok(n) => Resolved::Number(crate::value::canonical_number(&n)),
        Err(_) => Resolved::from_f64(text.parse::<f64>().unwrap_or(f64::NAN)),
    }
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
        let values: Vec<Resolved> = list.into_iter().map(value).collect();
        assert_eq!(values[0], Resolved::from_f64(1.0));
        assert_eq!(values[1], Resolved::String("two".into()));
        assert_eq!(values[2], Resolved::Null);
        assert_eq!(values[3], Resolved::Bool(true));
        assert_eq!(values[4].stringify().as_deref(), Some("null"));
        assert_eq!(values[5].type_name(), "object");
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
}
