//! The ledger end to end, natively: the Worker's decisions around it (claims, dispatch,
//! settlements, counts) run against in-memory shards, in both delivery modes.

use nudge_edge::batching::{self, Endpoints};
use nudge_edge::delivery::backoff::RetryPolicy;
use nudge_edge::delivery::backoff::{Schedule, MAX_RETRIES};
use nudge_edge::delivery::direct;
use nudge_edge::delivery::dispatch::{run_with, Dispatch};
use nudge_edge::delivery::nudge::Outcome;
use nudge_edge::event::{self, Event};
use nudge_edge::ingest::events::Envelope;
use nudge_edge::ingest::Route;
use nudge_edge::ledger::call::{apply, Call, MemoryStore, Reply};
use nudge_edge::ledger::dedupe::{message_ids, tally_only, Dedupe, Verdict};
use nudge_edge::ledger::overview::{answer, Query, ShardOverview};
use nudge_edge::ledger::tally::Tally;
use nudge_edge::plan::Status;
use nudge_edge::queue::consume::{self, Consumer, Incoming, Settle};
use nudge_edge::queue::enqueue::messages;
use nudge_edge::{Config, Planner};
use serde_json::{json, Value};

const SHARDS: u32 = 4;
const NOW: i64 = 1_747_207_800_000;

fn call(shards: &mut [MemoryStore], calls: &[(u32, Call)]) -> Vec<Option<Reply>> {
    calls
        .iter()
        .map(|(s, c)| Some(apply(&mut shards[*s as usize], c)))
        .collect()
}

/// A Nudge that counts the payloads it takes.
#[derive(Default)]
struct Nudge {
    taken: Vec<Value>,
}

impl Nudge {
    fn take(&mut self, body: &str) -> Outcome {
        let body: Value = serde_json::from_str(body).unwrap();
        match body {
            Value::Array(items) => self.taken.extend(items),
            one => self.taken.push(one),
        }
        Outcome::Answered {
            status: 200,
            retry_after: None,
            detail: String::new(),
        }
    }
}

/// One Worker request in direct mode, as `worker::deliver` runs it.
fn direct_request(
    shards: &mut [MemoryStore],
    nudge: &mut Nudge,
    planner: &Planner,
    body: &Value,
    now: i64,
) -> Vec<Status> {
    let text = body.to_string();
    let events = Envelope::parse(text.as_bytes(), Route::Batch)
        .unwrap()
        .into_identified_events(now, Some(&format!("r{now}")))
        .unwrap();
    let read: Vec<Event<'_>> = events.read();
    let planned = planner.payloads(&read);
    let ids = message_ids(&planned.payloads, &read);
    let dedupe = Dedupe::new(&planned.payloads, &ids, SHARDS);
    let claims = dedupe.claims(now);
    let verdicts = dedupe.verdicts(&claims, &call(shards, &claims));
    let endpoints = Endpoints::new(&planner.config().settings);
    let ended = run_with(
        Dispatch::new(
            batching::group_where(&planned.payloads, |p| verdicts[p] == Verdict::Send),
            50,
            Some(RetryPolicy::default()),
            5_000,
            0,
        ),
        |part| {
            nudge.take(
                &endpoints
                    .request(&planned.payloads, part.destination, &part.members)
                    .body,
            )
        },
    );
    let outcomes = direct::ledger_outcomes(planned.payloads.items.len(), &ended, &verdicts, now);
    let settlement = direct::settle(planned.results, &planned.payloads, &ended, 50, &verdicts);
    let mut tally = Tally::new(now, Vec::new());
    tally.results(&read, &settlement.results);
    call(shards, &dedupe.settlements(now, |p| outcomes[p], tally));
    settlement.results.iter().map(|r| r.status).collect()
}

fn overview(shards: &mut [MemoryStore], now: i64) -> Value {
    let query = Query::from_url("https://w/admin/overview?range=1h", now).unwrap();
    let calls: Vec<(u32, Call)> = (0..SHARDS)
        .map(|s| {
            (
                s,
                Call {
                    now_ms: now,
                    overview: Some(query.clone()),
                    ..Call::default()
                },
            )
        })
        .collect();
    let mut merged = ShardOverview::default();
    for reply in call(shards, &calls) {
        merged.merge(reply.unwrap().overview.unwrap());
    }
    answer(&query, &merged)
}

fn track(id: &str, n: u64) -> Value {
    json!({"type": "track", "messageId": id, "userId": "u", "event": "Order Completed", "timestamp": "2025-05-14T07:30:00Z", "properties": {"n": n}})
}

#[test]
fn direct_mode_three_sends_of_one_message_id_deliver_once() {
    let mut shards = vec![MemoryStore::default(); SHARDS as usize];
    let mut nudge = Nudge::default();
    let planner = Planner::new(Config::with_presets("k"));
    let body = json!({"batch": [track("m-1", 1), track("m-2", 2)]});
    assert_eq!(
        direct_request(&mut shards, &mut nudge, &planner, &body, NOW),
        [Status::Sent, Status::Sent]
    );
    for retry in 1..3 {
        assert_eq!(
            direct_request(&mut shards, &mut nudge, &planner, &body, NOW + retry * 1000),
            [Status::Duplicate, Status::Duplicate]
        );
    }
    assert_eq!(nudge.taken.len(), 2, "each messageId once");
    let v = overview(&mut shards, NOW + 3000);
    assert_eq!(v["steps"]["received"], 6);
    assert_eq!(v["steps"]["successful_delivery"], 2);
    assert_eq!(v["steps"]["duplicates_dropped"], 4);
    // Events without a messageId get one each time: they are not taken for copies.
    let anonymous = json!({"batch": [{"type": "track", "userId": "u", "event": "E", "timestamp": "2025-05-14T07:30:00Z"}]});
    direct_request(&mut shards, &mut nudge, &planner, &anonymous, NOW + 10);
    direct_request(&mut shards, &mut nudge, &planner, &anonymous, NOW + 11);
    assert_eq!(nudge.taken.len(), 4);
}

