//! Property tests of the Worker's front door, step by step as the Worker takes a request: any
//! bytes, in any chunking, as plain or gzip bodies, and any JSON envelope, give an answer
//! without a panic, and nothing kept grows past the limits.

use nudge_edge::ingest::body::{BodyHead, BodyReader};
use nudge_edge::ingest::events::Envelope;
use nudge_edge::ingest::{
    route, Route, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, MAX_EXPANDED_BYTES, MAX_REQUEST_BYTES,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::io::Write;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Reads `body` cut into chunks at `cuts`, as the Worker's stream would deliver it.
fn read(head: BodyHead<'_>, body: &[u8], cuts: &[usize]) -> Option<Vec<u8>> {
    let mut reader = BodyReader::for_request(head).ok()?;
    let mut at = 0;
    for cut in cuts
        .iter()
        .map(|c| c % (body.len() + 1))
        .chain([body.len()])
    {
        let end = cut.max(at);
        reader.push(&body[at..end]).ok()?;
        at = end;
    }
    reader.finish().ok()
}

fn events(route: Route, body: &[u8]) {
    let Ok(envelope) = Envelope::parse(body, route) else {
        return;
    };
    if let Ok(events) = envelope.into_events(1_747_207_800_000) {
        assert!(events.len() <= MAX_BATCH_EVENTS.max(1));
        let json = events.to_json();
        let list: Vec<Value> = serde_json::from_str(&json).expect("a JSON array");
        assert_eq!(list.len(), events.len());
        // Each event within the limit as counted, plus the timestamps the Worker adds (up to
        // twice the event's own `timestamp`) and the array's separators.
        assert!(
            json.len() <= 2 * MAX_EXPANDED_BYTES + events.len() * 200,
            "{}",
            json.len()
        );
    }
}

const ROUTES: [&str; 5] = [
    "/v1/t",
    "/v1/batch",
    "/v1/b",
    "/v1/validate",
    "/v1/identify",
];

fn arb_envelope() -> impl Strategy<Value = Value> {
    let item = prop_oneof![
        Just(json!({})),
        Just(json!(1)),
        Just(json!({"type": "track", "userId": "u", "event": "e", "writeKey": "k"})),
        Just(json!({"type": "identify", "timestamp": "2025-05-14", "sentAt": "soon"})),
        Just(json!({"timestamp": -8.64e15, "context": null})),
        "[a-z]{0,40}".prop_map(|s| json!({"properties": {"s": s}, "timestamp": s})),
    ];
    (
        prop::collection::vec(item, 0..40),
        prop::option::of("[ -~]{0,2000}"),
        prop::option::of(prop_oneof![
            Just(json!("2025-05-14T07:30:00Z")),
            Just(json!(0)),
            Just(json!([]))
        ]),
        any::<bool>(),
    )
        .prop_map(|(batch, context, sent_at, with_key)| {
            let mut doc = json!({"batch": batch});
            if let Some(c) = context {
                doc["context"] = json!({ "blob": c });
                doc["integrations"] = json!({ "All": true });
            }
            if let Some(s) = sent_at {
                doc["sentAt"] = s;
            }
            if with_key {
                doc["writeKey"] = json!("wk");
            }
            doc
        })
}

proptest! {
    #[test]
    fn any_bytes_in_any_chunks(body in prop::collection::vec(any::<u8>(), 0..4096),
                               cuts in prop::collection::vec(any::<usize>(), 0..8),
                               gzipped in any::<bool>(), path in 0..ROUTES.len()) {
        let head = BodyHead {
            content_type: Some("text/plain"),
            content_encoding: gzipped.then_some("gzip"),
            content_length: None,
        };
        // Gzip: a valid header, so that the bytes after it go through the inflater.
        let body = if gzipped { [&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255][..], &body].concat() } else { body };
        if let Some(read) = read(head, &body, &cuts) {
            prop_assert!(read.len() <= MAX_REQUEST_BYTES);
            events(route("POST", ROUTES[path]), &read);
        }
    }

    #[test]
    fn gzip_round_trips_in_any_chunks(body in prop::collection::vec(any::<u8>(), 0..20_000),
                                      cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        let head = BodyHead { content_encoding: Some("gzip"), ..BodyHead::default() };
        prop_assert_eq!(read(head, &gzip(&body), &cuts), Some(body));
    }

    #[test]
    fn any_envelope(doc in arb_envelope(), path in 0..ROUTES.len(), gzipped in any::<bool>()) {
        let text = doc.to_string();
        let (body, encoding) = if gzipped { (gzip(text.as_bytes()), Some("gzip")) } else { (text.into_bytes(), None) };
        let head = BodyHead { content_encoding: encoding, ..BodyHead::default() };
        let read = read(head, &body, &[7, 300]).expect("a valid body is read");
        let route = route("POST", ROUTES[path]);
        let envelope = Envelope::parse(&read, route).expect("a JSON object is an envelope");
        prop_assert_eq!(envelope.write_key.is_some(), doc.get("writeKey").is_some());
        match envelope.into_events(1_747_207_800_000) {
            Ok(events) => {
                let events: Vec<Value> = serde_json::from_str(&events.to_json()).expect("a JSON array");
                for event in events.iter().filter(|e| e.is_object()) {
                    prop_assert!(event.get("writeKey").is_none(), "a key in an event is taken out");
                    prop_assert!(event.get("receivedAt").is_some());
                }
            }
            Err(e) => prop_assert!(matches!(e.status(), 400 | 413), "{:?}", e),
        }
    }
}

#[test]
fn one_event_at_the_limit_is_taken_and_one_byte_more_is_not() {
    let at_limit = |extra: usize| {
        let base = json!({"type": "track", "properties": {"blob": ""}})
            .to_string()
            .len();
        let event = json!({"type": "track", "properties": {"blob": "x".repeat(MAX_EVENT_BYTES - base + extra)}});
        Envelope::parse(event.to_string().as_bytes(), Route::Event("track"))
            .expect("an envelope")
            .into_events(0)
            .map(|events| events.len())
    };
    assert!(at_limit(0).is_ok());
    assert_eq!(at_limit(1).unwrap_err().status(), 413);
}
