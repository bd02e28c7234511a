//! The ledger around one delivery (a Worker request in direct mode, a consumer batch in queue
//! mode), without I/O: the calls that claim its payloads, one per shard; what each payload
//! may do given the answers; and the calls that settle them with the counts, one per shard.
//!
//! A payload without a `messageId` (none of Segment's SDKs sends one without, and the Worker
//! gives one to any event that lacks it) is sent as it is. A shard that does not answer lets
//! its payloads be sent: de-duplication never costs an event.

use super::call::{Call, ClaimOn, Reply, Settled};
use super::claims::{self, Claim, Settle};
use super::shard_of;
use super::tally::Tally;
use crate::batching::Payloads;
use crate::event::Event;
use crate::json::read;
use std::borrow::Cow;
use std::collections::hash_map::{Entry, HashMap};

/// What one payload may do once its claim is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it (claimed, or nothing to claim it with).
    Send,
    /// Nudge took it already: drop it, counted as a duplicate.
    Duplicate,
    /// Another delivery holds it until `until_ms`: put it off.
    InFlight {
        /// When the other claim expires.
        until_ms: i64,
    },
}

/// The ledger's view of one delivery's payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dedupe {
    /// Per payload: its key and its mapping's name, when it has a `messageId`.
    keys: Vec<Option<(String, String)>>,
    /// Per payload: the first payload with the same key, when this one is a later copy within
    /// the same delivery (the same `messageId` twice in one batch): it is the same event, and
    /// goes (or fails) with the first.
    twin_of: Vec<Option<usize>>,
    shards: u32,
}

impl Dedupe {
    /// The keys of `payloads`, whose `messageId`s are `ids` (one per payload).
    pub fn new(payloads: &Payloads, ids: &[Option<String>], shards: u32) -> Dedupe {
        let keys = payloads
            .items
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let d = &payloads.destinations[p.destination];
                ids.get(i)
                    .and_then(Option::as_deref)
                    .filter(|id| !id.is_empty())
                    .map(|id| {
                        (
                            claims::key(id, &d.mapping, d.mapping_position),
                            d.mapping.clone(),
                        )
                    })
            })
            .collect::<Vec<Option<(String, String)>>>();
        // Found through an index built once: a batch of 10,000 events stays linear.
        let mut first: HashMap<&str, usize> = HashMap::new();
        let twin_of = keys
            .iter()
            .enumerate()
            .map(|(p, key)| {
                let (key, _) = key.as_ref()?;
                match first.entry(key.as_str()) {
                    Entry::Occupied(seen) => Some(*seen.get()),
                    Entry::Vacant(slot) => {
                        slot.insert(p);
                        None
                    }
                }
            })
            .collect();
        Dedupe {
            keys,
            twin_of,
            shards: shards.max(1),
        }
    }

    /// One call per shard claiming its payloads (each key once), in shard order.
    pub fn claims(&self, now_ms: i64) -> Vec<(u32, Call)> {
        let mut calls: Vec<(u32, Call)> = Vec::new();
        for (p, (key, mapping)) in self
            .keys
            .iter()
            .enumerate()
            .filter_map(|(p, k)| Some((p, k.as_ref()?)))
        {
            if self.twin_of[p].is_some() {
                continue;
            }
            call_for(&mut calls, shard_of(key, self.shards), now_ms)
                .claims
                .push(ClaimOn {
                    key: key.clone(),
                    mapping: mapping.clone(),
                });
        }
        calls
    }

    /// What each payload may do, given each claim call's reply (`None`: the shard failed).
    /// A copy within the delivery is a duplicate of its first.
    pub fn verdicts(&self, calls: &[(u32, Call)], replies: &[Option<Reply>]) -> Vec<Verdict> {
        let mut verdicts: Vec<Verdict> = self
            .twin_of
            .iter()
            .map(|twin| match twin {
                Some(_) => Verdict::Duplicate,
                None => Verdict::Send,
            })
            .collect();
        // Each claimed key's payload (the first with it), found once.
        let payload_of: HashMap<&str, usize> = self
            .keys
            .iter()
            .enumerate()
            .filter(|(p, _)| self.twin_of[*p].is_none())
            .filter_map(|(p, k)| Some((k.as_ref()?.0.as_str(), p)))
            .collect();
        for ((_, call), reply) in calls.iter().zip(replies) {
            let Some(reply) = reply else { continue };
            for (claim, answer) in call.claims.iter().zip(&reply.claims) {
                let verdict = match answer {
                    Claim::Fresh => continue,
                    Claim::Delivered => Verdict::Duplicate,
                    Claim::InFlight { until_ms } => Verdict::InFlight {
                        until_ms: *until_ms,
                    },
                };
                if let Some(&p) = payload_of.get(claim.key.as_str()) {
                    verdicts[p] = verdict;
                }
            }
        }
        verdicts
    }

    /// One call per shard settling the payloads that were claimed (`outcome(p)`: how payload
    /// `p` ended; `None` for those not claimed here), the tally's counts and samples going with
    /// the first call (or alone to the shard of `fallback_shard_key` when nothing is settled).
    pub fn settlements(
        &self,
        now_ms: i64,
        outcome: impl Fn(usize) -> Option<Settle>,
        tally: Tally,
    ) -> Vec<(u32, Call)> {
        let mut calls: Vec<(u32, Call)> = Vec::new();
        for (p, key) in self.keys.iter().enumerate() {
            let (Some((key, mapping)), Some(outcome)) = (key, outcome(p)) else {
                continue;
            };
            call_for(&mut calls, shard_of(key, self.shards), now_ms)
                .settled
                .push(Settled {
                    key: key.clone(),
                    mapping: mapping.clone(),
                    outcome,
                });
        }
        with_tally(
            calls,
            tally,
            self.keys
                .iter()
                .flatten()
                .next()
                .map(|(k, _)| shard_of(k, self.shards)),
            now_ms,
        )
    }
}

