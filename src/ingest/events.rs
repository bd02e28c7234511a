//! From a request body to the events it carries, read in place.
//!
//! [`Envelope::parse`] reads the body in one pass: its top level, and for a batch each event's
//! top level, every value staying a slice of the body (never a tree). It takes the body's
//! `writeKey` out (what a caller without a Basic header authenticates with); only once the
//! caller is let in does [`Envelope::into_events`] give each event its fields: batch items
//! lose any `writeKey` of their own (never a credential, never echoed), batch-level `context`
//! and `integrations` go to the events that lack them, and Segment's timestamps are applied
//! ([`timestamps`]). [`Events::read`] hands them to the planner as they are; nothing is
//! written out and read again. Sizes are checked on the way: each event as it is with the
//! batch-level fields it gets (32 KB), the count of events, and the total, so a small body
//! cannot grow into a large one.

use super::given::{json_string, Json, Received, Set};
use super::timestamps::{self, SentAt};
use super::{IngestError, Route, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, MAX_EXPANDED_BYTES};
use crate::event::Event;
pub use crate::json::read::Member;
use crate::json::read::{self, find, read_members_except, Kind, Level, LevelVisitor};
use crate::json::write::str_len;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A parsed request body.
#[derive(Debug)]
pub struct Envelope<'a> {
    route: Route,
    /// The body's members: `writeKey` taken out, and `batch` too when it was read as one.
    members: Vec<Member<'a>>,
    batch: Option<Batch<'a>>,
    /// `writeKey` from the top of the body.
    pub write_key: Option<String>,
}

/// A body's `batch`, read in the body's pass.
#[derive(Debug)]
enum Batch<'a> {
    /// Each item one level deep (an event's members, or another value).
    Items(Vec<Level<'a>>),
    /// Not an array.
    Other,
}

/// A request's events, with the fields the front door gives them, ready to plan.
pub struct Events<'a> {
    items: Vec<Item<'a>>,
    /// The sizes of the events so far.
    total: usize,
}

enum Item<'a> {
    /// An event's members as they will be read: its own, then the ones it is given.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
    /// A batch item that is not an object, left for the plan to report.
    Other(Event<'a>),
}

/// Batch-level fields given to each event that lacks them, as Segment's API does.
const SHARED_FIELDS: [&str; 2] = ["context", "integrations"];

/// The key events never keep.
const WRITE_KEY: &str = "writeKey";

impl<'a> Envelope<'a> {
    /// Reads a body (a JSON object) for `route`; a batch route reads its `batch` in the same
    /// pass.
    pub fn parse(body: &'a [u8], route: Route) -> Result<Envelope<'a>, IngestError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(IngestError::Malformed("the body is empty".into()));
        }
        let malformed =
            |e: &dyn fmt::Display| IngestError::Malformed(format!("body is not valid JSON: {e}"));
        let text = std::str::from_utf8(body).map_err(|e| malformed(&e))?;
        let batched = !matches!(route, Route::Event(_));
        let mut de = serde_json::Deserializer::from_str(text);
        let top = (&mut de)
            .deserialize_any(TopVisitor { batched })
            .map_err(|e| malformed(&e))?;
        de.end().map_err(|e| malformed(&e))?;
        let Some((mut members, batch)) = top else {
            return Err(IngestError::Malformed("body must be a JSON object".into()));
        };
        let write_key = find(&members, WRITE_KEY)
            .filter(|k| read::kind(k) == Kind::String)
            .and_then(read::string)
            .map(Cow::into_owned);
        members.retain(|(key, _)| key != WRITE_KEY);
        Ok(Envelope {
            route,
            members,
            batch,
            write_key,
        })
    }

    /// How many events the body carries (a batch's items, or one).
    pub fn event_count(&self) -> usize {
        match &self.batch {
            Some(Batch::Items(items)) => items.len(),
            _ => 1,
        }
    }

    /// The events, in order. `received_at_ms` is the Worker's clock when the request arrived.
    pub fn into_events(self, received_at_ms: i64) -> Result<Events<'a>, IngestError> {
        self.into_identified_events(received_at_ms, None)
    }

    /// [`Envelope::into_events`], and, as Segment's API does, a `messageId` for each event that
    /// has none: `api-<request_id>-<position>` (`request_id` unique to the request), so that
    /// every event can be de-duplicated. It is not counted in the event's size.
    pub fn into_identified_events(
        self,
        received_at_ms: i64,
        request_id: Option<&str>,
    ) -> Result<Events<'a>, IngestError> {
        let mut received = Received::at(received_at_ms);
        received.request_id = request_id.map(str::to_string);
        let members = &self.members;
        let single = |event_type: &'static str| {
            let typed = find(members, "type")
                .is_none()
                .then(|| Set::added("type", json_string(event_type)));
            let mut events = Events::with_capacity(1);
            events.push(members, typed.into_iter().collect(), None, &received)?;
            Ok(events)
        };
        let items = match (self.route, self.batch) {
            (Route::Event(event_type), _) => return single(event_type),
            (_, Some(Batch::Items(items))) => items,
            (_, Some(Batch::Other)) => {
                return Err(IngestError::Malformed(
                    "`batch` must be an array of events".into(),
                ))
            }
            // `/v1/validate` (and a lenient `/v1/batch`) take a single event too.
            (_, None) if find(members, "type").is_some() => return single("track"),
            (_, None) => {
                return Err(IngestError::Malformed(
                    "body must have a `batch` array of events".into(),
                ))
            }
        };
        if items.len() > MAX_BATCH_EVENTS {
            return Err(IngestError::TooManyEvents(items.len()));
        }
        let shared: Vec<(&'static str, &RawValue)> = SHARED_FIELDS
            .iter()
            .filter_map(|k| find(members, k).map(|v| (*k, v)))
            .collect();
        let sent_at = find(members, "sentAt").map(SentAt::new);
        let mut events = Events::with_capacity(items.len());
        for item in items {
            match item {
                Level::Object(event) => {
                    let sets = shared
                        .iter()
                        .filter(|(key, _)| find(&event, key).is_none())
                        .map(|(key, value)| Set::added(key, Cow::Borrowed(*value)))
                        .collect();
                    events.push(&event, sets, sent_at, &received)?;
                }
                other => events.push_other(Event::from_level(other))?,
            }
        }
        Ok(events)
    }
}

