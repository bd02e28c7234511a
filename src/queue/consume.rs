//! The deliveries consumer's decisions, without I/O: from a batch of queue messages and what
//! Nudge answered to a disposition for every message. The Worker's `queue` handler only reads
//! the messages, sends the requests [`Batch::dispatch`] chooses, sends the messages each
//! [`Disposition`] asks for, and acknowledges or retries.
//!
//! 1. [`read`]: each message's payloads, grouped into Nudge requests by the one batching rule
//!    ([`crate::batching::group`]) across the messages of the batch, the most urgent (most
//!    attempted) first, so that the subrequest budget goes to them.
//! 2. [`Batch::dispatch`]: one attempt per request (the queue retries), refused requests split
//!    until the refused payloads are alone ([`crate::delivery::dispatch`]).
//! 3. [`Batch::settle`]: per payload, delivered, dead-lettered (refused, or unavailable on its
//!    last attempt: with Nudge's reason), retried after the back-off ([`super::backoff`]), or
//!    deferred to another invocation (over the budget). A message whose payloads all wait the
//!    same time is retried whole; one that is only partly done is acknowledged once a new
//!    message carries on with the rest (and its attempts); one that cannot be read is
//!    dead-lettered as it is.

use super::message::{as_json, Abandoned, Pending, QueueMessage};
use crate::batching::{self, Destination, Group, Payload, Payloads};
use crate::delivery::backoff::{Schedule, LONGEST_DELAY_S};
use crate::delivery::dispatch::{Dispatch, Ended, Fate};
use crate::delivery::nudge::{refusal_reason, verdict, Verdict as NudgeVerdict, TIMEOUT_HOLD_MS};
use crate::ledger::claims::Settle as LedgerSettle;
use crate::ledger::dedupe::Verdict;
use crate::ledger::tally::{Label, Step, Tally};

/// One message of a batch the queue handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incoming<'a> {
    /// The queue's id of the message.
    pub id: &'a str,
    /// Deliveries of this message to a consumer, this one included (the queue counts from 1).
    pub attempts: u32,
    /// Its text.
    pub text: &'a str,
}

/// How the consumer works: from the deployment's delivery settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consumer {
    /// The back-off between deliveries.
    pub schedule: Schedule,
    /// Deliveries after which an unavailable Nudge dead-letters a payload.
    pub max_retries: u32,
    /// Nudge requests one invocation may make.
    pub subrequest_budget: u32,
    /// Longest wait for one answer.
    pub attempt_timeout_ms: u64,
}

/// What a message turned out to be.
#[derive(Debug, Clone, PartialEq)]
enum Read {
    /// Payloads to deliver; the first at this position in [`Batch::payloads`].
    Deliver { pending: Pending, first: usize },
    /// Not a delivery: why.
    Unreadable(String),
}

/// A batch read: its payloads, and where each came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    messages: Vec<Read>,
    /// Every payload of the deliveries in the batch; an event's index is its message's
    /// position in the batch.
    pub payloads: Payloads,
    /// For each payload, its message's position in the batch.
    message_of: Vec<usize>,
    /// For each payload, its event's `messageId`.
    ids: Vec<Option<String>>,
}

