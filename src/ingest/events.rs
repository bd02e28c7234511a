//! From a request body to the events it carries, read in place.
//!
//! [`Envelope::parse`] reads the body's top level only (its members stay slices of the body)
//! and takes its `writeKey` out (what a caller without a Basic header authenticates with);
//! only once the caller is let in does [`Envelope::into_events`] write the events, one JSON
//! array for [`crate::plan::Planner::plan_text`]: batch items lose any `writeKey` of their own
//! (never a credential, never echoed), batch-level `context` and `integrations` go to the
//! events that lack them, and Segment's timestamps are applied ([`timestamps`]). Each event's
//! values are copied as the sender wrote them, never parsed into a tree. Sizes are checked as
//! the events are written: each event as it is with the batch-level fields it gets (32 KB),
//! the count of events, and the total, so a small body cannot grow into a large one.

use super::{
    timestamps, IngestError, Route, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, MAX_EXPANDED_BYTES,
};
use crate::json::read::{self, find, Kind, Level};
use crate::json::write::write_str;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// An object's member as read in place: its key, decoded, and its value's text.
pub type Member<'a> = (Cow<'a, str>, &'a RawValue);

/// A parsed request body.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The body's members, `writeKey` taken out.
    members: Vec<Member<'a>>,
    /// `writeKey` from the top of the body.
    pub write_key: Option<String>,
}

/// A request's events: one JSON array, and how many it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events {
    /// The events as a JSON array.
    pub json: String,
    /// How many events the array holds.
    pub count: usize,
}

/// A member the front door gives an event: added when the event lacks the key (a batch-level
/// field, counted in the event's size), or written in place of the event's own (at its first
/// position, counted at the size of the member it replaces: Segment's timestamps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set<'a> {
    key: &'static str,
    json: Cow<'a, str>,
    replaces: bool,
}

impl<'a> Set<'a> {
    /// `key: json` for an event without `key` (the caller only adds it then).
    pub fn added(key: &'static str, json: Cow<'a, str>) -> Set<'a> {
        Set {
            key,
            json,
            replaces: false,
        }
    }

    /// `key: json` whether or not the event has `key`.
    pub fn replaced(key: &'static str, json: Cow<'a, str>) -> Set<'a> {
        Set {
            key,
            json,
            replaces: true,
        }
    }
}

/// Batch-level fields given to each event that lacks them, as Segment's API does.
const SHARED_FIELDS: [&str; 2] = ["context", "integrations"];

/// The key events never keep.
const WRITE_KEY: &str = "writeKey";

impl<'a> Envelope<'a> {
    /// Reads a body: a JSON object.
    pub fn parse(body: &'a [u8]) -> Result<Envelope<'a>, IngestError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(IngestError::Malformed("the body is empty".into()));
        }
        let malformed = |e: &dyn std::fmt::Display| {
            IngestError::Malformed(format!("body is not valid JSON: {e}"))
        };
        let text = std::str::from_utf8(body).map_err(|e| malformed(&e))?;
        let Level::Object(mut members) = serde_json::from_str(text).map_err(|e| malformed(&e))?
        else {
            return Err(IngestError::Malformed("body must be a JSON object".into()));
        };
        let write_key = find(&members, WRITE_KEY)
            .filter(|k| read::kind(k) == Kind::String)
            .and_then(read::string)
            .map(Cow::into_owned);
        members.retain(|(key, _)| key != WRITE_KEY);
        Ok(Envelope { members, write_key })
    }

    /// The events, in order, ready to plan. `received_at_ms` is the Worker's clock when the
    /// request arrived.
    pub fn into_events(self, route: Route, received_at_ms: i64) -> Result<Events, IngestError> {
        let members = self.members;
        let single = |event_type: &'static str| {
            let typed = find(&members, "type").is_none().then(|| {
                let mut json = String::new();
                write_str(event_type, &mut json);
                Set::added("type", Cow::Owned(json))
            });
            let mut out = Writer::new(1);
            out.event(&members, typed.into_iter().collect(), None, received_at_ms)?;
            Ok(out.finish())
        };
        let items = match (route, find(&members, "batch")) {
            (Route::Event(event_type), _) => return single(event_type),
            (_, Some(batch)) => read::items(batch).ok_or_else(|| {
                IngestError::Malformed("`batch` must be an array of events".into())
            })?,
            // `/v1/validate` (and a lenient `/v1/batch`) take a single event too.
            (_, None) if find(&members, "type").is_some() => return single("track"),
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
            .filter_map(|k| find(&members, k).map(|v| (*k, v)))
            .collect();
        let sent_at = find(&members, "sentAt");
        let mut out = Writer::new(items.len());
        for item in items {
            match read::members(item) {
                Some(event) => {
                    let sets = shared
                        .iter()
                        .filter(|(key, _)| find(&event, key).is_none())
                        .map(|(key, value)| Set::added(key, Cow::Borrowed(value.get())))
                        .collect();
                    out.event(&event, sets, sent_at, received_at_ms)?;
                }
                // Not an event: left for the plan to report.
                None => out.other(item)?,
            }
        }
        Ok(out.finish())
    }
}

/// The events' array as it is written, with the sizes counted so far.
struct Writer {
    json: String,
    count: usize,
    total: usize,
}

