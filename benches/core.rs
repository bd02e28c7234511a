//! `cargo bench`: the native core on typical inputs, next to the cost of only reading and
//! writing the same JSON with serde_json (the floor `plan` is compared with).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nudge_edge::batching;
use nudge_edge::delivery::direct::settle;
use nudge_edge::delivery::dispatch::{Ended, Fate};
use nudge_edge::event::Event;
use nudge_edge::ingest::events::Envelope;
use nudge_edge::ingest::{Route, MAX_REQUEST_BYTES};
use nudge_edge::queue::enqueue::messages;
use nudge_edge::{Config, Planner, Subscription};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::hint::black_box;

fn track_event(i: usize) -> Value {
    json!({
        "type": "track", "messageId": format!("m-{i}"), "userId": format!("User {i}"), "anonymousId": "anon-1",
        "event": "Order Completed", "timestamp": "2025-05-14T07:30:00+05:30",
        "properties": {"order_id": format!("o-{i}"), "total": 99.5, "currency": "EUR",
                       "products": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}]},
        "context": {"library": {"name": "analytics.js", "version": "2.11.1"}, "timezone": "Europe/Paris",
                    "page": {"url": "https://example.com/checkout"}}
    })
}

fn identify_event() -> Value {
    json!({
        "type": "identify", "messageId": "m-1", "userId": "Ada Lovelace", "timestamp": "2025-05-14T07:30:00Z",
        "traits": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000", "plan": "pro",
                   "vip_audience": true},
        "context": {"timezone": "Europe/London"}
    })
}

fn batching_config() -> Config {
    Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [
        {"name": "Identify User", "action": "identifyUser"},
        {"name": "Track Event", "action": "trackEvent", "enable_batching": true, "batch_size": 100},
    ]}))
    .expect("valid config")
}

fn fifty_mappings() -> Config {
    let mappings: Vec<Value> = (0..50)
        .map(|i| {
            json!({
                "name": format!("Mapping {i}"), "action": "trackEvent",
                "subscription": format!("type = \"track\" and (properties.total > {i} or contains(event, \"Order\")) and event != \"Skip {i}\""),
                "mapping": {
                    "name": {"@template": format!("{{{{event}}}} {i}")},
                    "ext_id": {"@path": "$.userId"},
                    "occurred_at": {"@path": "$.timestamp"},
                    "props": {"@merge": {"direction": "right", "objects": [{"@path": "$.properties"}, {"mapping": i}]}}
                }
            })
        })
        .collect();
    Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": mappings}))
        .expect("valid config")
}

/// JSON text in, plan JSON text out, with a planner compiled once: what the Worker and the
/// npm package do per call.
fn plan_text(events: &str, planner: &Planner) -> String {
    planner.plan_text(events).expect("events JSON").to_json()
}

/// The floor: read and write the same JSON, nothing else.
fn roundtrip_text(events: &str) -> String {
    let events: Value = serde_json::from_str(events).expect("events JSON");
    serde_json::to_string(&events).expect("serialises")
}

fn bench_plan(c: &mut Criterion) {
    let presets = Config::with_presets("k");
    let batching = batching_config();
    let fifty = fifty_mappings();
    let cases: Vec<(&str, String, &Config)> = vec![
        ("track", track_event(0).to_string(), &presets),
        ("identify", identify_event().to_string(), &presets),
        (
            "batch-100",
            Value::Array((0..100).map(track_event).collect()).to_string(),
            &batching,
        ),
        (
            "batch-1000",
            Value::Array((0..1000).map(track_event).collect()).to_string(),
            &batching,
        ),
        ("50-mappings", track_event(7).to_string(), &fifty),
    ];
    let mut group = c.benchmark_group("plan");
    for (name, text, config) in &cases {
        let planner = Planner::new((*config).clone());
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("plan", name), text, |b, t| {
            b.iter(|| plan_text(black_box(t), &planner))
        });
        group.bench_with_input(BenchmarkId::new("serde_json-floor", name), text, |b, t| {
            b.iter(|| roundtrip_text(black_box(t)))
        });
    }
    group.finish();
}

fn bench_fql(c: &mut Criterion) {
    let fql = r#"type = "track" and (event = "Order Completed" or match(event, "Checkout*")) and properties.total >= 10 and !contains(context.page.url, "test") and userId != null"#;
    let event = track_event(3);
    c.bench_function("fql/parse", |b| {
        b.iter(|| Subscription::parse(black_box(fql)).expect("parses"))
    });
    let sub = Subscription::parse(fql).expect("parses");
    // As the planner matches: on the event read in place.
    let text = event.to_string();
    let raw: Box<RawValue> = serde_json::from_str(&text).expect("event JSON");
    let in_place = Event::new(&raw);
    c.bench_function("fql/match", |b| {
        b.iter(|| sub.matches_event(black_box(&in_place)))
    });
    c.bench_function("fql/match (serde_json::Value)", |b| {
        b.iter(|| sub.matches(black_box(&event)))
    });
}