/// Reads a batch of messages.
pub fn read(incoming: &[Incoming<'_>]) -> Batch {
    let mut payloads = Payloads::default();
    let mut message_of = Vec::new();
    let mut ids = Vec::new();
    let messages = incoming
        .iter()
        .enumerate()
        .map(|(m, message)| match QueueMessage::decode(message.text) {
            Ok(QueueMessage::Deliver(pending)) => {
                let destination =
                    destination_index(&mut payloads.destinations, &pending.destination);
                let first = payloads.items.len();
                for (i, payload) in pending.payloads.iter().enumerate() {
                    payloads.items.push(Payload {
                        destination,
                        event: m,
                        json: payload.text().to_string(),
                    });
                    message_of.push(m);
                    ids.push(pending.id(i).map(str::to_string));
                }
                Read::Deliver { pending, first }
            }
            Ok(QueueMessage::DeadLetter(_)) => {
                Read::Unreadable("a dead-letter note on the deliveries queue".into())
            }
            Err(e) => Read::Unreadable(e.to_string()),
        })
        .collect();
    Batch {
        messages,
        payloads,
        message_of,
        ids,
    }
}

fn destination_index(destinations: &mut Vec<Destination>, d: &Destination) -> usize {
    match destinations.iter().position(|known| known == d) {
        Some(i) => i,
        None => {
            destinations.push(d.clone());
            destinations.len() - 1
        }
    }
}

/// What to do with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disposition {
    /// Dead letters to send to the dead-letter queue first (encoded messages).
    pub dead_letters: Vec<String>,
    /// Messages carrying on with the payloads still to deliver, each with its delay in
    /// seconds, to send to the deliveries queue first.
    pub carry_on: Vec<(String, u32)>,
    /// What to do with the message once every one of those is sent.
    pub then: Settle,
    /// Seconds before the message is retried whole when one of them could not be sent
    /// (nothing is lost; some payloads may reach Nudge twice).
    pub otherwise_retry_s: u32,
}

/// The end of a message's delivery in this invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Acknowledge it: the queue forgets it.
    Ack,
    /// Hand it back to the queue, to be delivered again after `delay_s` seconds.
    Retry {
        /// Seconds the queue keeps it back.
        delay_s: u32,
    },
}

impl Disposition {
    /// What to do with the message, given whether every dead letter and carried-on message
    /// was sent.
    pub fn decide(&self, all_sent: bool) -> Settle {
        if all_sent {
            self.then
        } else {
            Settle::Retry {
                delay_s: self.otherwise_retry_s,
            }
        }
    }
}

/// What the consumer decided for one payload.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PayloadEnd {
    Delivered,
    /// A copy of a payload Nudge already took: acknowledged, not sent.
    Duplicate,
    DeadLetter {
        reason: String,
        status: Option<u16>,
    },
    /// Again after `delay_s`; `waiting`: Nudge was unavailable (rather than not tried yet).
    Retry {
        delay_s: u32,
        waiting: bool,
    },
}

/// Everything the consumer decided for a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// A disposition per message, in batch order.
    pub dispositions: Vec<Disposition>,
    /// Per payload, what the ledger keeps of its delivery (`None`: it was not claimed here).
    pub ledger: Vec<Option<LedgerSettle>>,
    /// What the overview counts of it.
    pub tally: Tally,
}

impl Batch {
    /// Each payload's event's `messageId`, for the ledger.
    pub fn ids(&self) -> &[Option<String>] {
        &self.ids
    }

