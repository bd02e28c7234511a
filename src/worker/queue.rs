//! Queue mode in the Worker: the producer (a request's payloads into the deliveries queue) and
//! the `queue` handler, which consumes both queues — deliveries (as the core's consumer,
//! [`crate::queue::consume`], decides) and dead letters (into the KV store). Every decision is
//! the core's; this module moves messages.
//!
//! The handler is exported by hand rather than with `#[event(queue)]`: workers-rs 0.8 does
//! not expose a message's `attempts`, which the back-off and the dead letters need. It is
//! the same export the macro makes (`queue(batch, env, ctx)`, which worker-build's shim calls),
//! and it never fails: every message is acknowledged or retried.

use super::deployment::{Deployment, DEAD_LETTER_STORE, DELIVERIES};
use super::reply::Reply;
use super::{forward, ledger};
use crate::batching::Endpoints;
use crate::delivery::backoff::MAX_RETRIES;
use crate::delivery::dispatch::Fate;
use crate::delivery::settings::MAX_IN_FLIGHT;
use crate::event::Event;
use crate::ingest::answer;
use crate::ledger::claims;
use crate::ledger::dedupe::{tally_only, Dedupe, Verdict};
use crate::ledger::tally::Tally;
use crate::plan::Planned;
use crate::queue::consume::{self, Consumer, Incoming, Settle};
use crate::queue::dead_letter::DeadLetter;
use crate::queue::enqueue::{self, send_batches, Enqueued};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use worker::{
    console_log, js_sys, worker_sys, Date, Env, QueueContentType, RawMessageBuilder, SendMessage,
};

/// The dead-letter queue's producer binding.
const DEAD_LETTERS: &str = "DEAD_LETTERS";
fn now_ms() -> i64 {
    Date::now().as_millis() as i64
}

/// Sends message texts to a queue binding in `sendBatch` calls within the queue's limits;
/// what became of each.
pub(super) async fn send_all(env: &Env, binding: &str, texts: &[&str]) -> Vec<Enqueued> {
    let delayed: Vec<(&str, u32)> = texts.iter().map(|t| (*t, 0)).collect();
    send_delayed(env, binding, &delayed).await
}

/// [`send_all`] for texts each delivered after its delay in seconds.
async fn send_delayed(env: &Env, binding: &str, texts: &[(&str, u32)]) -> Vec<Enqueued> {
    if texts.is_empty() {
        return Vec::new();
    }
    let queue = match env.queue(binding) {
        Ok(queue) => queue,
        Err(e) => return vec![Enqueued::Failed(format!("queue {binding}: {e}")); texts.len()],
    };
    let sizes: Vec<usize> = texts.iter().map(|(t, _)| t.len()).collect();
    let mut outcomes: Vec<Enqueued> = sizes.iter().map(|&n| Enqueued::TooLarge(n)).collect();
    for call in send_batches(&sizes) {
        let messages: Vec<SendMessage<JsValue>> = call
            .iter()
            .map(|&i| {
                let (text, delay_s) = texts[i];
                let mut message = RawMessageBuilder::new(JsValue::from_str(text));
                if delay_s > 0 {
                    message = message.delay_seconds(delay_s);
                }
                message.build_with_content_type(QueueContentType::Text)
            })
            .collect();
        let outcome = match queue.send_raw_batch(messages).await {
            Ok(()) => Enqueued::Queued,
            Err(e) => Enqueued::Failed(e.to_string()),
        };
        for i in call {
            outcomes[i] = outcome.clone();
        }
    }
    outcomes
}

/// Queue mode's answer to a Worker request: enqueues the planned payloads (several per
/// message, with their events' `messageId`s), tells the sender what the queue took, and adds
/// the request's counts to the ledger (the consumer claims and settles the payloads).
pub(super) async fn enqueue(
    env: &Env,
    d: &Deployment,
    planned: Planned,
    ids: &[Option<String>],
    events: &[Event<'_>],
    received_at: i64,
) -> Reply {
    let (outgoing, too_large) = enqueue::messages(&planned.payloads, ids, now_ms());
    let texts: Vec<&str> = outgoing.iter().map(|m| m.text.as_str()).collect();
    let outcomes = send_all(env, DELIVERIES, &texts).await;
    let settlement = enqueue::settle(
        planned.results,
        &planned.payloads,
        &outgoing,
        &outcomes,
        &too_large,
    );
    let answer = answer::queued(&settlement, events.len());
    let mut tally = Tally::new(received_at, d.secrets.to_vec());
    tally.results(events, &settlement.results);
    let hint = ids.iter().flatten().next().map(|id| claims::key(id, "", 0));
    let counted = ledger::call_all(
        env,
        &tally_only(
            tally,
            hint.as_deref(),
            d.delivery.ledger_shards,
            received_at,
        ),
    )
    .await;
    let problems: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Enqueued::Failed(why) => Some(why.clone()),
            Enqueued::TooLarge(n) => Some(format!("message of {n} bytes")),
            Enqueued::Queued => None,
        })
        .take(5)
        .collect();
    let log = json!({
        "counts": answer.body["counts"],
        "messages": outcomes.iter().filter(|o| **o == Enqueued::Queued).count(),
        "enqueue_problems": problems,
        "ledger_failed": counted.iter().filter(|r| r.is_none()).count(),
        "ledger_rows_written": counted.iter().flatten().map(|r| r.rows_written).sum::<u64>(),
    });
    Reply::from(answer).logging(log)
}

