//! Delivery's core end to end, natively, in both modes: what the producer enqueues, read back
//! and grouped by the consumer, makes the same Nudge requests as direct mode; a refused event
//! sinks no other in either mode; a dead letter replays; and no message text, admin body or
//! Nudge answer makes the core panic or lose a payload.

use nudge_edge::batching::{self, Endpoints, Group};
use nudge_edge::delivery::backoff::RetryPolicy;
use nudge_edge::delivery::backoff::{max_retries, Schedule, MAX_RETRIES};
use nudge_edge::delivery::direct;
use nudge_edge::delivery::dispatch::{run_with, Dispatch, Fate, Part};
use nudge_edge::delivery::nudge::Outcome;
use nudge_edge::event;
use nudge_edge::plan::{Planned, Planner, Status};
use nudge_edge::queue::admin::{list_query, replay_selection};
use nudge_edge::queue::consume::{self, Consumer, Incoming, Settle};
use nudge_edge::queue::dead_letter::DeadLetter;
use nudge_edge::queue::enqueue::{messages, send_batches, MAX_BATCH_MESSAGES};
use nudge_edge::queue::message::QueueMessage;
use nudge_edge::Config;
use proptest::prelude::*;
use serde_json::{json, Value};

fn config() -> Config {
    Config::from_json(
        &json!({"settings": {"apikey": "k", "endpoint": "https://nudge.example"}, "mappings": [
            {"action": "identifyUser"},
            {"action": "trackEvent", "enable_batching": true, "batch_size": 3},
            {"name": "Pages", "subscription": "type = \"page\"", "action": "trackEvent",
             "mapping": {"name": {"@template": "Viewed {{name}}"}, "ext_id": {"@path": "$.userId"},
                         "occurred_at": {"@path": "$.timestamp"}}},
        ]}),
    )
    .unwrap()
}

fn track(u: &str) -> Value {
    json!({"type": "track", "userId": u, "event": "Order Completed", "timestamp": "2025-05-14T07:30:00+05:30", "properties": {"total": 1}})
}

fn events() -> Value {
    json!([
        track("a"), {"type": "identify", "userId": "b", "traits": {"email": "b@x.io"}}, track("c"),
        {"type": "page", "userId": "d", "name": "Home", "timestamp": "2025-05-14"}, track("e"),
        {"type": "track"}, track("f"), {"type": "page", "userId": "g", "name": "About", "timestamp": "2025-05-14"},
    ])
}

fn planned(config: &Config, events: &Value) -> Planned {
    let text = event::to_text(events);
    Planner::new(config.clone()).payloads(&event::events_in(&text).unwrap())
}

/// The message texts a Worker request of `events` enqueues.
fn enqueued(config: &Config, events: &Value) -> Vec<String> {
    let p = planned(config, events);
    let (out, too_large) = messages(&p.payloads, &[], 0);
    assert!(too_large.is_empty());
    out.into_iter().map(|m| m.text).collect()
}

fn incoming(texts: &[String]) -> Vec<Incoming<'_>> {
    texts
        .iter()
        .map(|text| Incoming {
            id: "m",
            attempts: 1,
            text,
        })
        .collect()
}

/// The consumer's requests for a batch of message texts: (method, url, body).
fn consumed(texts: &[String], config: &Config) -> Vec<(&'static str, String, String)> {
    let incoming = incoming(texts);
    let batch = consume::read(&incoming);
    let endpoints = Endpoints::new(&config.settings);
    batch
        .groups(&incoming, &[])
        .iter()
        .map(|g| {
            let r = endpoints.request(&batch.payloads, g.destination, &g.members);
            (r.method, r.url, r.body)
        })
        .collect()
}

#[test]
fn the_consumer_sends_what_direct_mode_sends() {
    let config = config();
    let p = nudge_edge::plan(&events(), &config);
    let mut direct: Vec<_> = p
        .requests
        .iter()
        .map(|r| (r.method, r.url.clone(), r.body.clone()))
        .collect();
    let mut queued = consumed(&enqueued(&config, &events()), &config);
    assert_eq!(
        direct.len(),
        5,
        "identify, two track batches (3 + 1), two pages"
    );
    queued.sort();
    direct.sort();
    assert_eq!(queued, direct);
}

#[test]
fn single_event_requests_are_batched_across_requests() {
    let config = config();
    let one_by_one: Vec<String> = events()
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| enqueued(&config, e))
        .collect();
    assert_eq!(one_by_one.len(), 7, "one message per single-event request");
    let tracks: Vec<usize> = consumed(&one_by_one, &config)
        .iter()
        .map(|r| (r.1.clone(), serde_json::from_str::<Value>(&r.2).unwrap()))
        .filter(|(url, body)| {
            url.ends_with("/events/batch") && body[0]["name"] == "order_completed"
        })
        .map(|(_, body)| body.as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(
        tracks,
        [3, 1],
        "four track events from four requests: batch_size 3, then 1"
    );
}

