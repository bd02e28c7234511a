//! The producer's side of queue mode: a request's planned payloads become messages, several
//! payloads of one destination per message (so that a 100-event batch is one message, not
//! 100: Cloudflare bills each message's write, read and delete), the messages are cut into
//! `sendBatch` calls within the queue's limits, and what the queue took is settled per event
//! (`queued`, or `failed` with why).
//!
//! Cloudflare Queues' limits (developers.cloudflare.com/queues/platform/limits, where
//! 1 KB = 1,000 bytes): a message up to 128 KB, including about 100 bytes of the queue's own
//! metadata; a `sendBatch` call up to 100 messages and 256 KB in all.

use crate::batching::Payloads;
use crate::delivery::report::{result_positions, sender_status, Settlement};
use crate::fields::{FieldError, FieldErrorCode};
use crate::plan::{EventResult, Status};
use crate::queue::message::Pending;

/// Room counted for the queue's metadata on each message (twice what Cloudflare states).
pub const MESSAGE_OVERHEAD_BYTES: usize = 200;
/// Largest message text enqueued. A dead letter carries its message plus a reason of at most
/// [`REASON_BYTES`], so that it too stays within the 128 KB limit.
pub const MAX_MESSAGE_BYTES: usize = 128_000 - MESSAGE_OVERHEAD_BYTES - 2 * REASON_BYTES;
/// Longest reason kept in a dead letter.
pub const REASON_BYTES: usize = 1_000;
/// Most payloads in one message: a consumer batch (100 messages) then holds at most 10,000.
pub const MAX_MESSAGE_PAYLOADS: usize = 100;
/// Most messages in one `sendBatch` call.
pub const MAX_BATCH_MESSAGES: usize = 100;
/// Most bytes in one `sendBatch` call, metadata room included.
pub const MAX_BATCH_BYTES: usize = 256_000;

/// One message to enqueue, and the payloads it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Positions of its payloads in [`Payloads::items`].
    pub payloads: Vec<usize>,
    /// The message text.
    pub text: String,
}

