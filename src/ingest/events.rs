//! From a request body to the events it carries.
//!
//! [`Envelope::parse`] reads the JSON object and takes its `writeKey` out (what a caller
//! without a Basic header authenticates with); only once the caller is let in does
//! [`Envelope::into_events`] list the events: batch items lose any `writeKey` of their own
//! (never a credential, never echoed), batch-level `context` and `integrations` go to the
//! events that lack them, and Segment's timestamps are applied. Sizes are checked before
//! anything is copied: each event as it would be after the merge (32 KB), the count of events,
//! and the total size the merge would make, so a small body cannot grow into a large one.

use super::{
    timestamps, IngestError, Route, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, MAX_EXPANDED_BYTES,
};
use serde_json::{Map, Value};
use std::io;

/// A parsed request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    doc: Map<String, Value>,
    /// `writeKey` from the top of the body.
    pub write_key: Option<String>,
}

/// Batch-level fields given to each event that lacks them, as Segment's API does.
const SHARED_FIELDS: [&str; 2] = ["context", "integrations"];

impl Envelope {
    /// Reads a body: a JSON object.
    pub fn parse(body: &[u8]) -> Result<Envelope, IngestError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(IngestError::Malformed("the body is empty".into()));
        }
        let doc: Value = serde_json::from_slice(body)
            .map_err(|e| IngestError::Malformed(format!("body is not valid JSON: {e}")))?;
        let Value::Object(mut doc) = doc else {
            return Err(IngestError::Malformed("body must be a JSON object".into()));
        };
        let write_key = match doc.remove("writeKey") {
            Some(Value::String(k)) => Some(k),
            _ => None,
        };
        Ok(Envelope { doc, write_key })
    }

    /// The events, in order, ready to plan. `received_at_ms` is the Worker's clock when the
    /// request arrived.
    pub fn into_events(self, route: Route, received_at_ms: i64) -> Result<Vec<Value>, IngestError> {
        let mut doc = self.doc;
        let items = match route {
            Route::Event(event_type) => {
                doc.entry("type")
                    .or_insert_with(|| Value::String(event_type.to_string()));
                let size = json_size(&doc);
                if size > MAX_EVENT_BYTES {
                    return Err(IngestError::EventTooLarge { index: 0, size });
                }
                timestamps::stamp(&mut doc, None, received_at_ms);
                return Ok(vec![Value::Object(doc)]);
            }
            _ => match doc.remove("batch") {
                Some(Value::Array(items)) => items,
                Some(_) => {
                    return Err(IngestError::Malformed(
                        "`batch` must be an array of events".into(),
                    ))
                }
                // `/v1/validate` (and a lenient `/v1/batch`) take a single event too.
                None if doc.contains_key("type") => {
                    return Envelope {
                        doc,
                        write_key: None,
                    }
                    .into_events(Route::Event("track"), received_at_ms)
                }
                None => {
                    return Err(IngestError::Malformed(
                        "body must have a `batch` array of events".into(),
                    ))
                }
            },
        };
        if items.len() > MAX_BATCH_EVENTS {
            return Err(IngestError::TooManyEvents(items.len()));
        }
        let shared: Vec<(&str, &Value, usize)> = SHARED_FIELDS
            .iter()
            .filter_map(|k| doc.get(*k).map(|v| (*k, v, json_size(v))))
            .collect();
        let sent_at = doc.get("sentAt");
        let mut items = items;
        let mut total = 0usize;
        for (index, item) in items.iter_mut().enumerate() {
            let size = match item {
                Value::Object(event) => {
                    event.remove("writeKey");
                    merged_size(event, &shared)
                }
                other => json_size(other),
            };
            if size > MAX_EVENT_BYTES {
                return Err(IngestError::EventTooLarge { index, size });
            }
            total = total.saturating_add(size);
            if total > MAX_EXPANDED_BYTES {
                return Err(IngestError::BatchTooLarge);
            }
        }
        for item in &mut items {
            if let Value::Object(event) = item {
                for (key, value, _) in &shared {
                    if !event.contains_key(*key) {
                        event.insert((*key).to_string(), (*value).clone());
                    }
                }
                timestamps::stamp(event, sent_at, received_at_ms);
            }
        }
        Ok(items)
    }
}

/// The size `event`'s JSON text will have once it gets the `shared` fields it lacks (each
/// with the size of its value), counted without copying anything.
fn merged_size(event: &Map<String, Value>, shared: &[(&str, &Value, usize)]) -> usize {
    let added = shared.iter().filter(|(k, _, _)| !event.contains_key(*k));
    // Each `"key":value`, after a comma when the object already has members.
    (event.len()..)
        .zip(added)
        .fold(json_size(event), |size, (members, (key, _, value_size))| {
            size + key.len() + 3 + value_size + usize::from(members > 0)
        })
}

/// The size of a value's compact JSON text, counted without building it.
fn json_size<T: serde::Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Serialising a `Value` into a sink that cannot fail does not fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_747_207_800_000; // 2025-05-14T07:30:00.000Z

    fn events(route: Route, body: &Value) -> Result<Vec<Value>, IngestError> {
        Envelope::parse(body.to_string().as_bytes())?.into_events(route, NOW)
    }

    #[test]
    fn single_events_get_their_type_from_the_path() {
        let envelope =
            Envelope::parse(br#"{"name": "Home", "writeKey": "wk", "timestamp": "2025-05-14"}"#)
                .unwrap();
        assert_eq!(envelope.write_key.as_deref(), Some("wk"));
        let got = envelope.into_events(Route::Event("page"), NOW).unwrap();
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
        let shared = [
            ("context", &context, json_size(&context)),
            ("integrations", &integrations, json_size(&integrations)),
        ];
        for item in [
            json!({}),
            json!({"type": "track"}),
            json!({"type": "t", "context": 1}),
            json!({"integrations": {}, "a": [1, {"b": null}]}),
        ] {
            let Value::Object(event) = item else {
                unreachable!()
            };
            let mut merged = event.clone();
            for (key, value, _) in &shared {
                merged.entry(*key).or_insert_with(|| (*value).clone());
            }
            assert_eq!(
                merged_size(&event, &shared),
                serde_json::to_vec(&merged).unwrap().len(),
                "{event:?}"
            );
        }
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
        let got = envelope.into_events(Route::Batch, NOW).unwrap();
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
