//! JavaScript property access, `a && a[key]`, over every form a value takes here: JSON trees
//! (options, configurations), events read in place, and mapped values. Which values are falsy
//! and what Segment calls their types live here too, since the walk stops at a falsy value.

use crate::event::Event;
use crate::js::{index_key, json_number_value, string};
use crate::json::read::{self, Kind};
use crate::value::Resolved;
use serde_json::value::RawValue;
use serde_json::Value;

/// A place being walked by [`get`]: an event or JSON text read in place, a mapped value, or
/// something derived (a character or a length, which JS property access can produce).
enum Cursor<'a> {
    Event(&'a Event<'a>),
    Raw(&'a RawValue),
    Res(&'a Resolved),
    Owned(Resolved),
}

/// A value JavaScript code looks at, in any of its forms: a JSON document (a mapping's options,
/// a configuration), an event read in place, or a value produced by a mapping. It is where
/// [`get`] starts, and the one place that says which values are falsy and what Segment calls
/// their types.
#[derive(Clone, Copy)]
pub enum Root<'a> {
    /// A JSON document held as a tree.
    Json(&'a Value),
    /// A value produced by a mapping (it may hold `undefined`, or JSON text still unread).
    Resolved(&'a Resolved),
    /// An event read in place from JSON text.
    Event(&'a Event<'a>),
}

impl Root<'_> {
    /// JS falsiness: `undefined`, `null`, `false`, `0`, `NaN` and `""`.
    pub fn is_falsy(self) -> bool {
        match self {
            Root::Resolved(Resolved::Undefined | Resolved::Null) | Root::Json(Value::Null) => true,
            Root::Json(Value::Bool(b)) | Root::Resolved(Resolved::Bool(b)) => !b,
            Root::Json(Value::Number(n)) => json_number_value(n) == 0.0,
            Root::Resolved(Resolved::Number(n)) => *n == 0.0 || n.is_nan(),
            Root::Json(Value::String(s)) | Root::Resolved(Resolved::String(s)) => s.is_empty(),
            Root::Event(e) => {
                e.kind() != Kind::Object && Root::Resolved(&e.to_resolved()).is_falsy()
            }
            _ => false,
        }
    }

    /// Segment's `realTypeOf`: `typeof`, except that arrays are `"array"` and `null` is
    /// `"null"`.
    pub fn type_name(self) -> &'static str {
        match self {
            Root::Resolved(Resolved::Undefined) => "undefined",
            Root::Json(Value::Null) | Root::Resolved(Resolved::Null) => "null",
            Root::Json(Value::Bool(_)) | Root::Resolved(Resolved::Bool(_)) => "boolean",
            Root::Json(Value::Number(_)) | Root::Resolved(Resolved::Number(_)) => "number",
            Root::Json(Value::String(_)) | Root::Resolved(Resolved::String(_)) => "string",
            Root::Json(Value::Array(_)) | Root::Resolved(Resolved::Array(_)) => "array",
            Root::Json(Value::Object(_)) | Root::Resolved(Resolved::Object(_)) => "object",
            Root::Resolved(Resolved::Raw(raw)) => read::kind(raw).type_name(),
            Root::Event(e) => e.kind().type_name(),
        }
    }

    /// The root itself as a value.
    pub fn to_resolved(self) -> Resolved {
        match self {
            Root::Json(v) => Resolved::from(v),
            Root::Resolved(r) => r.clone(),
            Root::Event(e) => e.to_resolved(),
        }
    }
}

impl<'a> Cursor<'a> {
    fn is_falsy(&self) -> bool {
        match self {
            // Only object events are walked as events (see `walk`).
            Cursor::Event(_) => false,
            Cursor::Raw(raw) => match read::kind(raw) {
                Kind::Null => true,
                Kind::Bool => raw.get() == "false",
                Kind::String => raw.get() == "\"\"",
                Kind::Number => Root::Resolved(&Resolved::in_place(raw)).is_falsy(),
                Kind::Array | Kind::Object => false,
            },
            Cursor::Res(r) => Root::Resolved(r).is_falsy(),
            Cursor::Owned(r) => Root::Resolved(r).is_falsy(),
        }
    }

    /// `cur && cur[key]`.
    fn step(self, key: &str) -> Cursor<'a> {
        if self.is_falsy() {
            return self;
        }
        match self {
            Cursor::Event(event) => event
                .get(key)
                .map_or(Cursor::Owned(Resolved::Undefined), Cursor::Raw),
            Cursor::Raw(raw) => step_raw(raw, key),
            Cursor::Res(r) => step_resolved(r, key),
            Cursor::Owned(r) => Cursor::Owned(step_resolved(&r, key).into_resolved()),
        }
    }

    fn into_resolved(self) -> Resolved {
        match self {
            Cursor::Event(event) => event.to_resolved(),
            Cursor::Raw(raw) => Resolved::in_place(raw),
            Cursor::Res(r) => r.clone(),
            Cursor::Owned(r) => r,
        }
    }
}