impl Writer {
    fn new(capacity: usize) -> Writer {
        Writer {
            json: String::from("["),
            count: 0,
            total: 0,
        }
        .reserving(capacity)
    }

    fn reserving(mut self, events: usize) -> Writer {
        self.json.reserve(events.min(MAX_BATCH_EVENTS) * 64);
        self
    }

    /// Writes one event: its members with `sets` (the fields it is given) and Segment's
    /// timestamps over them.
    fn event<'a>(
        &mut self,
        members: &[Member<'a>],
        mut sets: Vec<Set<'a>>,
        batch_sent_at: Option<&'a RawValue>,
        received_at_ms: i64,
    ) -> Result<(), IngestError> {
        sets.extend(timestamps::stamp(members, batch_sent_at, received_at_ms));
        self.separate();
        let size = write_event(members, &sets, &mut self.json);
        self.check(size)
    }

    /// Writes a batch item that is not an object, as it is.
    fn other(&mut self, item: &RawValue) -> Result<(), IngestError> {
        self.separate();
        self.json.push_str(item.get());
        self.check(item.get().len())
    }

    fn separate(&mut self) {
        if self.count > 0 {
            self.json.push(',');
        }
    }

    fn check(&mut self, size: usize) -> Result<(), IngestError> {
        let index = self.count;
        if size > MAX_EVENT_BYTES {
            return Err(IngestError::EventTooLarge { index, size });
        }
        self.total = self.total.saturating_add(size);
        if self.total > MAX_EXPANDED_BYTES {
            return Err(IngestError::BatchTooLarge);
        }
        self.count += 1;
        Ok(())
    }

    fn finish(mut self) -> Events {
        self.json.push(']');
        Events {
            json: self.json,
            count: self.count,
        }
    }
}

/// Writes an event object: `members` (without `writeKey`) with `sets` over them. Returns the
/// event's size as the sender made it, with the fields it is given: an added member counts,
/// a replaced one counts at its own size (Segment's timestamps do not count against the limit).
pub fn write_event(members: &[Member<'_>], sets: &[Set<'_>], out: &mut String) -> usize {
    let mut written = vec![false; sets.len()];
    let mut first = true;
    // Each member's length with its separator (`{` or `,`); the closing `}` is the last byte.
    let mut member = |key: &str, json: &str, out: &mut String| {
        let start = out.len();
        out.push(if first { '{' } else { ',' });
        first = false;
        write_str(key, out);
        out.push(':');
        out.push_str(json);
        out.len() - start
    };
    let mut size = 1;
    for (key, value) in members {
        if key == WRITE_KEY {
            continue;
        }
        match sets.iter().position(|s| s.replaces && s.key == key) {
            // `JSON.parse` keeps one member of a key.
            Some(i) if written[i] => {}
            Some(i) => {
                written[i] = true;
                size += member(key, &sets[i].json, out) - sets[i].json.len() + value.get().len();
            }
            None => size += member(key, value.get(), out),
        }
    }
    for (set, _) in sets.iter().zip(written).filter(|(_, written)| !written) {
        let len = member(set.key, &set.json, out);
        if !set.replaces {
            size += len;
        }
    }
    if first {
        out.push('{');
    }
    out.push('}');
    size.max(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const NOW: i64 = 1_747_207_800_000; // 2025-05-14T07:30:00.000Z

    /// The events of `body`, read back as trees.
    fn events(route: Route, body: &Value) -> Result<Vec<Value>, IngestError> {
        let events = Envelope::parse(body.to_string().as_bytes())?.into_events(route, NOW)?;
        Ok(read_back(&events))
    }

    fn read_back(events: &Events) -> Vec<Value> {
        let Value::Array(list) = serde_json::from_str(&events.json).unwrap() else {
            unreachable!()
        };
        assert_eq!(list.len(), events.count);
        list
    }

    #[test]
    fn single_events_get_their_type_from_the_path() {
        let envelope =
            Envelope::parse(br#"{"name": "Home", "writeKey": "wk", "timestamp": "2025-05-14"}"#)
                .unwrap();
        assert_eq!(envelope.write_key.as_deref(), Some("wk"));
        let got = read_back(&envelope.into_events(Route::Event("page"), NOW).unwrap());
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
        let events = Envelope::parse(body)
            .unwrap()
            .into_events(Route::Batch, NOW)
            .unwrap();
        assert_eq!(events.count, 1);
        assert_eq!(
            events.json,
            concat!(
                r#"[{"type":"track","timestamp":"2025-05-14T07:30:00.000Z","#,
                r#""properties":{ "n" : 1.0, "writeKey" : "kept" },"event":"E","#,
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
        let envelope =
            Envelope::parse(br#"{"batch": [{"type": "track", "writeKey": "wk"}]}"#).unwrap();
        assert_eq!(
            envelope.write_key, None,
            "only the top-level key authenticates"
        );
        let got = read_back(&envelope.into_events(Route::Batch, NOW).unwrap());
        assert!(got[0].get("writeKey").is_none());
    }

    #[test]
    fn rejects_what_segment_rejects() {
        for body in [&b"{nope"[..], b"[1]", b"", b"  \n", b"\"text\""] {
            assert_eq!(Envelope::parse(body).unwrap_err().status(), 400, "{body:?}");
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
