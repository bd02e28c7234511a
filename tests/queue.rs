//! Queue mode's core end to end, natively: what the producer enqueues, read back and grouped by
//! the consumer, makes the same Nudge requests as direct mode; and no message text, admin body
//! or query makes the core panic.

use nudge_edge::budget::split;
use nudge_edge::queue::admin::{list_query, replay_selection};
use nudge_edge::queue::backoff::{max_retries, Schedule, MAX_RETRIES};
use nudge_edge::queue::dead_letter::DeadLetter;
use nudge_edge::queue::enqueue::{messages, send_batches, MAX_BATCH_MESSAGES};
use nudge_edge::queue::group::group;
use nudge_edge::queue::message::QueueMessage;
use nudge_edge::{plan, Config};
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

fn events() -> Value {
    let track = |u: &str| json!({"type": "track", "userId": u, "event": "Order Completed", "timestamp": "2025-05-14T07:30:00+05:30", "properties": {"total": 1}});
    json!([
        track("a"), {"type": "identify", "userId": "b", "traits": {"email": "b@x.io"}}, track("c"),
        {"type": "page", "userId": "d", "name": "Home", "timestamp": "2025-05-14"}, track("e"),
        {"type": "track"}, track("f"), {"type": "page", "userId": "g", "name": "About", "timestamp": "2025-05-14"},
    ])
}

/// The consumer's requests for a batch of enqueued message texts: (method, url, body).
fn consumed(texts: &[String], config: &Config) -> Vec<(&'static str, String, Value)> {
    let batch: Vec<_> = texts
        .iter()
        .map(|t| match QueueMessage::decode(t) {
            Ok(QueueMessage::Deliver(p)) => Some(p),
            other => panic!("{other:?}"),
        })
        .collect();
    group(&batch)
        .iter()
        .map(|g| {
            let r = g.request(&batch, &config.settings);
            (r.method, r.url, r.body)
        })
        .collect()
}

#[test]
fn the_consumer_sends_what_direct_mode_sends() {
    let config = config();
    let p = plan(&events(), &config);
    let direct: Vec<_> = p
        .requests
        .iter()
        .map(|r| (r.method, r.url.clone(), r.body.clone()))
        .collect();
    let texts: Vec<String> = messages(&p, &config, 0)
        .into_iter()
        .map(|m| m.text)
        .collect();
    let mut queued = consumed(&texts, &config);
    let mut expected = direct.clone();
    let key = |r: &(&str, String, Value)| (r.1.clone(), r.2.to_string());
    queued.sort_by_key(key);
    expected.sort_by_key(key);
    assert_eq!(queued, expected);
    assert_eq!(
        direct.len(),
        5,
        "identify, two track batches (3 + 1), two pages"
    );
}

#[test]
fn single_event_requests_are_batched_across_requests() {
    let config = config();
    let one_by_one: Vec<String> = events()
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            let p = plan(e, &config);
            messages(&p, &config, 0).into_iter().map(|m| m.text)
        })
        .collect();
    let requests = consumed(&one_by_one, &config);
    let tracks: Vec<usize> = requests
        .iter()
        .filter(|r| r.1.ends_with("/events/batch") && r.2[0]["name"] == "order_completed")
        .map(|r| r.2.as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(
        tracks,
        [3, 1],
        "four track events from four requests: batch_size 3, then 1"
    );
}

#[test]
fn a_hundred_messages_fit_one_send_batch_call() {
    let config = config();
    let many: Vec<Value> = (0..250)
        .map(|i| json!({"type": "track", "userId": format!("u{i}"), "event": "E", "timestamp": "2025-05-14"}))
        .collect();
    let p = plan(&Value::Array(many), &config);
    let sizes: Vec<usize> = messages(&p, &config, 0)
        .iter()
        .map(|m| m.text.len())
        .collect();
    let calls = send_batches(&sizes);
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|c| c.len() <= MAX_BATCH_MESSAGES));
}

#[test]
fn the_defaults_keep_trying_for_four_hours() {
    let s = Schedule::default();
    assert_eq!(max_retries(&s, 4 * 3600, 3), MAX_RETRIES);
    assert!(s.window_s(MAX_RETRIES - 3) >= 4 * 3600);
}

proptest! {
    #[test]
    fn no_message_text_panics(text in any::<String>(), v in 0u64..3) {
        let _ = QueueMessage::decode(&text);
        let _ = QueueMessage::decode(&format!(r#"{{"v":{v},"deliver":{text:?}}}"#));
        let record = DeadLetter::from_dead_letter_queue("id", &text, i64::MAX, MAX_RETRIES);
        let _ = record.replay();
        prop_assert!(serde_json::to_string(&record.summary()).unwrap().len() <= 1024);
    }

    #[test]
    fn no_admin_input_panics(body in proptest::collection::vec(any::<u8>(), 0..64), url in any::<String>()) {
        let _ = replay_selection(&body);
        let (limit, _) = list_query(&url);
        prop_assert!((1..=100).contains(&limit));
    }

    #[test]
    fn schedules_and_splits_stay_in_bounds(base in any::<u64>(), max in any::<u64>(), attempts in any::<u32>(),
                                           after in proptest::option::of(any::<u64>()),
                                           urgency in proptest::collection::vec(any::<u32>(), 0..40), budget in 0u32..60) {
        let s = Schedule::new(base, max);
        prop_assert!(s.delay_s(attempts, after) <= 43_200);
        prop_assert!(max_retries(&s, 4 * 3600, 3) <= 100);
        let out = split(&urgency, budget);
        prop_assert_eq!(out.send.len(), urgency.len().min(budget as usize));
        prop_assert_eq!(out.send.len() + out.wait.len(), urgency.len());
    }
}
