//! The producer's side of queue mode: a plan becomes one message per valid (event, mapping)
//! payload, the messages are cut into `sendBatch` calls within the queue's limits, and what
//! the queue took is settled per event (the answer itself is `ingest::answer::queued`).
//!
//! Cloudflare Queues' limits (developers.cloudflare.com/queues/platform/limits, where
//! 1 KB = 1,000 bytes): a message up to 128 KB, including about 100 bytes of the queue's own
//! metadata; a `sendBatch` call up to 100 messages and 256 KB in all.

use crate::config::Config;
use crate::delivery::{sender_status, Settlement};
use crate::fields::{ErrorCode, FieldError};
use crate::json::read;
use crate::plan::{Plan, Status};
use crate::queue::message::{Pending, QueueMessage};
use serde_json::value::RawValue;

/// Room counted for the queue's metadata on each message (twice what Cloudflare states).
pub const MESSAGE_OVERHEAD_BYTES: usize = 200;
/// Largest message text enqueued. A dead letter carries its message plus a reason of at most
/// [`REASON_BYTES`], so that it too stays within the 128 KB limit.
pub const MAX_MESSAGE_BYTES: usize = 128_000 - MESSAGE_OVERHEAD_BYTES - 2 * REASON_BYTES;
/// Longest reason kept in a dead letter.
pub const REASON_BYTES: usize = 1_000;
/// Most messages in one `sendBatch` call.
pub const MAX_BATCH_MESSAGES: usize = 100;
/// Most bytes in one `sendBatch` call, metadata room included.
pub const MAX_BATCH_BYTES: usize = 256_000;

/// One message to enqueue, and the result it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The event's position in the request.
    pub event: usize,
    /// The mapping's position in the configuration.
    pub mapping_position: usize,
    /// The message text.
    pub text: String,
}

/// One message per valid payload in the plan (made with `config`), in plan order.
pub fn messages(plan: &Plan, config: &Config, accepted_at: i64) -> Vec<Outgoing> {
    let mut out = Vec::new();
    for request in &plan.requests {
        // The planner wrote the body: it is JSON, an array of payloads or one payload.
        let Ok(body) = serde_json::from_str::<&RawValue>(&request.body) else {
            continue;
        };
        let payloads: Vec<&RawValue> = read::items(body).unwrap_or_else(|| vec![body]);
        let batch_size = config
            .mappings
            .get(request.mapping_position)
            .and_then(|m| m.batch_size);
        // A request's body holds one payload per event it carries, in the same order.
        for (&event, payload) in request.events.iter().zip(payloads) {
            let message = QueueMessage::Deliver(Pending {
                action: request.action,
                mapping: request.mapping.clone(),
                mapping_position: request.mapping_position,
                batch_size,
                payload: payload.to_owned().into(),
                accepted_at,
            });
            out.push(Outgoing {
                event,
                mapping_position: request.mapping_position,
                text: message.encode(),
            });
        }
    }
    out
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// The queue has it.
    Queued,
    /// Too large for a queue message: never deliverable this way.
    TooLarge(usize),
    /// The queue did not take it (the sender should retry).
    Failed(String),
}

/// Cuts messages of the given sizes into `sendBatch` calls within the limits, in order;
/// messages over [`MAX_MESSAGE_BYTES`] belong to no call.
pub fn send_batches(sizes: &[usize]) -> Vec<Vec<usize>> {
    let mut calls: Vec<Vec<usize>> = Vec::new();
    let mut bytes = 0;
    for (i, &size) in sizes.iter().enumerate() {
        if size > MAX_MESSAGE_BYTES {
            continue;
        }
        let size = size + MESSAGE_OVERHEAD_BYTES;
        match calls.last_mut() {
            Some(call) if call.len() < MAX_BATCH_MESSAGES && bytes + size <= MAX_BATCH_BYTES => {
                call.push(i);
                bytes += size;
            }
            _ => {
                calls.push(vec![i]);
                bytes = size;
            }
        }
    }
    calls
}