#[test]
fn queue_mode_redeliveries_and_sdk_retries_deliver_once() {
    let mut shards = vec![MemoryStore::default(); SHARDS as usize];
    let mut nudge = Nudge::default();
    let config = Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [
        {"action": "trackEvent", "enable_batching": true, "batch_size": 100}]}))
    .unwrap();
    let planner = Planner::new(config.clone());
    // The same track sent 3 times (an SDK's retries): three messages.
    let texts: Vec<String> = (0..3)
        .flat_map(|_| {
            let text = track("m-7", 7).to_string();
            let events = event::events_in(&text).unwrap();
            let planned = planner.payloads(&events);
            let ids = message_ids(&planned.payloads, &events);
            messages(&planned.payloads, &ids, NOW)
                .0
                .into_iter()
                .map(|m| m.text)
        })
        .collect();
    let consumer = Consumer {
        schedule: Schedule::default(),
        max_retries: MAX_RETRIES,
        subrequest_budget: 50,
        attempt_timeout_ms: 5_000,
    };
    let endpoints = Endpoints::new(&config.settings);
    // Two consumer batches: the first holds one copy, the second the other two (a redelivery).
    for (batch_texts, now) in [(&texts[..1], NOW), (&texts[1..], NOW + 5_000)] {
        let incoming: Vec<Incoming<'_>> = batch_texts
            .iter()
            .map(|text| Incoming {
                id: "q",
                attempts: 1,
                text,
            })
            .collect();
        let batch = consume::read(&incoming);
        let dedupe = Dedupe::new(&batch.payloads, batch.ids(), SHARDS);
        let claims = dedupe.claims(now);
        let verdicts = dedupe.verdicts(&claims, &call(&mut shards, &claims));
        let ended = run_with(batch.dispatch(&incoming, &verdicts, &consumer, 0), |part| {
            nudge.take(
                &endpoints
                    .request(&batch.payloads, part.destination, &part.members)
                    .body,
            )
        });
        let settlement = batch.settle(&incoming, &verdicts, &ended, &consumer, now, Vec::new());
        assert!(settlement
            .dispositions
            .iter()
            .all(|d| d.then == Settle::Ack));
        let ledger = settlement.ledger.clone();
        call(
            &mut shards,
            &dedupe.settlements(now, |p| ledger[p], settlement.tally),
        );
    }
    assert_eq!(nudge.taken.len(), 1, "one delivery for three copies");
    let v = overview(&mut shards, NOW + 6_000);
    assert_eq!(v["steps"]["successful_delivery"], 1);
    assert_eq!(v["steps"]["duplicates_dropped"], 2);
    // The front door's counts travel alone in queue mode.
    let mut tally = Tally::new(NOW, Vec::new());
    tally.refused(1, "event_too_large");
    call(&mut shards, &tally_only(tally, None, SHARDS, NOW));
    assert_eq!(
        overview(&mut shards, NOW + 6_000)["steps"]["failed_on_ingest"],
        1
    );
}

#[test]
fn a_copy_in_flight_is_put_off_never_dropped() {
    let mut shards = vec![MemoryStore::default(); SHARDS as usize];
    let planner = Planner::new(Config::with_presets("k"));
    let text = track("m-9", 9).to_string();
    let events = event::events_in(&text).unwrap();
    let planned = planner.payloads(&events);
    let ids = message_ids(&planned.payloads, &events);
    let first = Dedupe::new(&planned.payloads, &ids, SHARDS);
    let claims = first.claims(NOW);
    assert_eq!(
        first.verdicts(&claims, &call(&mut shards, &claims)),
        [Verdict::Send]
    );
    // The original is still in flight when the SDK's copy arrives.
    let copy = Dedupe::new(&planned.payloads, &ids, SHARDS);
    let claims = copy.claims(NOW + 2_000);
    let verdicts = copy.verdicts(&claims, &call(&mut shards, &claims));
    assert!(matches!(verdicts[0], Verdict::InFlight { .. }));
    let settlement = direct::settle(
        planned.results.clone(),
        &planned.payloads,
        &[],
        50,
        &verdicts,
    );
    assert_eq!(settlement.status, 503, "the sender retries the copy later");
    // The original fails: its claim is released, and the copy's retry sends it.
    call(
        &mut shards,
        &first.settlements(
            NOW + 4_000,
            |_| Some(nudge_edge::ledger::claims::Settle::Released),
            Tally::new(NOW, Vec::new()),
        ),
    );
    let claims = copy.claims(NOW + 5_000);
    assert_eq!(
        copy.verdicts(&claims, &call(&mut shards, &claims)),
        [Verdict::Send]
    );
}
