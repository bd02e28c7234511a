//! Segment events as they arrive: any JSON object (every key stays reachable by mappings),
//! read in place from the request's text, with the few rules that apply before any mapping
//! sees them.

use crate::json::read::{self, Kind, Level, LevelVisitor, Scalar};
use crate::json::RawJson;
use crate::value::Resolved;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// The destination's name in Segment's `integrations` object.
pub const DESTINATION_NAME: &str = "Nudge (Actions)";

/// One event, read in place: its top-level members found once, each kept as its JSON text,
/// so that the paths mappings and subscriptions read are looked up without building a tree.
#[derive(Clone)]
pub struct Event<'a> {
    kind: Kind,
    members: Vec<(Cow<'a, str>, &'a RawValue)>,
    /// The value of an event that is not an object (objects are their members).
    other: Option<Resolved>,
}

impl<'a> Event<'a> {
    /// Reads `raw` (any JSON value; only objects are usable events).
    pub fn new(raw: &'a RawValue) -> Event<'a> {
        match read::level(raw) {
            Some(level) => Event::from_level(level),
            None => Event {
                kind: Kind::Null,
                members: Vec::new(),
                other: Some(Resolved::Undefined),
            },
        }
    }

    /// An event from one level of JSON already read (an object's members, or any other value).
    pub fn from_level(level: Level<'a>) -> Event<'a> {
        match level {
            Level::Object(members) => Event {
                kind: Kind::Object,
                members,
                other: None,
            },
            Level::Array(items) => {
                let mut text = String::from("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    text.push_str(item.get());
                }
                text.push(']');
                Event {
                    kind: Kind::Array,
                    members: Vec::new(),
                    other: Some(
                        RawJson::from_text(text).map_or(Resolved::Undefined, Resolved::Raw),
                    ),
                }
            }
            Level::Scalar(value) => Event {
                kind: match value {
                    Scalar::Null => Kind::Null,
                    Scalar::Bool(_) => Kind::Bool,
                    Scalar::String(_) => Kind::String,
                    Scalar::Number(_) => Kind::Number,
                },
                members: Vec::new(),
                other: Some(value.into()),
            },
        }
    }

    /// About the size of the event's JSON text (its members' keys and values), what a
    /// [`crate::mapping::Budget`] is sized by.
    pub fn text_len(&self) -> usize {
        match &self.other {
            Some(_) => 16,
            None => self
                .members
                .iter()
                .map(|(k, v)| k.len() + v.get().len() + 4)
                .fold(2usize, usize::saturating_add),
        }
    }

    /// What JSON value the event is (only objects are usable).
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// `event[key]`, the last one when a key is repeated (as `JSON.parse` keeps it).
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        read::find(&self.members, key)
    }

    /// The whole event as a value (for a mapping that reads `$.`).
    pub fn to_resolved(&self) -> Resolved {
        if let Some(other) = &self.other {
            return other.clone();
        }
        RawJson::object(self.members.iter().map(|(k, v)| (k.as_ref(), *v)))
            .map_or(Resolved::Undefined, Resolved::Raw)
    }

    /// Why the event cannot be used at all (it is not a JSON object).
    pub fn shape_problem(&self) -> Option<String> {
        (self.kind != Kind::Object).then(|| {
            format!(
                "an event must be a JSON object, found {}",
                self.kind.type_name()
            )
        })
    }

    /// Whether the event's `integrations` keep it away from this destination:
    /// `"Nudge (Actions)": false`, or `"All": false` without `"Nudge (Actions)": true`.
    pub fn excluded_by_integrations(&self) -> bool {
        let Some(integrations) = self.get("integrations").and_then(read::members) else {
            return false;
        };
        let enabled = |key: &str| {
            let value = read::find(&integrations, key)?;
            match read::kind(value) {
                Kind::Bool => Some(value.get() == "true"),
                // An options object (`{"Nudge (Actions)": {…}}`) means enabled, as in Segment.
                Kind::Object => Some(true),
                _ => None,
            }
        };
        match enabled(DESTINATION_NAME) {
            Some(on) => !on,
            None => enabled("All") == Some(false),
        }
    }
}

/// The events in a JSON text: the items of an array, or the one value otherwise. Each event's
/// members are found in the same pass that finds the events.
pub fn events_in(text: &str) -> Result<Vec<Event<'_>>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let read = (&mut de)
        .deserialize_any(EventsVisitor)
        .and_then(|events| de.end().map(|()| events));
    read.or_else(|_| {
        // serde_json refuses some scalars it would have to decode (a string with a lone
        // surrogate, a number beyond a double) although they are JSON: read each event from
        // its text instead (which fails only for text that is not JSON).
        let raw: &RawValue = serde_json::from_str(text)?;
        Ok(match read::items(raw) {
            Some(items) => items.into_iter().map(Event::new).collect(),
            None => vec![Event::new(raw)],
        })
    })
}

