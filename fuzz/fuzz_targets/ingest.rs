//! The Worker's front door: routing, body parsing and Basic auth on arbitrary bytes.
//!
//! Input: `METHOD PATH\n`, an `Authorization` header line, then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nudge_edge::ingest;

fuzz_target!(|data: &[u8]| {
    let mut lines = data.splitn(3, |b| *b == b'\n');
    let request_line = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let authorization = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let body = lines.next().unwrap_or_default();
    let (method, path) = request_line
        .split_once(' ')
        .unwrap_or(("POST", &request_line));
    let route = ingest::route(method, path);
    let _ = ingest::basic_auth_user(&authorization);
    if let Ok(ingested) = ingest::ingest(route, Some("application/json"), body) {
        let _ = nudge_edge::plan_events(
            &ingested.events.iter().collect::<Vec<_>>(),
            &nudge_edge::Config::with_presets("k"),
        );
    }
});