/// One message of a batch the queue handed over.
struct Received {
    raw: worker_sys::Message,
    id: String,
    /// Deliveries to a consumer, this one included.
    attempts: u32,
    text: String,
}

impl Received {
    fn from_js(value: JsValue) -> Received {
        let raw: worker_sys::Message = value.unchecked_into();
        let attempts = js_sys::Reflect::get(&raw, &JsValue::from_str("attempts"))
            .ok()
            .and_then(|a| a.as_f64())
            .map_or(1, |a| a.clamp(1.0, f64::from(u32::MAX)) as u32);
        let body = raw.body().unwrap_or(JsValue::UNDEFINED);
        // Text messages (as this Worker sends them), or JSON ones sent from elsewhere.
        let text = body.as_string().unwrap_or_else(|| {
            js_sys::JSON::stringify(&body)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default()
        });
        Received {
            id: raw.id().map(String::from).unwrap_or_default(),
            raw,
            attempts,
            text,
        }
    }

    fn ack(&self) {
        let _ = self.raw.ack();
    }

    fn retry(&self, delay_s: u32) {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(
            &options,
            &JsValue::from_str("delaySeconds"),
            &JsValue::from(delay_s),
        );
        let _ = self.raw.retry(options.into());
    }
}

/// The consumer of both queues (see the module's documentation).
#[wasm_bindgen(wasm_bindgen_futures = worker::wasm_bindgen_futures)]
pub async fn queue(
    batch: worker_sys::MessageBatch,
    env: Env,
    _ctx: worker_sys::Context,
) -> Result<JsValue, JsValue> {
    let started = Date::now().as_millis();
    let name = batch.queue().map(String::from).unwrap_or_default();
    let received: Vec<Received> = batch
        .messages()
        .map(|all| all.iter().map(Received::from_js).collect())
        .unwrap_or_default();
    let deployment = Deployment::from_env(&env);
    let mut fields = if name == deployment.delivery.dead_letter_queue {
        store_dead_letters(&env, &deployment, &received).await
    } else {
        deliver(&env, &deployment, &received).await
    };
    fields["msg"] = json!("nudge-edge queue batch");
    fields["queue"] = json!(name);
    fields["messages"] = json!(received.len());
    fields["duration_ms"] = json!(Date::now().as_millis().saturating_sub(started));
    console_log!("{fields}");
    Ok(JsValue::UNDEFINED)
}