/// One event (or a mapping's payload) in a JSON text, read in place: however deep its values
/// nest, only its top level is read.
pub fn event_in(text: &str) -> Result<Event<'_>, serde_json::Error> {
    serde_json::from_str::<Level<'_>>(text)
        .map(Event::from_level)
        .or_else(|_| serde_json::from_str::<&RawValue>(text).map(Event::new))
}

/// An array of events, or one event: any other value is read as [`Level`] is.
struct EventsVisitor;

impl<'de> Visitor<'de> for EventsVisitor {
    type Value = Vec<Event<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event or an array of events")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(16));
        while let Some(level) = seq.next_element::<Level<'de>>()? {
            events.push(Event::from_level(level));
        }
        Ok(events)
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
        one(LevelVisitor.visit_map(map))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        one(LevelVisitor.visit_unit())
    }
    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Self::Value, E> {
        one(LevelVisitor.visit_bool(b))
    }
    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
        one(LevelVisitor.visit_i64(n))
    }
    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
        one(LevelVisitor.visit_u64(n))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Self::Value, E> {
        one(LevelVisitor.visit_f64(n))
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
        one(LevelVisitor.visit_str(s))
    }
}

fn one<E>(level: Result<Level<'_>, E>) -> Result<Vec<Event<'_>>, E> {
    level.map(|level| vec![Event::from_level(level)])
}

/// The JSON text of one event or an array of events, for callers that hold a tree.
pub fn to_text(events: &Value) -> String {
    // Serialising a `Value` cannot fail: its keys are strings.
    serde_json::to_string(events).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(text: &str) -> bool {
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        Event::new(raw).excluded_by_integrations()
    }

    #[test]
    fn integrations_object_is_honoured() {
        assert!(!excluded(r#"{"type": "track"}"#));
        assert!(excluded(r#"{"integrations": {"Nudge (Actions)": false}}"#));
        assert!(excluded(r#"{"integrations": {"All": false}}"#));
        assert!(!excluded(
            r#"{"integrations": {"All": false, "Nudge (Actions)": true}}"#
        ));
        assert!(!excluded(
            r#"{"integrations": {"All": false, "Nudge (Actions)": {"x": 1}}}"#
        ));
        assert!(!excluded(
            r#"{"integrations": {"All": true, "Other": false}}"#
        ));
    }

    #[test]
    fn events_come_one_or_many() {
        assert_eq!(events_in(r#"[{"a": 1}, {"b": 2}]"#).unwrap().len(), 2);
        assert_eq!(events_in(r#"{"a": 1}"#).unwrap().len(), 1);
        let scalar = events_in(r#""x""#).unwrap();
        assert_eq!(
            scalar[0].shape_problem().as_deref(),
            Some("an event must be a JSON object, found string")
        );
        let mixed = events_in(r#"[{"a": 1}, 2, [3, "x"], null]"#).unwrap();
        let kinds: Vec<Kind> = mixed.iter().map(Event::kind).collect();
        assert_eq!(kinds, [Kind::Object, Kind::Number, Kind::Array, Kind::Null]);
        assert_eq!(
            mixed[2].to_resolved().stringify().as_deref(),
            Some(r#"[3,"x"]"#)
        );
        // Scalars serde_json would refuse to decode are still events (that are not objects).
        let odd = events_in(r#"[{"a": "\ud800"}, "\ud800", 1e400]"#).unwrap();
        let kinds: Vec<Kind> = odd.iter().map(Event::kind).collect();
        assert_eq!(kinds, [Kind::Object, Kind::String, Kind::Number]);
        assert_eq!(
            event_in(r#""\udfff""#).unwrap().shape_problem().as_deref(),
            Some("an event must be a JSON object, found string")
        );
        assert!(events_in("{").is_err());
        assert!(events_in("[1] x").is_err());
    }

    #[test]
    fn the_whole_event_is_a_value() {
        let events = events_in(r#"{"a": [1, 2.50], "b\u0020c": "d"}"#).unwrap();
        assert_eq!(
            events[0].to_resolved().stringify().as_deref(),
            Some(r#"{"a":[1,2.5],"b c":"d"}"#)
        );
    }

    #[test]
    fn repeated_keys_read_as_json_parse_keeps_them() {
        let raw: &RawValue =
            serde_json::from_str(r#"{"type": "identify", "type": "track"}"#).unwrap();
        assert_eq!(
            Event::new(raw).get("type").map(RawValue::get),
            Some("\"track\"")
        );
    }
}