/// The answer to the sender: results with `failed` where the queue did not take an event's
/// payload; 503 when the queue failed (retry), 400 when events were invalid or too large,
/// otherwise 200.
pub fn settle(plan: Plan, messages: &[Outgoing], enqueued: &[Enqueued]) -> Settlement {
    let mut results = plan.results;
    let (mut unavailable, mut refused) = (false, false);
    for (message, outcome) in messages.iter().zip(enqueued) {
        let error = match outcome {
            Enqueued::Queued => continue,
            Enqueued::TooLarge(bytes) => {
                refused = true;
                FieldError {
                    field: String::new(),
                    code: ErrorCode::Event,
                    message: format!("the event's Nudge payload is {bytes} bytes, over the {MAX_MESSAGE_BYTES} bytes a queue message may hold"),
                }
            }
            Enqueued::Failed(why) => {
                unavailable = true;
                FieldError {
                    field: String::new(),
                    code: ErrorCode::Unavailable,
                    message: format!(
                        "the delivery queue did not take the event ({why}); retry the request"
                    ),
                }
            }
        };
        if let Some(r) = results.iter_mut().find(|r| {
            r.index == message.event && r.mapping_position == Some(message.mapping_position)
        }) {
            r.status = Status::Failed;
            r.errors = vec![error];
        }
    }
    Settlement {
        status: sender_status(&results, unavailable, false, refused),
        results,
        retry_after_secs: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;
    use serde_json::json;

    fn config() -> Config {
        Config::from_json(&json!({"settings": {"apikey": "secret-key"}, "mappings": [
            {"action": "identifyUser"},
            {"action": "trackEvent", "enable_batching": true, "batch_size": 50},
        ]}))
        .unwrap()
    }

    fn events() -> serde_json::Value {
        json!([
            {"type": "track", "userId": "a", "event": "e", "timestamp": "2025-05-14T07:30:00Z"},
            {"type": "identify", "userId": "b"},
            {"type": "track", "event": "no user"},
            {"type": "track", "userId": "c", "event": "e", "timestamp": "2025-05-14T07:30:00Z"},
        ])
    }

    #[test]
    fn one_message_per_valid_payload_and_never_the_key() {
        let c = config();
        let p = plan(&events(), &c);
        let out = messages(&p, &c, 7);
        let seen: Vec<(usize, usize)> = out.iter().map(|m| (m.event, m.mapping_position)).collect();
        assert_eq!(seen, [(1, 0), (0, 1), (3, 1)]);
        let decoded: Vec<Pending> = out
            .iter()
            .map(|m| match QueueMessage::decode(&m.text).unwrap() {
                QueueMessage::Deliver(p) => p,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(decoded[0].batch_size, None);
        assert_eq!(decoded[1].batch_size, Some(50));
        assert_eq!(decoded[2].payload.to_value()["ext_id"], "c");
        assert_eq!(decoded[2].accepted_at, 7);
        assert!(out.iter().all(|m| !m.text.contains("secret-key")));
    }

    #[test]
    fn send_batches_keep_to_the_queue_limits() {
        let small = vec![300; 250];
        let calls = send_batches(&small);
        assert_eq!(
            calls.iter().map(Vec::len).collect::<Vec<_>>(),
            [100, 100, 50]
        );
        let large = [
            60_000,
            60_000,
            60_000,
            60_000,
            60_000,
            MAX_MESSAGE_BYTES + 1,
            10,
        ];
        let calls = send_batches(&large);
        assert_eq!(calls, [vec![0, 1, 2, 3], vec![4, 6]]);
        for call in &calls {
            let bytes: usize = call
                .iter()
                .map(|&i| large[i] + MESSAGE_OVERHEAD_BYTES)
                .sum();
            assert!(bytes <= MAX_BATCH_BYTES);
        }
        assert!(send_batches(&[]).is_empty());
    }

    #[test]
    fn the_sender_learns_what_the_queue_took() {
        let c = config();
        let p = plan(&events(), &c);
        let out = messages(&p, &c, 0);
        let all = vec![Enqueued::Queued; 3];
        let s = settle(p.clone(), &out, &all);
        assert_eq!(s.status, 400, "event 2 is invalid");
        assert_eq!(s.results[0].status, Status::Sent);

        let down = settle(
            p.clone(),
            &out,
            &[
                Enqueued::Queued,
                Enqueued::Failed("Too Many Requests".into()),
                Enqueued::Queued,
            ],
        );
        assert_eq!(down.status, 503);
        assert_eq!(down.results[0].status, Status::Failed);
        assert_eq!(down.results[0].errors[0].code, ErrorCode::Unavailable);
        assert_eq!(down.results[1].status, Status::Sent);
        assert_eq!(down.results[3].status, Status::Sent);

        let big = settle(
            p,
            &out,
            &[
                Enqueued::TooLarge(200_000),
                Enqueued::Queued,
                Enqueued::Queued,
            ],
        );
        assert_eq!(big.status, 400);
        assert_eq!(big.results[1].status, Status::Failed);
        assert!(big.results[1].errors[0].message.contains("200000 bytes"));
    }
}