/// Delivers a batch from the deliveries queue as the core's consumer decides: sends what its
/// dispatch chooses, then the dead letters and the carried-on messages each disposition asks
/// for, then acknowledges or retries each message.
async fn deliver(env: &Env, d: &Deployment, received: &[Received]) -> Value {
    let incoming: Vec<Incoming<'_>> = received
        .iter()
        .map(|r| Incoming {
            id: &r.id,
            attempts: r.attempts,
            text: &r.text,
        })
        .collect();
    let batch = consume::read(&incoming);
    let now = now_ms();
    let dedupe = Dedupe::new(&batch.payloads, batch.ids(), d.delivery.ledger_shards);
    let claims = dedupe.claims(now);
    let claimed = ledger::call_all(env, &claims).await;
    let verdicts = dedupe.verdicts(&claims, &claimed);
    // The ledger's calls (these claims, and as many settlements) share the budget with Nudge.
    let consumer = Consumer {
        schedule: d.delivery.schedule,
        max_retries: MAX_RETRIES,
        subrequest_budget: d.delivery.nudge_budget(claims.len()),
        attempt_timeout_ms: d.delivery.policy.attempt_timeout_ms,
    };
    let (ended, subrequests) = match d.nudge_config() {
        Ok(config) => {
            let dispatch = batch.dispatch(&incoming, &verdicts, &consumer, Date::now().as_millis());
            let endpoints = Endpoints::new(&config.settings);
            forward::run(dispatch, &batch.payloads, &endpoints).await
        }
        Err(errors) => (
            batch.unsendable(&format!("the destination is misconfigured: {errors}")),
            0,
        ),
    };
    let now = now_ms();
    let settlement = batch.settle(
        &incoming,
        &verdicts,
        &ended,
        &consumer,
        now,
        d.secrets.to_vec(),
    );
    let ledger_outcomes = &settlement.ledger;
    let settled = ledger::call_all(
        env,
        &dedupe.settlements(now, |p| ledger_outcomes[p], settlement.tally),
    )
    .await;
    let dispositions = settlement.dispositions;

    // Dead letters and carried-on messages are sent first; a message is acknowledged only
    // once everything its disposition asks for is in a queue.
    let dead: Vec<(usize, &str)> = dispositions
        .iter()
        .enumerate()
        .flat_map(|(m, d)| d.dead_letters.iter().map(move |t| (m, t.as_str())))
        .collect();
    let carried: Vec<(usize, &str, u32)> = dispositions
        .iter()
        .enumerate()
        .flat_map(|(m, d)| {
            d.carry_on
                .iter()
                .map(move |(t, delay)| (m, t.as_str(), *delay))
        })
        .collect();
    let dead_sent = send_all(
        env,
        DEAD_LETTERS,
        &dead.iter().map(|(_, t)| *t).collect::<Vec<_>>(),
    )
    .await;
    let carried_sent = send_delayed(
        env,
        DELIVERIES,
        &carried.iter().map(|(_, t, d)| (*t, *d)).collect::<Vec<_>>(),
    )
    .await;
    let mut all_sent = vec![true; received.len()];
    for ((m, _), outcome) in dead.iter().zip(&dead_sent) {
        all_sent[*m] &= *outcome == Enqueued::Queued;
    }
    for ((m, _, _), outcome) in carried.iter().zip(&carried_sent) {
        all_sent[*m] &= *outcome == Enqueued::Queued;
    }
    let (mut acked, mut retried) = (0, 0);
    for ((r, disposition), sent) in received.iter().zip(&dispositions).zip(all_sent) {
        match disposition.decide(sent) {
            Settle::Ack => {
                acked += 1;
                r.ack();
            }
            Settle::Retry { delay_s } => {
                retried += 1;
                r.retry(delay_s);
            }
        }
    }
    let delivered = ended
        .iter()
        .filter(|e| matches!(e.fate, Fate::Delivered { .. }))
        .map(|e| e.members.len())
        .sum::<usize>();
    json!({
        "payloads": batch.payloads.items.len(),
        "delivered": delivered,
        "subrequests": subrequests,
        "acked": acked,
        "retried": retried,
        "dead_lettered": dead.len(),
        "carried_on": carried.len(),
        "duplicates": verdicts.iter().filter(|v| **v == Verdict::Duplicate).count(),
        "ledger_calls": claims.len() + settled.len(),
        "ledger_failed": claimed.iter().chain(&settled).filter(|r| r.is_none()).count(),
        "ledger_rows_written": claimed.iter().chain(&settled).flatten().map(|r| r.rows_written).sum::<u64>(),
        "problems": ended.iter().filter_map(|e| match &e.fate {
            Fate::Refused { status, detail, .. } => Some(json!({"payloads": e.members.len(), "status": status, "detail": detail})),
            Fate::Unavailable { status, detail, .. } => Some(json!({"payloads": e.members.len(), "status": status, "error": detail})),
            _ => None,
        }).take(5).collect::<Vec<_>>(),
    })
}

/// Stores a batch from the dead-letter queue, one record per message; a message is
/// acknowledged once its record is stored.
async fn store_dead_letters(env: &Env, d: &Deployment, received: &[Received]) -> Value {
    let store = match env.kv(DEAD_LETTER_STORE) {
        Ok(store) => store,
        Err(e) => {
            for r in received {
                r.retry(d.delivery.schedule.delay_s(r.attempts, None));
            }
            return json!({"stored": 0, "error": format!("no {DEAD_LETTER_STORE} KV binding: {e}")});
        }
    };
    let now = now_ms();
    let stored: Vec<Result<(), String>> = stream::iter(received.iter().map(|r| {
        let record = DeadLetter::from_dead_letter_queue(&r.id, &r.text, now, MAX_RETRIES);
        let store = &store;
        async move {
            let value = serde_json::to_string(&record).unwrap_or_default();
            let put = store
                .put(&record.id, value)
                .and_then(|p| p.metadata(record.summary()));
            match put {
                Ok(put) => put.execute().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        }
    }))
    .buffered(MAX_IN_FLIGHT)
    .collect()
    .await;
    let mut errors = Vec::new();
    for (r, result) in received.iter().zip(stored) {
        match result {
            Ok(()) => r.ack(),
            Err(e) => {
                errors.push(e);
                r.retry(d.delivery.schedule.delay_s(r.attempts, None));
            }
        }
    }
    json!({"stored": received.len() - errors.len(), "errors": errors})
}