/// The `messageId` of each payload's event (`None` when it has none, or not a string).
pub fn message_ids(payloads: &Payloads, events: &[Event<'_>]) -> Vec<Option<String>> {
    payloads
        .items
        .iter()
        .map(|p| {
            let id = events.get(p.event)?.get("messageId")?;
            read::string(id).map(Cow::into_owned)
        })
        .collect()
}

/// Calls carrying only a tally (a queue-mode request: nothing is claimed at the front door),
/// to the shard of `key_hint` (a payload's key, spreading requests over the shards) or the first.
pub fn tally_only(
    tally: Tally,
    key_hint: Option<&str>,
    shards: u32,
    now_ms: i64,
) -> Vec<(u32, Call)> {
    with_tally(
        Vec::new(),
        tally,
        key_hint.map(|k| shard_of(k, shards)),
        now_ms,
    )
}

fn with_tally(
    mut calls: Vec<(u32, Call)>,
    tally: Tally,
    shard: Option<u32>,
    now_ms: i64,
) -> Vec<(u32, Call)> {
    if tally.is_empty() {
        return calls;
    }
    let call = match calls.first_mut() {
        Some((_, call)) => call,
        None => call_for(&mut calls, shard.unwrap_or(0), now_ms),
    };
    call.counts = tally.counts;
    call.samples = tally.samples;
    calls
}

fn call_for(calls: &mut Vec<(u32, Call)>, shard: u32, now_ms: i64) -> &mut Call {
    let i = match calls.iter().position(|(s, _)| *s == shard) {
        Some(i) => i,
        None => {
            calls.push((
                shard,
                Call {
                    now_ms,
                    ..Call::default()
                },
            ));
            calls.len() - 1
        }
    };
    &mut calls[i].1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Action;
    use crate::batching::{Destination, Payload};
    use crate::ledger::call::{apply, MemoryStore};
    use crate::ledger::tally::{Label, Step};

    fn payloads(n: usize) -> Payloads {
        Payloads {
            destinations: vec![Destination {
                action: Action::TrackEvent,
                mapping: "Track".into(),
                mapping_position: 0,
                batch_size: Some(100),
            }],
            items: (0..n)
                .map(|event| Payload {
                    destination: 0,
                    event,
                    json: "{}".into(),
                })
                .collect(),
        }
    }

    fn ids(of: &[&str]) -> Vec<Option<String>> {
        of.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn message_ids_come_from_the_events() {
        let text = r#"[{"type":"track","messageId":"m1"},{"type":"track","messageId":7},{"type":"track"}]"#;
        let events = crate::event::events_in(text).unwrap();
        let p = payloads(3);
        assert_eq!(
            message_ids(&p, &events),
            [Some("m1".to_string()), None, None]
        );
    }

    /// Runs calls against in-memory shards.
    fn run(shards: &mut [MemoryStore], calls: &[(u32, Call)]) -> Vec<Option<Reply>> {
        calls
            .iter()
            .map(|(s, call)| Some(apply(&mut shards[*s as usize], call)))
            .collect()
    }

    #[test]
    fn repeated_message_ids_are_sent_once() {
        let mut shards = vec![MemoryStore::default(); 4];
        let ids = ids(&["a", "b", "c", "a2"]);
        let p = payloads(4);
        let d = Dedupe::new(&p, &ids, 4);
        let calls = d.claims(0);
        assert!(calls.len() <= 4);
        let verdicts = d.verdicts(&calls, &run(&mut shards, &calls));
        assert!(verdicts.iter().all(|v| *v == Verdict::Send));
        let settle = d.settlements(1, |_| Some(Settle::Delivered), Tally::new(1, Vec::new()));
        run(&mut shards, &settle);

        // The same ids again (an SDK's retry), and one new.
        let d = Dedupe::new(&p, &super::tests::ids(&["a", "b", "new", "a2"]), 4);
        let calls = d.claims(2);
        let verdicts = d.verdicts(&calls, &run(&mut shards, &calls));
        assert_eq!(
            verdicts,
            [
                Verdict::Duplicate,
                Verdict::Duplicate,
                Verdict::Send,
                Verdict::Duplicate
            ]
        );
    }

    #[test]
    fn a_message_id_twice_in_one_delivery_is_sent_once() {
        let mut shards = vec![MemoryStore::default(); 2];
        let p = payloads(3);
        let d = Dedupe::new(&p, &ids(&["a", "b", "a"]), 2);
        let calls = d.claims(0);
        assert_eq!(calls.iter().map(|(_, c)| c.claims.len()).sum::<usize>(), 2);
        assert_eq!(
            d.verdicts(&calls, &run(&mut shards, &calls)),
            [Verdict::Send, Verdict::Send, Verdict::Duplicate]
        );
        assert_eq!(
            d.verdicts(&calls, &vec![None; calls.len()]),
            [Verdict::Send, Verdict::Send, Verdict::Duplicate],
            "without a ledger too"
        );
    }

    #[test]
    fn a_failed_shard_or_no_message_id_lets_payloads_go() {
        let p = payloads(3);
        let ids = [Some("a".to_string()), None, Some(String::new())];
        let d = Dedupe::new(&p, &ids, 2);
        let calls = d.claims(0);
        assert_eq!(calls.iter().map(|(_, c)| c.claims.len()).sum::<usize>(), 1);
        let verdicts = d.verdicts(&calls, &vec![None; calls.len()]);
        assert_eq!(verdicts, [Verdict::Send; 3]);
    }

    #[test]
    fn counts_travel_with_the_first_settlement_or_alone() {
        let p = payloads(1);
        let d = Dedupe::new(&p, &ids(&["m"]), 4);
        let mut tally = Tally::new(0, Vec::new());
        tally.add(Step::Received, "", &Label::default(), "", 1);
        let calls = d.settlements(0, |_| Some(Settle::Released), tally.clone());
        assert_eq!(calls.len(), 1);
        assert_eq!((calls[0].1.settled.len(), calls[0].1.counts.len()), (1, 1));
        let alone = tally_only(tally, None, 4, 0);
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].0, 0);
        assert!(tally_only(Tally::new(0, Vec::new()), None, 4, 0).is_empty());
    }
}