    /// The groups to send (the payloads `verdicts` lets go; all when it is empty), the most
    /// attempted messages' first (in batch order among equals).
    pub fn groups(&self, incoming: &[Incoming<'_>], verdicts: &[Verdict]) -> Vec<Group> {
        let mut groups = batching::group_where(&self.payloads, |p| {
            verdicts.get(p).is_none_or(|v| *v == Verdict::Send)
        });
        let urgency = |g: &Group| {
            g.members
                .iter()
                .map(|&p| self.attempts(incoming, self.message_of[p]))
                .max()
                .unwrap_or(0)
        };
        groups.sort_by_key(|g| std::cmp::Reverse(urgency(g)));
        groups
    }

    /// The dispatch of the payloads `verdicts` lets go within the consumer's budget, from
    /// `now_ms`.
    pub fn dispatch(
        &self,
        incoming: &[Incoming<'_>],
        verdicts: &[Verdict],
        consumer: &Consumer,
        now_ms: u64,
    ) -> Dispatch {
        Dispatch::new(
            self.groups(incoming, verdicts),
            consumer.subrequest_budget,
            None,
            consumer.attempt_timeout_ms,
            now_ms,
        )
    }

    /// What became of every payload when nothing can be sent (the destination is
    /// misconfigured): unavailable, for `reason`, so that it is retried.
    pub fn unsendable(&self, reason: &str) -> Vec<Ended> {
        batching::group(&self.payloads)
            .into_iter()
            .map(|g| Ended {
                destination: g.destination,
                members: g.members,
                fate: Fate::Unavailable {
                    status: None,
                    attempts: 0,
                    detail: reason.to_string(),
                    retry_after_ms: None,
                    timed_out: false,
                },
            })
            .collect()
    }

    /// Deliveries of message `m`'s payloads in all: those of the messages they travelled in
    /// before, and this one's.
    fn attempts(&self, incoming: &[Incoming<'_>], m: usize) -> u32 {
        let carried = match &self.messages[m] {
            Read::Deliver { pending, .. } => pending.attempts,
            Read::Unreadable(_) => 0,
        };
        carried.saturating_add(incoming[m].attempts)
    }

    /// A disposition for every message (in batch order), what the ledger keeps and what the
    /// overview counts, from the ledger's `verdicts` (empty: every payload was sent) and what
    /// became of the payloads sent. Samples have `secrets` taken out.
    pub fn settle(
        &self,
        incoming: &[Incoming<'_>],
        verdicts: &[Verdict],
        ended: &[Ended],
        consumer: &Consumer,
        now_ms: i64,
        secrets: Vec<String>,
    ) -> Settlement {
        let mut tally = Tally::new(now_ms, secrets);
        let mut ledger: Vec<Option<LedgerSettle>> = vec![None; self.payloads.items.len()];
        let mut fates: Vec<Option<&Fate>> = vec![None; self.payloads.items.len()];
        for part in ended {
            for &p in &part.members {
                if let Some(slot) = fates.get_mut(p) {
                    *slot = Some(&part.fate);
                }
            }
        }
        let dispositions = self
            .messages
            .iter()
            .enumerate()
            .map(|(m, read)| {
                let attempts = self.attempts(incoming, m);
                let otherwise_retry_s = consumer.schedule.delay_s(attempts, None);
                let abandoned = |reason: String, status, message, k: usize| {
                    let message_id = match k {
                        0 => incoming[m].id.to_string(),
                        k => format!("{}-{k}", incoming[m].id),
                    };
                    QueueMessage::DeadLetter(Abandoned {
                        message_id,
                        reason,
                        status,
                        attempts,
                        at: now_ms,
                        message,
                    })
                    .encode()
                };
                let (pending, first) = match read {
                    Read::Deliver { pending, first } => (pending, *first),
                    Read::Unreadable(reason) => {
                        tally.add(
                            Step::FailedDelivery,
                            "",
                            &Label::default(),
                            "unreadable queue message",
                            1,
                        );
                        tally.sample(
                            Step::FailedDelivery,
                            "",
                            "unreadable queue message",
                            incoming[m].text,
                        );
                        return Disposition {
                            dead_letters: vec![abandoned(
                                reason.clone(),
                                None,
                                as_json(incoming[m].text),
                                0,
                            )],
                            carry_on: Vec::new(),
                            then: Settle::Ack,
                            otherwise_retry_s,
                        };
                    }
                };
                let mapping = pending.destination.mapping.as_str();
                let ends: Vec<PayloadEnd> = (first..first + pending.payloads.len())
                    .map(|p| {
                        let end = match verdicts.get(p).copied().unwrap_or(Verdict::Send) {
                            Verdict::Send => payload_end(fates[p], attempts, consumer),
                            Verdict::Duplicate => PayloadEnd::Duplicate,
                            Verdict::InFlight { until_ms } => PayloadEnd::Retry {
                                delay_s: until_ms
                                    .saturating_sub(now_ms)
                                    .div_euclid(1000)
                                    .clamp(1, i64::from(LONGEST_DELAY_S))
                                    as u32,
                                waiting: false,
                            },
                        };
                        if verdicts.get(p).is_none_or(|v| *v == Verdict::Send) {
                            ledger[p] = Some(match &end {
                                PayloadEnd::Delivered => LedgerSettle::Delivered,
                                PayloadEnd::Retry {
                                    delay_s,
                                    waiting: true,
                                } => LedgerSettle::Retrying {
                                    at_ms: now_ms.saturating_add(i64::from(*delay_s) * 1000),
                                },
                                _ => LedgerSettle::Released,
                            });
                        }
                        let label = Label::default();
                        match &end {
                            PayloadEnd::Delivered => {
                                tally.add(Step::SuccessfulDelivery, mapping, &label, "", 1)
                            }
                            PayloadEnd::Duplicate => {
                                tally.add(Step::DuplicatesDropped, mapping, &label, "", 1)
                            }
                            PayloadEnd::DeadLetter { status, .. } => {
                                let reason = match status {
                                    Some(s) if verdict(*s) == NudgeVerdict::Final => {
                                        "refused by Nudge"
                                    }
                                    _ => "Nudge unavailable until the retries ran out",
                                };
                                tally.add(Step::FailedDelivery, mapping, &label, reason, 1);
                                tally.sample(
                                    Step::FailedDelivery,
                                    mapping,
                                    reason,
                                    &self.payloads.items[p].json,
                                );
                            }
                            PayloadEnd::Retry { .. } => {}
                        }
                        end
                    })
                    .collect();
                // Payloads that end the same way travel together: one dead letter per reason,
                // one message carrying on per delay.
                let mut dead: Vec<(&str, Option<u16>, Vec<usize>)> = Vec::new();
                let mut waiting: Vec<(u32, Vec<usize>)> = Vec::new();
                for (i, end) in ends.iter().enumerate() {
                    match end {
                        PayloadEnd::Delivered | PayloadEnd::Duplicate => {}
                        PayloadEnd::DeadLetter { reason, status } => {
                            match dead.iter_mut().find(|(r, s, _)| r == reason && s == status) {
                                Some((_, _, members)) => members.push(i),
                                None => dead.push((reason, *status, vec![i])),
                            }
                        }
                        PayloadEnd::Retry { delay_s, .. } => {
                            match waiting.iter_mut().find(|(d, _)| d == delay_s) {
                                Some((_, members)) => members.push(i),
                                None => waiting.push((*delay_s, vec![i])),
                            }
                        }
                    }
                }
                let dead_letters = dead
                    .into_iter()
                    .enumerate()
                    .map(|(k, (reason, status, members))| {
                        let message = as_json(&pending.encode_some(&members, attempts));
                        abandoned(reason.to_string(), status, message, k)
                    })
                    .collect();
                match waiting.as_slice() {
                    [] => Disposition {
                        dead_letters,
                        carry_on: Vec::new(),
                        then: Settle::Ack,
                        otherwise_retry_s,
                    },
                    [(delay_s, members)] if members.len() == ends.len() => Disposition {
                        dead_letters,
                        carry_on: Vec::new(),
                        then: Settle::Retry { delay_s: *delay_s },
                        otherwise_retry_s,
                    },
                    _ => Disposition {
                        dead_letters,
                        carry_on: waiting
                            .iter()
                            .map(|(delay_s, members)| {
                                (pending.encode_some(members, attempts), *delay_s)
                            })
                            .collect(),
                        then: Settle::Ack,
                        otherwise_retry_s,
                    },
                }
            })
            .collect();
        Settlement {
            dispositions,
            ledger,
            tally,
        }
    }
}

/// What the consumer does with one payload after `attempts` deliveries, given its fate.
fn payload_end(fate: Option<&Fate>, attempts: u32, consumer: &Consumer) -> PayloadEnd {
    match fate {
        Some(Fate::Delivered { .. }) => PayloadEnd::Delivered,
        Some(Fate::Refused { status, detail, .. }) => PayloadEnd::DeadLetter {
            reason: refusal_reason(*status, detail),
            status: Some(*status),
        },
        Some(Fate::Unavailable {
            status,
            detail,
            retry_after_ms,
            timed_out,
            ..
        }) => {
            if attempts > consumer.max_retries {
                let last =
                    status.map_or_else(|| "no answer".to_string(), |s| format!("last status {s}"));
                PayloadEnd::DeadLetter {
                    reason: format!(
                        "Nudge did not accept the request in {attempts} attempts ({last}): {detail}"
                    ),
                    status: *status,
                }
            } else {
                // After a timeout Nudge may be taking it still: no copy before it has answered.
                let hold_s = if *timed_out {
                    (TIMEOUT_HOLD_MS / 1000) as u32
                } else {
                    0
                };
                PayloadEnd::Retry {
                    delay_s: consumer
                        .schedule
                        .delay_s(attempts, *retry_after_ms)
                        .max(hold_s),
                    waiting: true,
                }
            }
        }
        // Not sent in this invocation (over the budget, or a part of a refused request still
        // to be tried): at once, in another invocation.
        Some(Fate::NotSent { .. }) | None => PayloadEnd::Retry {
            delay_s: 0,
            waiting: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Action;
    use crate::delivery::backoff::MAX_RETRIES;
    use crate::delivery::dispatch::{run_with, Part};
    use crate::delivery::nudge::Outcome;
    use serde_json::json;

    const CONSUMER: Consumer = Consumer {
        schedule: Schedule {
            base_delay_s: 30,
            max_delay_s: 1_800,
        },
        max_retries: MAX_RETRIES,
        subrequest_budget: 50,
        attempt_timeout_ms: 5_000,
    };

    fn track(names: &[&str], attempts: u32) -> String {
        let destination = Destination {
            action: Action::TrackEvent,
            mapping: "Track".into(),
            mapping_position: 1,
            batch_size: Some(100),
        };
        let payloads: Vec<String> = names
            .iter()
            .map(|n| json!({"name": n, "ext_id": "u"}).to_string())
            .collect();
        Pending::encode(
            &destination,
            payloads.iter().map(|p| (p.as_str(), "")),
            0,
            attempts,
        )
    }

    fn identify(n: usize) -> String {
        let destination = Destination {
            action: Action::IdentifyUser,
            mapping: "Identify".into(),
            mapping_position: 0,
            batch_size: None,
        };
        let payloads: Vec<String> = (0..n)
            .map(|i| json!({"ext_id": format!("u{i}")}).to_string())
            .collect();
        Pending::encode(
            &destination,
            payloads.iter().map(|p| (p.as_str(), "")),
            0,
            0,
        )
    }

    fn incoming(texts: &[String]) -> Vec<Incoming<'_>> {
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| Incoming {
                id: ["m0", "m1", "m2", "m3", "m4"][i % 5],
                attempts: 1,
                text,
            })
            .collect()
    }

    fn answered(status: u16) -> Outcome {
        Outcome::Answered {
            status,
            retry_after: None,
            detail: format!("answer {status}"),
        }
    }

    /// Consumes a batch against `nudge`, which sees each request's payload names.
    fn consume(
        incoming: &[Incoming<'_>],
        consumer: &Consumer,
        mut nudge: impl FnMut(&[String]) -> Outcome,
    ) -> (Vec<Disposition>, usize) {
        let batch = read(incoming);
        let mut requests = 0;
        let ended = run_with(batch.dispatch(incoming, &[], consumer, 0), |part: &Part| {
            requests += 1;
            let names: Vec<String> = part
                .members
                .iter()
                .map(|&m| {
                    let v: serde_json::Value =
                        serde_json::from_str(&batch.payloads.items[m].json).unwrap();
                    v["name"]
                        .as_str()
                        .or(v["ext_id"].as_str())
                        .unwrap_or("")
                        .to_string()
                })
                .collect();
            nudge(&names)
        });
        (
            batch
                .settle(incoming, &[], &ended, consumer, 1_000, Vec::new())
                .dispositions,
            requests,
        )
    }

    fn dead_letter(text: &str) -> Abandoned {
        match QueueMessage::decode(text).unwrap() {
            QueueMessage::DeadLetter(a) => a,
            other => panic!("{other:?}"),
        }
    }

    fn delivery(text: &str) -> Pending {
        match QueueMessage::decode(text).unwrap() {
            QueueMessage::Deliver(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sixty_good_and_one_poison_event_from_61_requests() {
        // 61 single-event Worker requests, one message each, in one consumer batch.
        let texts: Vec<String> = (0..61)
            .map(|i| track(&[if i == 30 { "poison" } else { "good" }], 0))
            .collect();
        let incoming: Vec<Incoming<'_>> = texts
            .iter()
            .map(|text| Incoming {
                id: "m",
                attempts: 1,
                text,
            })
            .collect();
        let mut delivered = 0;
        let (dispositions, requests) = consume(&incoming, &CONSUMER, |names| {
            if names.iter().any(|n| n == "poison") {
                answered(400)
            } else {
                delivered += names.len();
                answered(200)
            }
        });
        assert_eq!(delivered, 60);
        assert!(requests - 1 <= 15, "{requests} Nudge requests");
        let dead: Vec<&Disposition> = dispositions
            .iter()
            .filter(|d| !d.dead_letters.is_empty())
            .collect();
        assert_eq!(dead.len(), 1);
        let note = dead_letter(&dead[0].dead_letters[0]);
        assert_eq!(note.reason, "Nudge refused the request (400): answer 400");
        assert_eq!(note.status, Some(400));
        assert_eq!(delivery(note.message.text()).payloads.len(), 1);
        assert!(dispositions
            .iter()
            .all(|d| d.then == Settle::Ack && d.carry_on.is_empty()));
    }

    #[test]
    fn one_message_of_a_100_event_batch_with_a_poison_event() {
        let mut names = vec!["good"; 100];
        names[77] = "poison";
        let texts = vec![track(&names, 0)];
        let incoming = incoming(&texts);
        let (dispositions, _) = consume(&incoming, &CONSUMER, |names| {
            answered(if names.iter().any(|n| n == "poison") {
                422
            } else {
                200
            })
        });
        assert_eq!(dispositions[0].then, Settle::Ack);
        assert_eq!(dispositions[0].dead_letters.len(), 1);
        let replay = dead_letter(&dispositions[0].dead_letters[0]).message;
        let kept = delivery(replay.text());
        assert_eq!(kept.payloads.len(), 1);
        assert_eq!(kept.payloads[0].to_value()["name"], "poison");
        assert_eq!(kept.attempts, 1);
    }

    #[test]
    fn nudge_down_retries_whole_messages_after_the_back_off() {
        let texts = vec![track(&["a", "b"], 0), identify(1)];
        let incoming = incoming(&texts);
        let (dispositions, _) = consume(&incoming, &CONSUMER, |_| Outcome::Answered {
            status: 429,
            retry_after: Some("600".into()),
            detail: "slow down".into(),
        });
        for d in &dispositions {
            assert_eq!(
                d.then,
                Settle::Retry { delay_s: 600 },
                "Retry-After is honoured"
            );
            assert!(d.dead_letters.is_empty() && d.carry_on.is_empty());
            assert_eq!(d.decide(false), Settle::Retry { delay_s: 30 });
        }
    }

    #[test]
    fn the_last_attempt_dead_letters_with_the_last_failure() {
        let texts = vec![track(&["a"], MAX_RETRIES)];
        let incoming = incoming(&texts);
        let (dispositions, _) = consume(&incoming, &CONSUMER, |_| {
            Outcome::NoAnswer("network error: refused".into())
        });
        let note = dead_letter(&dispositions[0].dead_letters[0]);
        assert_eq!(
            note.reason,
            format!("Nudge did not accept the request in {} attempts (no answer): network error: refused", MAX_RETRIES + 1)
        );
        assert_eq!(note.attempts, MAX_RETRIES + 1);
        assert_eq!(dispositions[0].then, Settle::Ack);
    }

    #[test]
    fn a_partly_sent_message_carries_on_with_the_rest_and_its_attempts() {
        // 60 identify payloads need 60 requests: 50 go now, 10 carry on in a new message.
        let texts = vec![identify(60)];
        let incoming = incoming(&texts);
        let (dispositions, requests) = consume(&incoming, &CONSUMER, |_| answered(200));
        assert_eq!(requests, 50);
        let d = &dispositions[0];
        assert_eq!(d.then, Settle::Ack);
        assert_eq!(d.carry_on.len(), 1);
        let (text, delay) = &d.carry_on[0];
        assert_eq!(*delay, 0);
        let rest = delivery(text);
        assert_eq!(rest.payloads.len(), 10);
        assert_eq!(rest.attempts, 1);
        assert_eq!(rest.payloads[0].to_value()["ext_id"], "u50");
        assert_eq!(
            d.decide(false),
            Settle::Retry { delay_s: 30 },
            "if the rest could not be enqueued"
        );
    }

    #[test]
    fn messages_over_the_budget_are_deferred_most_attempted_first() {
        let texts: Vec<String> = (0..3).map(|_| identify(1)).collect();
        let mut incoming = incoming(&texts);
        incoming[2].attempts = 5;
        let consumer = Consumer {
            subrequest_budget: 1,
            ..CONSUMER
        };
        let (dispositions, requests) = consume(&incoming, &consumer, |_| answered(200));
        assert_eq!(requests, 1);
        assert_eq!(
            dispositions.iter().map(|d| d.then).collect::<Vec<_>>(),
            [
                Settle::Retry { delay_s: 0 },
                Settle::Retry { delay_s: 0 },
                Settle::Ack
            ]
        );
    }

    #[test]
    fn track_payloads_of_several_messages_share_requests() {
        let texts: Vec<String> = (0..10).map(|_| track(&["a", "b", "c"], 0)).collect();
        let incoming = incoming(&texts);
        let (dispositions, requests) = consume(&incoming, &CONSUMER, |names| {
            assert_eq!(names.len(), 30);
            answered(200)
        });
        assert_eq!(requests, 1);
        assert!(dispositions.iter().all(|d| d.then == Settle::Ack));
    }

    #[test]
    fn unreadable_messages_are_dead_lettered_as_they_are() {
        let texts = vec!["not json".to_string(), r#"{"v":9}"#.to_string()];
        let incoming = incoming(&texts);
        let (dispositions, requests) = consume(&incoming, &CONSUMER, |_| answered(200));
        assert_eq!(requests, 0);
        let note = dead_letter(&dispositions[0].dead_letters[0]);
        assert!(
            note.reason.starts_with("unreadable queue message"),
            "{}",
            note.reason
        );
        assert_eq!(note.message.text(), r#""not json""#);
        assert!(dead_letter(&dispositions[1].dead_letters[0])
            .reason
            .contains("version 9"));
    }

    #[test]
    fn a_misconfigured_destination_retries_everything() {
        let texts = vec![track(&["a"], 0)];
        let incoming = incoming(&texts);
        let batch = read(&incoming);
        let ended = batch.unsendable("the destination is misconfigured");
        let d = batch
            .settle(&incoming, &[], &ended, &CONSUMER, 0, Vec::new())
            .dispositions;
        assert_eq!(d[0].then, Settle::Retry { delay_s: 30 });
    }
}