impl<'a> Events<'a> {
    fn with_capacity(n: usize) -> Events<'a> {
        Events {
            items: Vec::with_capacity(n.min(MAX_BATCH_EVENTS)),
            total: 0,
        }
    }

    /// How many events there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The events as the planner reads them.
    pub fn read(&self) -> Vec<Event<'_>> {
        self.items
            .iter()
            .map(|item| match item {
                Item::Object(members) => Event::from_level(Level::Object(
                    members
                        .iter()
                        .map(|(k, v)| (Cow::Borrowed(k.as_ref()), v.as_ref()))
                        .collect(),
                )),
                Item::Other(event) => event.clone(),
            })
            .collect()
    }

    /// The events as one JSON array (as JavaScript reads the body: a repeated key once).
    pub fn to_json(&self) -> String {
        let mut out = String::from("[");
        for (i, event) in self.read().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let resolved = event.to_resolved();
            out.push_str(&resolved.stringify().unwrap_or_else(|| "null".into()));
        }
        out.push(']');
        out
    }

    /// Adds an event: `members` (without `writeKey`) with `sets` and Segment's timestamps over
    /// them, checking its size and the total.
    fn push(
        &mut self,
        members: &[Member<'a>],
        mut sets: Vec<Set<'a>>,
        batch_sent_at: Option<SentAt<'a>>,
        received: &Received,
    ) -> Result<(), IngestError> {
        sets.extend(timestamps::stamp(members, batch_sent_at, received));
        if let Some(prefix) = &received.request_id {
            if find(members, "messageId").is_none() {
                let id = format!("api-{prefix}-{}", self.items.len());
                sets.push(Set::replaced("messageId", json_string(&id)));
            }
        }
        let (merged, size) = merge(members, sets);
        self.check(size)?;
        self.items.push(Item::Object(merged));
        Ok(())
    }

    fn push_other(&mut self, event: Event<'a>) -> Result<(), IngestError> {
        let size = event.to_resolved().stringify().map_or(4, |s| s.len());
        self.check(size)?;
        self.items.push(Item::Other(event));
        Ok(())
    }

    fn check(&mut self, size: usize) -> Result<(), IngestError> {
        let index = self.items.len();
        if size > MAX_EVENT_BYTES {
            return Err(IngestError::EventTooLarge { index, size });
        }
        self.total = self.total.saturating_add(size);
        if self.total > MAX_EXPANDED_BYTES {
            return Err(IngestError::BatchTooLarge);
        }
        Ok(())
    }
}