/// `raw[key]` for JSON text: an object's member, an array's item or `length`, a string's
/// character or `length`.
fn step_raw<'a>(raw: &'a RawValue, key: &str) -> Cursor<'a> {
    let found = match read::kind(raw) {
        Kind::Object => read::member(raw, key),
        Kind::Array => {
            let items = read::items(raw).unwrap_or_default();
            if key == "length" {
                return Cursor::Owned(Resolved::Number(items.len() as f64));
            }
            index_key(key).and_then(|i| items.get(i).copied())
        }
        Kind::String => match read::string(raw) {
            Some(s) => return Cursor::Owned(string_property(&s, key)),
            None => None,
        },
        _ => None,
    };
    found.map_or(Cursor::Owned(Resolved::Undefined), Cursor::Raw)
}

fn step_resolved<'a>(r: &'a Resolved, key: &str) -> Cursor<'a> {
    match r {
        Resolved::Object(map) => map
            .get(key)
            .map_or(Cursor::Owned(Resolved::Undefined), Cursor::Res),
        Resolved::Array(items) => {
            if key == "length" {
                return Cursor::Owned(Resolved::Number(items.len() as f64));
            }
            index_key(key)
                .and_then(|i| items.get(i))
                .map_or(Cursor::Owned(Resolved::Undefined), Cursor::Res)
        }
        Resolved::String(s) => Cursor::Owned(string_property(s, key)),
        Resolved::Raw(raw) => step_raw(raw, key),
        _ => Cursor::Owned(Resolved::Undefined),
    }
}

fn string_property(s: &str, key: &str) -> Resolved {
    if key == "length" {
        return Resolved::Number(string::len(s) as f64);
    }
    index_key(key)
        .and_then(|i| string::unit_at(s, i))
        .map_or(Resolved::Undefined, |c| Resolved::String(c.to_string()))
}

/// Walks `segments` from `root` with JS's `obj && obj[key]` rule: a falsy value (`0`, `""`,
/// `false`, `null`) stops the walk and is the result; strings and arrays answer indexes and
/// `length`.
pub fn get<S: AsRef<str>>(root: Root<'_>, segments: &[S]) -> Resolved {
    walk(root, segments).into_resolved()
}

fn walk<'a, S: AsRef<str>>(root: Root<'a>, segments: &[S]) -> Cursor<'a> {
    let mut cur = match root {
        Root::Event(e) if e.kind() == Kind::Object => Cursor::Event(e),
        Root::Resolved(r) => Cursor::Res(r),
        // JSON trees are walked as mapped values (nothing walks them where speed matters).
        other => Cursor::Owned(other.to_resolved()),
    };
    for seg in segments {
        cur = cur.step(seg.as_ref());
    }
    cur
}

/// JS truthiness of an optional JSON value (`None` is `undefined`).
pub fn truthy(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !Root::Json(v).is_falsy())
}

/// Segment's `realTypeOf` name of an optional JSON value (`None` is `undefined`).
pub fn real_type_of(v: Option<&Value>) -> &'static str {
    v.map_or("undefined", |v| Root::Json(v).type_name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_walks_like_js_property_access() {
        let v = json!({"a": {"b": [10, {"c": "xyz"}]}, "zero": 0, "s": "héllo", "f": false});
        let r = |p: &[&str]| get(Root::Json(&v), p);
        assert_eq!(r(&["a", "b", "1", "c"]), Resolved::String("xyz".into()));
        assert_eq!(r(&["a", "b", "length"]), Resolved::Number(2.0));
        assert_eq!(r(&["zero", "x"]), Resolved::Number(0.0));
        assert_eq!(r(&["f", "x", "y"]), Resolved::Bool(false));
        assert_eq!(r(&["s", "1"]), Resolved::String("é".into()));
        assert_eq!(r(&["s", "length"]), Resolved::Number(5.0));
        assert_eq!(r(&["missing", "x"]), Resolved::Undefined);
        assert_eq!(r(&["a", "b", "01"]), Resolved::Undefined);
    }

    #[test]
    fn falsiness_and_type_names_agree_across_both_forms() {
        let values = json!([null, false, true, 0, -0.0, 1.5, "", "x", [], {}]);
        let falsy = [
            true, true, false, true, true, false, true, false, false, false,
        ];
        let names = [
            "null", "boolean", "boolean", "number", "number", "number", "string", "string",
            "array", "object",
        ];
        for ((v, falsy), name) in values.as_array().unwrap().iter().zip(falsy).zip(names) {
            let resolved = Resolved::from(v);
            assert_eq!(Root::Json(v).is_falsy(), falsy, "{v}");
            assert_eq!(Root::Resolved(&resolved).is_falsy(), falsy, "{v}");
            assert_eq!(Root::Json(v).type_name(), name, "{v}");
            assert_eq!(Root::Resolved(&resolved).type_name(), name, "{v}");
            assert_eq!(truthy(Some(v)), !falsy, "{v}");
        }
        assert!(Root::Resolved(&Resolved::Undefined).is_falsy());
        assert_eq!(
            Root::Resolved(&Resolved::Undefined).type_name(),
            "undefined"
        );
        assert_eq!(real_type_of(None), "undefined");
        assert!(!truthy(None));
    }
}
