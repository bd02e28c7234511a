//! The Worker's front door on arbitrary bytes: routing, Basic auth, the body read as the Worker
//! reads it (plain or gzip, in chunks), the envelope and its events, then a plan.
//!
//! Input: `METHOD PATH\n`, an `Authorization` header line, a `Content-Encoding` line, then the
//! body, delivered in two chunks cut where its first byte says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nudge_edge::ingest::body::{BodyHead, BodyReader};
use nudge_edge::ingest::events::Envelope;
use nudge_edge::ingest::{auth, route};

fuzz_target!(|data: &[u8]| {
    let mut lines = data.splitn(4, |b| *b == b'\n');
    let request_line = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let authorization = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let encoding = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let body = lines.next().unwrap_or_default();
    let (method, path) = request_line
        .split_once(' ')
        .unwrap_or(("POST", &request_line));
    let route = route(method, path);
    let _ = auth::basic_auth_user(&authorization);
    let head = BodyHead {
        content_type: Some("application/json"),
        content_encoding: (!encoding.is_empty()).then_some(&*encoding),
        content_length: None,
    };
    let Ok(mut reader) = BodyReader::for_request(head) else {
        return;
    };
    let cut = body.first().map_or(0, |b| usize::from(*b)).min(body.len());
    if reader.push(&body[..cut]).is_err() || reader.push(&body[cut..]).is_err() {
        return;
    }
    let Ok(read) = reader.finish() else {
        return;
    };
    let Ok(envelope) = Envelope::parse(&read, route) else {
        return;
    };
    if let Ok(events) = envelope.into_events(1_747_207_800_000) {
        let planner = nudge_edge::Planner::new(nudge_edge::Config::with_presets("k"));
        let plan = planner.plan_events(&events.read());
        assert!(plan.results.len() >= events.len(), "every event has a result");
        serde_json::from_str::<serde_json::Value>(&events.to_json()).expect("the events as JSON");
    }
});
