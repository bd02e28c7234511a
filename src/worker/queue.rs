//! Queue mode in the Worker: the producer (a plan's payloads into the deliveries queue) and
//! the `queue` handler, which consumes both queues — deliveries (grouped into Nudge requests
//! within the subrequest budget) and dead letters (into the KV store). Every decision is the
//! core's ([`crate::queue`]); this module moves messages.
//!
//! The handler is exported by hand rather than with `#[event(queue)]`: workers-rs 0.8 does
//! not expose a message's `attempts`, which the back-off and the dead letters need. It is
//! the same export the macro makes (`queue(batch, env, ctx)`, which worker-build's shim calls),
//! and it never fails: every message is acknowledged or retried.

use super::forward::{self, Attempt};
use super::{Deployment, Reply};
use crate::budget::{self, MAX_IN_FLIGHT};
use crate::config::Config;
use crate::delivery::retry_after_ms;
use crate::ingest::answer;
use crate::plan::{Plan, Request as PlannedRequest};
use crate::queue::backoff::MAX_RETRIES;
use crate::queue::dead_letter::DeadLetter;
use crate::queue::enqueue::{self, send_batches, Enqueued};
use crate::queue::group::group;
use crate::queue::message::{as_json, Abandoned, Pending, QueueMessage};
use crate::queue::settle::{dispose, Disposition, Outcome};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use worker::{
    console_log, js_sys, worker_sys, Date, Env, QueueContentType, RawMessageBuilder, SendMessage,
};

/// The deliveries queue's producer binding.
pub(super) const DELIVERIES: &str = "DELIVERIES";
/// The dead-letter queue's producer binding.
const DEAD_LETTERS: &str = "DEAD_LETTERS";
/// The KV namespace keeping dead letters.
pub(super) const DEAD_LETTER_STORE: &str = "DEAD_LETTER_STORE";
fn now_ms() -> i64 {
    Date::now().as_millis() as i64
}