/// An event's members with `sets` over them, and its size as the sender made it with the
/// fields it is given: an added member counts, a replaced one counts at its own size
/// (Segment's timestamps do not count against the limit). Sizes are of `{"key":value,…}` with
/// the values as sent.
pub fn merge<'a>(
    members: &[Member<'a>],
    sets: Vec<Set<'a>>,
) -> (Vec<(Cow<'a, str>, Json<'a>)>, usize) {
    let member_size = |key: &str, value: &RawValue| str_len(key) + 1 + value.get().len() + 1;
    let mut merged = Vec::with_capacity(members.len() + sets.len());
    // Each set until it is placed.
    let mut pending: Vec<(Set<'a>, bool)> = sets.into_iter().map(|s| (s, false)).collect();
    // `{` + each `"key":value` with the `,` or `}` after it.
    let mut size = 1;
    for (key, value) in members {
        if key == WRITE_KEY {
            continue;
        }
        size += member_size(key, value);
        match pending.iter_mut().find(|(s, _)| s.replaces && s.key == key) {
            // `JSON.parse` keeps one member of a key: the one set.
            Some((_, true)) => size -= member_size(key, value),
            Some((set, placed)) => {
                *placed = true;
                merged.push((key.clone(), set.value.clone()));
            }
            None => merged.push((key.clone(), Cow::Borrowed(*value))),
        }
    }
    for (set, placed) in pending {
        if placed {
            continue;
        }
        if !set.replaces {
            size += member_size(set.key, &set.value);
        }
        merged.push((Cow::Borrowed(set.key), set.value));
    }
    (merged, size.max(2))
}

/// A body's top level: its members (with `batch` read as [`Batch`] when `batched`), or `None`
/// when it is not an object.
struct TopVisitor {
    batched: bool,
}

type Top<'a> = Option<(Vec<Member<'a>>, Option<Batch<'a>>)>;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Top<'de>, M::Error> {
        if self.batched {
            read_members_except(map, "batch").map(Some)
        } else {
            read::read_members(map).map(|members| Some((members, None)))
        }
    }
    fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Top<'de>, S::Error> {
        LevelVisitor.visit_seq(seq).map(|_| None)
    }
    fn visit_unit<E>(self) -> Result<Top<'de>, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Top<'de>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Top<'de>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Top<'de>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Top<'de>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Top<'de>, E> {
        Ok(None)
    }
}