#[test]
fn a_100_event_sdk_batch_is_at_most_a_tenth_of_a_message_per_event() {
    let config = Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [
        {"action": "identifyUser"},
        {"action": "trackEvent", "enable_batching": true, "batch_size": 100}]}))
    .unwrap();
    let batch: Vec<Value> = (0..100)
        .map(|i| {
            if i % 10 == 0 {
                json!({"type": "identify", "userId": format!("u{i}"), "traits": {"n": i}})
            } else {
                track(&format!("u{i}"))
            }
        })
        .collect();
    let texts = enqueued(&config, &Value::Array(batch));
    let per_event = texts.len() as f64 / 100.0;
    assert!(per_event <= 0.1, "{per_event} messages per event");
    assert_eq!(
        texts.len(),
        2,
        "the identifies together, the tracks together"
    );
}

#[test]
fn a_hundred_messages_fit_one_send_batch_call() {
    let config = config();
    let many: Vec<Value> = (0..250)
        .map(|i| json!({"type": "identify", "userId": format!("u{i}")}))
        .collect();
    let sizes: Vec<usize> = enqueued(&config, &Value::Array(many))
        .iter()
        .map(String::len)
        .collect();
    assert_eq!(sizes.len(), 3, "100 payloads per message at most");
    let calls = send_batches(&sizes);
    assert_eq!(calls.len(), 1);
    assert!(calls.iter().all(|c| c.len() <= MAX_BATCH_MESSAGES));
}

/// Nudge refusing (400) any request that carries a payload named `poison`.
fn poison_aware(body: &str) -> Outcome {
    let refused = body.contains("\"name\":\"poison\"");
    Outcome::Answered {
        status: if refused { 400 } else { 200 },
        retry_after: None,
        detail: if refused {
            "bad event: poison".into()
        } else {
            String::new()
        },
    }
}

fn sixty_and_a_poison() -> (Config, Vec<Value>) {
    let config = Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [
        {"action": "trackEvent", "enable_batching": true, "batch_size": 100}]}))
    .unwrap();
    let mut events: Vec<Value> = (0..60)
        .map(|n| json!({"type": "track", "userId": "u", "event": "good", "timestamp": "2025-05-14", "properties": {"n": n}}))
        .collect();
    events.insert(
        42,
        json!({"type": "track", "userId": "u", "event": "poison", "timestamp": "2025-05-14"}),
    );
    (config, events)
}