/// The messages for a request's payloads (`ids`: each payload's `messageId`): per
/// destination, in payload order, as many payloads as fit in [`MAX_MESSAGE_BYTES`] (at most
/// [`MAX_MESSAGE_PAYLOADS`]); also the payloads too large for any message, with the size their
/// message would have had.
pub fn messages(
    payloads: &Payloads,
    ids: &[Option<String>],
    accepted_at: i64,
) -> (Vec<Outgoing>, Vec<(usize, usize)>) {
    let id = |i: usize| ids.get(i).and_then(Option::as_deref).unwrap_or("");
    let mut out = Vec::new();
    let mut too_large = Vec::new();
    for (d, destination) in payloads.destinations.iter().enumerate() {
        let empty = Pending::encode(destination, [], accepted_at, 0).len();
        let mut open: Vec<usize> = Vec::new();
        let mut size = empty;
        let close = |open: &mut Vec<usize>, out: &mut Vec<Outgoing>| {
            if !open.is_empty() {
                let members = std::mem::take(open);
                let text = Pending::encode(
                    destination,
                    members
                        .iter()
                        .map(|&m| (payloads.items[m].json.as_str(), id(m)))
                        .collect::<Vec<_>>(),
                    accepted_at,
                    0,
                );
                out.push(Outgoing {
                    payloads: members,
                    text,
                });
            }
        };
        for (i, p) in payloads.items.iter().enumerate() {
            if p.destination != d {
                continue;
            }
            // The payload, its id (escapes at most six times its length) and two commas.
            let adds = p.json.len() + 6 * id(i).len() + 4;
            if empty + adds > MAX_MESSAGE_BYTES {
                too_large.push((i, empty + adds));
                continue;
            }
            if size + adds > MAX_MESSAGE_BYTES || open.len() == MAX_MESSAGE_PAYLOADS {
                close(&mut open, &mut out);
                size = empty;
            }
            open.push(i);
            size += adds;
        }
        close(&mut open, &mut out);
    }
    (out, too_large)
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

/// The answer to the sender: `queued` where the queue took an event's payload, `failed` where
/// it did not; 503 when the queue failed (retry), 400 when events were invalid or too large,
/// otherwise 200.
pub fn settle(
    mut results: Vec<EventResult>,
    payloads: &Payloads,
    messages: &[Outgoing],
    enqueued: &[Enqueued],
    too_large: &[(usize, usize)],
) -> Settlement {
    let (mut unavailable, mut refused) = (false, false);
    let positions = result_positions(&results);
    let mut mark = |payload: usize, status: Status, error: Option<FieldError>| {
        let Some(p) = payloads.items.get(payload) else {
            return;
        };
        let position = payloads.destinations[p.destination].mapping_position;
        if let Some(r) = positions
            .get(&(p.event, position))
            .and_then(|&i| results.get_mut(i))
        {
            r.status = status;
            r.errors = error.into_iter().collect();
        }
    };
    for &(payload, bytes) in too_large {
        refused = true;
        mark(payload, Status::Failed, Some(FieldError {
            field: String::new(),
            code: FieldErrorCode::Event,
            message: format!("the event's Nudge payload makes a queue message of {bytes} bytes, over the {MAX_MESSAGE_BYTES} bytes one may hold"),
        }));
    }
    for (message, outcome) in messages.iter().zip(enqueued) {
        let (status, error) = match outcome {
            Enqueued::Queued => (Status::Queued, None),
            Enqueued::TooLarge(bytes) => {
                refused = true;
                (Status::Failed, Some(FieldError {
                    field: String::new(),
                    code: FieldErrorCode::Event,
                    message: format!("the queue message is {bytes} bytes, over the {MAX_MESSAGE_BYTES} bytes one may hold"),
                }))
            }
            Enqueued::Failed(why) => {
                unavailable = true;
                (
                    Status::Failed,
                    Some(FieldError {
                        field: String::new(),
                        code: FieldErrorCode::Unavailable,
                        message: format!(
                            "the delivery queue did not take the event ({why}); retry the request"
                        ),
                    }),
                )
            }
        };
        for &payload in &message.payloads {
            mark(payload, status, error.clone());
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
    use crate::config::Config;
    use crate::event;
    use crate::plan::{Planned, Planner};
    use crate::queue::message::QueueMessage;
    use serde_json::{json, Value};

    fn config() -> Config {
        Config::from_json(&json!({"settings": {"apikey": "secret-key"}, "mappings": [
            {"action": "identifyUser"},
            {"action": "trackEvent", "enable_batching": true, "batch_size": 50},
        ]}))
        .unwrap()
    }

    fn planned(events: &Value) -> Planned {
        let text = event::to_text(events);
        Planner::new(config()).payloads(&event::events_in(&text).unwrap())
    }

    fn events() -> Value {
        json!([
            {"type": "track", "userId": "a", "event": "e", "timestamp": "2025-05-14T07:30:00Z"},
            {"type": "identify", "userId": "b"},
            {"type": "track", "event": "no user"},
            {"type": "track", "userId": "c", "event": "e", "timestamp": "2025-05-14T07:30:00Z"},
        ])
    }

    fn decoded(text: &str) -> Pending {
        match QueueMessage::decode(text).unwrap() {
            QueueMessage::Deliver(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_message_per_destination_and_never_the_key() {
        let p = planned(&events());
        let (out, too_large) = messages(&p.payloads, &[], 7);
        assert!(too_large.is_empty());
        assert_eq!(out.len(), 2, "identify, then the two tracks together");
        let identify = decoded(&out[0].text);
        assert_eq!(identify.destination.batch_size, None);
        assert_eq!(identify.payloads.len(), 1);
        let track = decoded(&out[1].text);
        assert_eq!(track.destination.batch_size, Some(50));
        assert_eq!(track.payloads.len(), 2);
        assert_eq!(track.payloads[1].to_value()["ext_id"], "c");
        assert_eq!(track.accepted_at, 7);
        assert!(out.iter().all(|m| !m.text.contains("secret-key")));
    }

    #[test]
    fn a_100_event_batch_is_one_message_and_large_ones_are_cut_by_size() {
        let track = |n: usize, pad: usize| json!({"type": "track", "userId": "u", "event": "e", "timestamp": "2025-05-14", "properties": {"n": n, "pad": "x".repeat(pad)}});
        let hundred = planned(&Value::Array((0..100).map(|n| track(n, 10)).collect()));
        assert_eq!(messages(&hundred.payloads, &[], 0).0.len(), 1);
        let big = planned(&Value::Array((0..40).map(|n| track(n, 10_000)).collect()));
        let (out, _) = messages(&big.payloads, &[], 0);
        assert_eq!(out.len(), 4, "12 payloads of 10 KB fit in 118 KB");
        assert!(out.iter().all(|m| m.text.len() <= MAX_MESSAGE_BYTES));
        let all: Vec<usize> = out.iter().flat_map(|m| m.payloads.clone()).collect();
        assert_eq!(all, (0..40).collect::<Vec<_>>(), "in order, each once");
        let many = planned(&Value::Array((0..250).map(|n| track(n, 0)).collect()));
        let sizes: Vec<usize> = messages(&many.payloads, &[], 0)
            .0
            .iter()
            .map(|m| m.payloads.len())
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
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
        let p = planned(&events());
        let (out, too_large) = messages(&p.payloads, &[], 0);
        let s = settle(
            p.results.clone(),
            &p.payloads,
            &out,
            &[Enqueued::Queued, Enqueued::Queued],
            &too_large,
        );
        assert_eq!(s.status, 400, "event 2 is invalid");
        assert_eq!(s.results[0].status, Status::Queued);
        assert_eq!(
            s.results
                .iter()
                .filter(|r| r.status == Status::Sent)
                .count(),
            0,
            "nothing is said to be sent before Nudge took it"
        );

        let down = settle(
            p.results.clone(),
            &p.payloads,
            &out,
            &[
                Enqueued::Queued,
                Enqueued::Failed("Too Many Requests".into()),
            ],
            &too_large,
        );
        assert_eq!(down.status, 503);
        assert_eq!(down.results[0].status, Status::Failed);
        assert_eq!(down.results[0].errors[0].code, FieldErrorCode::Unavailable);
        assert_eq!(down.results[1].status, Status::Queued);
        assert_eq!(down.results[3].status, Status::Failed);
    }

    #[test]
    fn a_payload_too_large_for_a_message_fails_alone() {
        let big = json!({"type": "track", "userId": "u", "event": "e", "timestamp": "2025-05-14", "properties": {"pad": "x".repeat(130_000)}});
        let small =
            json!({"type": "track", "userId": "u", "event": "e", "timestamp": "2025-05-14"});
        let p = planned(&json!([small, big]));
        let (out, too_large) = messages(&p.payloads, &[], 0);
        assert_eq!(out.len(), 1);
        assert_eq!(too_large.len(), 1);
        let s = settle(
            p.results,
            &p.payloads,
            &out,
            &[Enqueued::Queued],
            &too_large,
        );
        assert_eq!(s.status, 400);
        assert_eq!(s.results[0].status, Status::Queued);
        assert_eq!(s.results[1].status, Status::Failed);
        assert!(s.results[1].errors[0].message.contains("bytes"));
    }
}