/// Sends message texts to a queue binding in `sendBatch` calls within the queue's limits;
/// what became of each.
pub(super) async fn send_all(env: &Env, binding: &str, texts: &[&str]) -> Vec<Enqueued> {
    let queue = match env.queue(binding) {
        Ok(queue) => queue,
        Err(e) => return vec![Enqueued::Failed(format!("queue {binding}: {e}")); texts.len()],
    };
    let sizes: Vec<usize> = texts.iter().map(|t| t.len()).collect();
    let mut outcomes: Vec<Enqueued> = sizes.iter().map(|&n| Enqueued::TooLarge(n)).collect();
    for call in send_batches(&sizes) {
        let messages: Vec<SendMessage<JsValue>> = call
            .iter()
            .map(|&i| {
                RawMessageBuilder::new(JsValue::from_str(texts[i]))
                    .build_with_content_type(QueueContentType::Text)
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

/// Queue mode's answer to a Worker request: enqueues one message per valid payload and tells
/// the sender what the queue took.
pub(super) async fn enqueue(env: &Env, plan: Plan, config: &Config, events: usize) -> Reply {
    let outgoing = enqueue::messages(&plan, config, now_ms());
    let texts: Vec<&str> = outgoing.iter().map(|m| m.text.as_str()).collect();
    let outcomes = send_all(env, DELIVERIES, &texts).await;
    let settlement = enqueue::settle(plan, &outgoing, &outcomes);
    let answer = answer::queued(&settlement, events);
    let queued = outcomes.iter().filter(|o| **o == Enqueued::Queued).count();
    let problems: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Enqueued::Failed(why) => Some(why.clone()),
            Enqueued::TooLarge(n) => Some(format!("message of {n} bytes")),
            Enqueued::Queued => None,
        })
        .take(5)
        .collect();
    let log =
        json!({"counts": answer.body["counts"], "queued": queued, "enqueue_problems": problems});
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
    let mut fields = if name == deployment.dead_letter_queue {
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

/// One attempt at a request; the consumer retries through the queue, not here.
async fn try_once(planned: &PlannedRequest, timeout_ms: u64) -> Outcome {
    match forward::attempt(planned, timeout_ms).await {
        Attempt::Answered {
            status,
            retry_after,
            detail,
        } => Outcome::Answered {
            status,
            retry_after_ms: retry_after.and_then(|v| retry_after_ms(&v, now_ms())),
            detail,
        },
        Attempt::NoAnswer(reason) => Outcome::NoAnswer(reason),
    }
}

/// Delivers a batch from the deliveries queue: groups, sends within the budget, then acks,
/// retries or dead-letters each message.
async fn deliver(env: &Env, d: &Deployment, received: &[Received]) -> Value {
    let mut dispositions: Vec<Option<Disposition>> = vec![None; received.len()];
    let mut batch: Vec<Option<Pending>> = Vec::with_capacity(received.len());
    for (i, r) in received.iter().enumerate() {
        match QueueMessage::decode(&r.text) {
            Ok(QueueMessage::Deliver(pending)) => batch.push(Some(pending)),
            other => {
                let reason = match other {
                    Err(e) => e.to_string(),
                    Ok(_) => "a dead-letter note on the deliveries queue".to_string(),
                };
                dispositions[i] = Some(Disposition::DeadLetter {
                    reason,
                    status: None,
                });
                batch.push(None);
            }
        }
    }
    let groups = group(&batch);
    let urgency: Vec<u32> = groups
        .iter()
        .map(|g| {
            g.members
                .iter()
                .map(|&m| received[m].attempts)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let split = budget::split(&urgency, d.subrequest_budget);
    for &g in &split.wait {
        for &m in &groups[g].members {
            dispositions[m] = Some(Disposition::Retry { delay_s: 0 });
        }
    }
    let outcomes: Vec<(usize, Outcome)> = match d.nudge_config() {
        Ok(config) => {
            stream::iter(split.send.iter().map(|&g| {
                let request = groups[g].request(&batch, &config.settings);
                async move { (g, try_once(&request, d.policy.attempt_timeout_ms).await) }
            }))
            .buffered(MAX_IN_FLIGHT)
            .collect()
            .await
        }
        Err(errors) => {
            let why = format!("the destination is misconfigured: {errors}");
            split
                .send
                .iter()
                .map(|&g| (g, Outcome::NoAnswer(why.clone())))
                .collect()
        }
    };
    let subrequests = if d.nudge_config().is_ok() {
        outcomes.len()
    } else {
        0
    };
    let mut nudge = Vec::new();
    for (g, outcome) in &outcomes {
        for &m in &groups[*g].members {
            dispositions[m] = Some(dispose(
                outcome,
                received[m].attempts,
                &d.schedule,
                MAX_RETRIES,
            ));
        }
        nudge.push(match outcome {
            Outcome::Answered { status, .. } => {
                json!({"messages": groups[*g].members.len(), "status": status})
            }
            Outcome::NoAnswer(why) => json!({"messages": groups[*g].members.len(), "error": why}),
        });
    }

    // Dead letters go to the dead-letter queue first; a message is acknowledged only once its
    // dead letter is there.
    let now = now_ms();
    let notes: Vec<(usize, String)> = dispositions
        .iter()
        .enumerate()
        .filter_map(|(i, disposition)| match disposition {
            Some(Disposition::DeadLetter { reason, status }) => Some((i, reason.clone(), *status)),
            _ => None,
        })
        .map(|(i, reason, status)| {
            let note = QueueMessage::DeadLetter(Abandoned {
                message_id: received[i].id.clone(),
                reason,
                status,
                attempts: received[i].attempts,
                at: now,
                message: as_json(&received[i].text),
            });
            (i, note.encode())
        })
        .collect();
    let texts: Vec<&str> = notes.iter().map(|(_, t)| t.as_str()).collect();
    let sent = send_all(env, DEAD_LETTERS, &texts).await;
    for ((i, _), outcome) in notes.iter().zip(&sent) {
        if *outcome != Enqueued::Queued {
            dispositions[*i] = Some(Disposition::Retry {
                delay_s: d.schedule.delay_s(received[*i].attempts, None),
            });
        }
    }

    let (mut acked, mut retried, mut dead_lettered) = (0, 0, 0);
    for (r, disposition) in received.iter().zip(&dispositions) {
        match disposition {
            Some(Disposition::Ack) => {
                acked += 1;
                r.ack();
            }
            Some(Disposition::DeadLetter { .. }) => {
                dead_lettered += 1;
                r.ack();
            }
            Some(Disposition::Retry { delay_s }) => {
                retried += 1;
                r.retry(*delay_s);
            }
            // Every message has a disposition; retrying is the safe answer if one had not.
            None => {
                retried += 1;
                r.retry(0);
            }
        }
    }
    json!({
        "requests": groups.len(),
        "subrequests": subrequests,
        "deferred": split.wait.iter().map(|&g| groups[g].members.len()).sum::<usize>(),
        "acked": acked,
        "retried": retried,
        "dead_lettered": dead_lettered,
        "nudge": nudge,
    })
}

/// Stores a batch from the dead-letter queue, one record per message; a message is
/// acknowledged once its record is stored.
async fn store_dead_letters(env: &Env, d: &Deployment, received: &[Received]) -> Value {
    let store = match env.kv(DEAD_LETTER_STORE) {
        Ok(store) => store,
        Err(e) => {
            for r in received {
                r.retry(d.schedule.delay_s(r.attempts, None));
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
                r.retry(d.schedule.delay_s(r.attempts, None));
            }
        }
    }
    json!({"stored": received.len() - errors.len(), "errors": errors})
}