#[test]
fn queue_mode_sixty_good_and_one_poison_event_in_61_requests() {
    let (config, events) = sixty_and_a_poison();
    let texts: Vec<String> = events.iter().flat_map(|e| enqueued(&config, e)).collect();
    assert_eq!(texts.len(), 61);
    let incoming = incoming(&texts);
    let batch = consume::read(&incoming);
    let endpoints = Endpoints::new(&config.settings);
    let consumer = Consumer {
        schedule: Schedule::default(),
        max_retries: MAX_RETRIES,
        subrequest_budget: 50,
        attempt_timeout_ms: 5_000,
    };
    let (mut requests, mut delivered) = (0, 0);
    let ended = run_with(
        batch.dispatch(&incoming, &[], &consumer, 0),
        |part: &Part| {
            requests += 1;
            let r = endpoints.request(&batch.payloads, part.destination, &part.members);
            let outcome = poison_aware(&r.body);
            if matches!(outcome, Outcome::Answered { status: 200, .. }) {
                delivered += part.members.len();
            }
            outcome
        },
    );
    let dispositions = batch
        .settle(&incoming, &[], &ended, &consumer, 0, Vec::new())
        .dispositions;
    assert_eq!(delivered, 60, "every good event is delivered");
    assert!(
        requests - 1 <= 15,
        "{requests} Nudge requests: at most 15 extra"
    );
    let dead: Vec<&String> = dispositions.iter().flat_map(|d| &d.dead_letters).collect();
    assert_eq!(dead.len(), 1, "one dead letter: the poison event's");
    assert!(dispositions.iter().all(|d| d.then == Settle::Ack));

    // Its record replays the poison event alone, with Nudge's reason.
    let record = DeadLetter::from_dead_letter_queue("dlq", dead[0], 0, MAX_RETRIES);
    assert_eq!(
        record.reason,
        "Nudge refused the request (400): bad event: poison"
    );
    let replayed = record.replay().unwrap();
    let again = consumed(&[replayed], &config);
    assert_eq!(again.len(), 1);
    assert!(again[0].2.contains("\"name\":\"poison\""));
    assert_eq!(
        serde_json::from_str::<Value>(&again[0].2)
            .unwrap()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn direct_mode_sixty_good_and_one_poison_event_in_one_request() {
    let (config, events) = sixty_and_a_poison();
    let p = planned(&config, &Value::Array(events));
    let endpoints = Endpoints::new(&config.settings);
    let mut requests = 0;
    let ended = run_with(
        Dispatch::new(
            batching::group(&p.payloads),
            50,
            Some(RetryPolicy::default()),
            5_000,
            0,
        ),
        |part| {
            requests += 1;
            poison_aware(
                &endpoints
                    .request(&p.payloads, part.destination, &part.members)
                    .body,
            )
        },
    );
    let settlement = direct::settle(p.results, &p.payloads, &ended, 50, &[]);
    assert_eq!(settlement.status, 400);
    let failed: Vec<usize> = settlement
        .results
        .iter()
        .filter(|r| r.status == Status::Failed)
        .map(|r| r.index)
        .collect();
    assert_eq!(failed, [42]);
    assert_eq!(
        settlement
            .results
            .iter()
            .filter(|r| r.status == Status::Sent)
            .count(),
        60
    );
    assert!(requests - 1 <= 15, "{requests}");
}

#[test]
fn the_defaults_keep_trying_for_four_hours() {
    let s = Schedule::default();
    assert_eq!(max_retries(&s, 4 * 3600, 3), MAX_RETRIES);
    assert!(s.window_s(MAX_RETRIES - 3) >= 4 * 3600);
}

proptest! {
    #[test]
    fn no_message_text_panics(text in any::<String>(), v in 0u64..4) {
        let _ = QueueMessage::decode(&text);
        let _ = QueueMessage::decode(&format!(r#"{{"v":{v},"deliver":{text:?}}}"#));
        let record = DeadLetter::from_dead_letter_queue("id", &text, i64::MAX, MAX_RETRIES);
        let _ = record.replay();
        prop_assert!(serde_json::to_string(&record.summary()).unwrap().len() <= 1024);
        let texts = [text];
        let incoming = incoming(&texts);
        let batch = consume::read(&incoming);
        let consumer = Consumer { schedule: Schedule::default(), max_retries: MAX_RETRIES, subrequest_budget: 50, attempt_timeout_ms: 1 };
        let ended = run_with(batch.dispatch(&incoming, &[], &consumer, 0), |_| Outcome::NoAnswer("x".into()));
        prop_assert_eq!(batch.settle(&incoming, &[], &ended, &consumer, 0, Vec::new()).dispositions.len(), 1);
    }

    #[test]
    fn no_admin_input_panics(body in proptest::collection::vec(any::<u8>(), 0..64), url in any::<String>()) {
        let _ = replay_selection(&body);
        let (limit, _) = list_query(&url);
        prop_assert!((1..=100).contains(&limit));
    }

    /// Whatever Nudge answers and however small the budget, every payload ends in exactly one
    /// part, no more subrequests are taken than the budget, and delivered parts hold no refused
    /// payload.
    #[test]
    fn dispatch_accounts_for_every_payload(sizes in proptest::collection::vec(1usize..40, 1..8),
                                           refused in proptest::collection::vec(any::<bool>(), 300),
                                           statuses in proptest::collection::vec(prop_oneof![Just(400u16), Just(401), Just(422), Just(429), Just(503)], 1..20),
                                           budget in 0u32..80, direct in any::<bool>()) {
        let mut next = 0;
        let groups: Vec<Group> = sizes.iter().map(|&n| {
            let members = (next..next + n).collect();
            next += n;
            Group { destination: 0, members }
        }).collect();
        let payloads = next;
        let mut calls = 0usize;
        let policy = direct.then(RetryPolicy::default);
        let ended = run_with(Dispatch::new(groups, budget, policy, 5_000, 0), |part| {
            calls += 1;
            let status = if part.members.iter().any(|&m| refused[m % refused.len()]) {
                statuses[calls % statuses.len()]
            } else {
                200
            };
            Outcome::Answered { status, retry_after: None, detail: String::new() }
        });
        prop_assert!(calls <= budget as usize);
        let mut seen = vec![0u32; payloads];
        for part in &ended {
            for &m in &part.members {
                seen[m] += 1;
            }
            if let Fate::Delivered { .. } = part.fate {
                prop_assert!(part.members.iter().all(|&m| !refused[m % refused.len()]));
            }
        }
        prop_assert!(seen.iter().all(|&n| n == 1), "{:?}", seen);
    }
}