/// JavaScript's `Number.prototype.toString` (`String(n)`), used wherever Segment prints a
/// number into text (`@template`, string coercion, FQL literals).
fn bench_number_to_string(c: &mut Criterion) {
    let numbers = [
        0.1 + 0.2,
        19.99,
        123456.789,
        -3.5,
        1e21,
        1.5e-7,
        5e-324,
        1.7976931348623157e308,
        0.000001,
        4.35,
        1715672000123.0,
        2.5e-3,
    ];
    c.bench_function("js/number_to_string (12 numbers)", |b| {
        b.iter(|| {
            for n in numbers {
                black_box(nudge_edge::js::number_to_string(black_box(n)));
            }
        })
    });
}

/// A timestamp read and printed in UTC ISO form (what every `occurred_at` goes through).
fn bench_timestamps(c: &mut Criterion) {
    let values = [
        json!("2025-05-14T07:30:00+05:30"),
        json!("2025-05-14 07:30:00"),
        json!("Wed, 14 May 2025 07:30:00 GMT"),
        json!(1715672000000i64),
    ];
    c.bench_function("datetime/normalize (4 timestamps)", |b| {
        b.iter(|| {
            for v in &values {
                black_box(nudge_edge::datetime::normalize(black_box(v)));
            }
        })
    });
}

/// What the Worker does with a request body before any I/O: the front door reads the body and
/// writes its events, the isolate's planner plans them, queue mode makes its messages. A
/// `/v1/batch` body of typical track events, 100 of them and as many as fit in 500 KB.
fn bench_front_door(c: &mut Criterion) {
    let planner = Planner::new(batching_config());
    let mut group = c.benchmark_group("worker");
    let body = |n: usize| {
        json!({"batch": (0..n).map(track_event).collect::<Vec<_>>(), "sentAt": "2025-05-14T07:30:01Z"})
            .to_string()
    };
    let mut full = 100;
    while body(full + 1).len() <= MAX_REQUEST_BYTES {
        full += 1;
    }
    for (name, text) in [
        ("batch-100".to_string(), body(100)),
        (format!("batch-{full}-500KB"), body(full)),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("envelope", &name), &text, |b, t| {
            b.iter(|| {
                let envelope =
                    Envelope::parse(black_box(t.as_bytes()), Route::Batch).expect("a JSON object");
                envelope
                    .into_events(1_747_207_800_000)
                    .expect("within the limits")
            })
        });
        let ev = Envelope::parse(text.as_bytes(), Route::Batch)
            .ok()
            .unwrap()
            .into_events(1_747_207_800_000)
            .unwrap();
        let read = ev.read();
        group.bench_with_input(BenchmarkId::new("plan", &name), &read, |b, t| {
            b.iter(|| planner.plan_events(black_box(t)))
        });
        let planned = planner.payloads(&read);
        group.bench_with_input(BenchmarkId::new("messages", &name), &planned, |b, p| {
            b.iter(|| messages(black_box(&p.payloads), &[], 1_747_207_800_000))
        });
        group.bench_with_input(
            BenchmarkId::new("body-to-messages", &name),
            &text,
            |b, t| {
                b.iter(|| {
                    let envelope = Envelope::parse(black_box(t.as_bytes()), Route::Batch)
                        .expect("a JSON object");
                    let events = envelope
                        .into_events(1_747_207_800_000)
                        .expect("within the limits");
                    let planned = planner.payloads(&events.read());
                    messages(&planned.payloads, &[], 1_747_207_800_000)
                })
            },
        );
    }
    group.finish();
}

/// Settling a direct-mode request whose Nudge requests all failed: 10,000 unbatched events are
/// 10,000 requests, each carrying one event's result.
fn bench_settle(c: &mut Criterion) {
    let events = Value::Array((0..10_000).map(track_event).collect()).to_string();
    let planned = Planner::new(Config::with_presets("k"))
        .payloads(&nudge_edge::event::events_in(&events).expect("events JSON"));
    let ended: Vec<Ended> = batching::group(&planned.payloads)
        .into_iter()
        .map(|g| Ended {
            destination: g.destination,
            members: g.members,
            fate: Fate::Unavailable {
                status: Some(503),
                attempts: 3,
                detail: "busy".into(),
                retry_after_ms: None,
                timed_out: false,
            },
        })
        .collect();
    c.bench_function("delivery/settle (10,000 requests failed)", |b| {
        b.iter(|| {
            settle(
                black_box(planned.results.clone()),
                &planned.payloads,
                &ended,
                50,
                &[],
            )
        })
    });
}

criterion_group!(
    benches,
    bench_plan,
    bench_front_door,
    bench_settle,
    bench_fql,
    bench_number_to_string,
    bench_timestamps
);
criterion_main!(benches);