impl<'de> Deserialize<'de> for Batch<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BatchVisitor;
        impl<'de> Visitor<'de> for BatchVisitor {
            type Value = Batch<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of events")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Batch<'de>, S::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(16));
                while let Some(item) = seq.next_element::<Level<'de>>()? {
                    items.push(item);
                }
                Ok(Batch::Items(items))
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Batch<'de>, M::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Batch::Other)
            }
            fn visit_unit<E>(self) -> Result<Batch<'de>, E> {
                Ok(Batch::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Batch<'de>, E> {
                Ok(Batch::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Batch<'de>, E> {
                Ok(Batch::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Batch<'de>, E> {
                Ok(Batch::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Batch<'de>, E> {
                Ok(Batch::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<Batch<'de>, E> {
                Ok(Batch::Other)
            }
        }
        d.deserialize_any(BatchVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const NOW: i64 = 1_747_207_800_000; // 2025-05-14T07:30:00.000Z

    /// The events of `body`, read back as trees.
    fn events(route: Route, body: &Value) -> Result<Vec<Value>, IngestError> {
        let text = body.to_string();
        let events = Envelope::parse(text.as_bytes(), route)?.into_events(NOW)?;
        Ok(read_back(&events))
    }

    fn read_back(events: &Events) -> Vec<Value> {
        let Value::Array(list) = serde_json::from_str(&events.to_json()).unwrap() else {
            unreachable!()
        };
        assert_eq!(list.len(), events.len());
        list
    }

    #[test]
    fn single_events_get_their_type_from_the_path() {
        let envelope = Envelope::parse(
            br#"{"name": "Home", "writeKey": "wk", "timestamp": "2025-05-14"}"#,
            Route::Event("page"),
        )
        .unwrap();
        assert_eq!(envelope.write_key.as_deref(), Some("wk"));
        let got = read_back(&envelope.into_events(NOW).unwrap());
        assert_eq!(got[0]["type"], "page");
        assert!(got[0].get("writeKey").is_none());
        let kept = events(Route::Event("track"), &json!({"type": "identify"})).unwrap();
        assert_eq!(kept[0]["type"], "identify");
        assert_eq!(kept[0]["timestamp"], "2025-05-14T07:30:00.000Z");
        assert_eq!(kept[0]["receivedAt"], "2025-05-14T07:30:00.000Z");
    }

    #[test]
    fn batches_share_context_and_integrations() {
        let body = json!({"batch": [{"type": "track"}, {"type": "page", "context": {"x": 1}}, {}],
                          "context": {"ip": "1"}, "integrations": {"All": false}, "sentAt": "2025-05-14T07:29:59.000Z"});
        let got = events(Route::Batch, &body).unwrap();
        assert_eq!(got[0]["context"], json!({"ip": "1"}));
        assert_eq!(got[1]["context"], json!({"x": 1}));
        assert_eq!(got[1]["integrations"], json!({"All": false}));
        assert_eq!(got[2]["context"], json!({"ip": "1"}));
        assert_eq!(got[0]["sentAt"], "2025-05-14T07:29:59.000Z");
    }

    #[test]
    fn sizes_are_counted_as_they_would_be_after_the_merge() {
        let context = json!({"ip": "1", "library": {"name": "x\u{e9}\"\n"}});
        let integrations = json!({"All": true});
        for item in [
            json!({}),
            json!({"type": "track"}),
            json!({"type": "t", "context": 1}),
            json!({"integrations": {}, "a": [1, {"b": null}], "k\"\u{1}": "\u{2028}"}),
            json!({"timestamp": "2025-05-14T07:00:00Z", "receivedAt": 1, "x": null}),
        ] {
            // Padded to the limit and one byte past it, merged as Segment's API merges.
            for over in [0, 1] {
                let mut item = item.clone();
                let mut merged = item.clone();
                for (key, value) in [("context", &context), ("integrations", &integrations)] {
                    let map = merged.as_object_mut().unwrap();
                    map.entry(key).or_insert_with(|| value.clone());
                }
                let base = merged.to_string().len() + r#","pad":"""#.len();
                let pad = json!("x".repeat(MAX_EVENT_BYTES + over - base));
                item["pad"] = pad.clone();
                merged["pad"] = pad;
                let size = merged.to_string().len();
                assert_eq!(size, MAX_EVENT_BYTES + over);
                let body =
                    json!({"batch": [item], "context": context, "integrations": integrations});
                match events(Route::Batch, &body) {
                    Ok(got) => assert_eq!(over, 0, "{got:?}"),
                    Err(e) => assert_eq!(e, IngestError::EventTooLarge { index: 0, size }),
                }
            }
        }
    }

    #[test]
    fn values_are_copied_as_sent_and_repeated_keys_resolved_once() {
        let body = br#"{ "batch" : [ { "type" : "track", "timestamp" : "2025-05-14T07:00:00Z",
            "properties" : { "n" : 1.0, "writeKey" : "kept" }, "timestamp" : null,
            "writeKey" : "wk", "\u0065vent" : "E" } ], "sentAt": "2025-05-14T07:30:00Z" }"#;
        let events = Envelope::parse(body, Route::Batch)
            .unwrap()
            .into_events(NOW)
            .unwrap();
        assert_eq!(events.len(), 1);
        let read = events.read();
        let properties = read[0].get("properties").unwrap().get();
        assert_eq!(
            properties, r#"{ "n" : 1.0, "writeKey" : "kept" }"#,
            "as sent"
        );
        assert_eq!(
            events.to_json(),
            concat!(
                r#"[{"type":"track","timestamp":"2025-05-14T07:30:00.000Z","#,
                r#""properties":{"n":1,"writeKey":"kept"},"event":"E","#,
                r#""sentAt":"2025-05-14T07:30:00Z","receivedAt":"2025-05-14T07:30:00.000Z"}]"#
            ),
            "the last timestamp (null) wins, so the event gets receivedAt; only the top-level key goes"
        );
    }

    #[test]
    fn a_batch_sent_at_counts_against_the_sizes() {
        // Given to each event, a large `sentAt` would multiply like a large `context`.
        let body = json!({"batch": vec![json!({}); 100], "sentAt": "x".repeat(40 << 10)});
        let refused = events(Route::Batch, &body).unwrap_err();
        assert!(
            matches!(refused, IngestError::EventTooLarge { index: 0, .. }),
            "{refused:?}"
        );
    }

    #[test]
    fn the_merge_cannot_amplify_a_small_body() {
        // The hostile body of issue 8: a 400 KB context and 30,000 empty events.
        let context = json!({"blob": "x".repeat(400 << 10)});
        let body = json!({"batch": vec![json!({}); 30_000], "context": context});
        assert!(body.to_string().len() < 500 << 10);
        assert_eq!(events(Route::Batch, &body).unwrap_err().status(), 413);
        let body = json!({"batch": vec![json!({}); 9_000], "context": context});
        let refused = events(Route::Batch, &body).unwrap_err();
        assert!(
            matches!(refused, IngestError::EventTooLarge { index: 0, .. }),
            "{refused:?}"
        );
        // Each event within 32 KB, but 30 KB × 100 events is past the total.
        let context = json!({"blob": "x".repeat(30 << 10)});
        let body = json!({"batch": vec![json!({}); 200], "context": context});
        assert_eq!(
            events(Route::Batch, &body).unwrap_err(),
            IngestError::BatchTooLarge
        );
        assert_eq!(IngestError::BatchTooLarge.status(), 413);
    }

    #[test]
    fn events_without_a_message_id_get_one_not_counted_in_their_size() {
        let body = json!({"batch": [{"type": "track", "messageId": "mine"}, {"type": "track"}, {"type": "identify"}]}).to_string();
        let identified = Envelope::parse(body.as_bytes(), Route::Batch)
            .unwrap()
            .into_identified_events(0, Some("r1"))
            .unwrap();
        let ids: Vec<Value> = read_back(&identified)
            .iter()
            .map(|e| e["messageId"].clone())
            .collect();
        assert_eq!(ids, [json!("mine"), json!("api-r1-1"), json!("api-r1-2")]);
        let plain = Envelope::parse(body.as_bytes(), Route::Batch)
            .unwrap()
            .into_events(0)
            .unwrap();
        assert_eq!(read_back(&plain)[1].get("messageId"), None);
    }

    #[test]
    fn counts_events() {
        let body = json!({"batch": vec![json!(1); MAX_BATCH_EVENTS + 1]});
        assert_eq!(
            events(Route::Batch, &body).unwrap_err(),
            IngestError::TooManyEvents(MAX_BATCH_EVENTS + 1)
        );
        let body = json!({"batch": vec![json!({}); MAX_BATCH_EVENTS]});
        assert_eq!(events(Route::Batch, &body).unwrap().len(), MAX_BATCH_EVENTS);
    }

    #[test]
    fn write_keys_inside_events_are_taken_out() {
        let envelope = Envelope::parse(
            br#"{"batch": [{"type": "track", "writeKey": "wk"}]}"#,
            Route::Batch,
        )
        .unwrap();
        assert_eq!(
            envelope.write_key, None,
            "only the top-level key authenticates"
        );
        let got = read_back(&envelope.into_events(NOW).unwrap());
        assert!(got[0].get("writeKey").is_none());
    }

    #[test]
    fn rejects_what_segment_rejects() {
        for body in [&b"{nope"[..], b"[1]", b"", b"  \n", b"\"text\""] {
            assert_eq!(
                Envelope::parse(body, Route::Batch).unwrap_err().status(),
                400,
                "{body:?}"
            );
        }
        assert_eq!(
            events(Route::Batch, &json!({"events": []}))
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            events(Route::Batch, &json!({"batch": {}}))
                .unwrap_err()
                .status(),
            400
        );
        let big = json!({"batch": [{"type": "track", "properties": {"blob": "x".repeat(MAX_EVENT_BYTES)}}]});
        let too_large = events(Route::Batch, &big).unwrap_err();
        assert!(
            matches!(too_large, IngestError::EventTooLarge { index: 0, size } if size > MAX_EVENT_BYTES),
            "{too_large:?}"
        );
        let single = json!({"properties": {"blob": "x".repeat(MAX_EVENT_BYTES)}});
        assert_eq!(
            events(Route::Event("track"), &single).unwrap_err().status(),
            413
        );
        // Non-objects in a batch are left for the plan to report one by one.
        assert_eq!(
            events(Route::Batch, &json!({"batch": [1, "x"]}))
                .unwrap()
                .len(),
            2
        );
        // A single event where a batch was expected: taken as one (for /v1/validate).
        assert_eq!(
            events(Route::Validate, &json!({"type": "track"}))
                .unwrap()
                .len(),
            1
        );
    }
}
