//! One call to one ledger shard, and what the shard does with it, over any [`Store`].
//!
//! Every write a request (or a consumer batch) makes to a shard travels in one [`Call`]:
//! claims before sending, settlements after, counts and samples, so that the ledger costs a
//! call per shard touched, never a call per event. A call may also ask for the shard's part of
//! the overview. The Durable Object only adapts [`Store`] to SQL.

use super::claims::{self, Claim, Row, Settle, State};
use super::overview::{Query, ShardOverview};
use super::tally::{Count, Sample, SAMPLES_PER_REASON};
use super::RETENTION_MS;
use serde::{Deserialize, Serialize};

/// A claim on one payload before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimOn {
    /// Its [`claims::key`].
    pub key: String,
    /// Its mapping's name.
    pub mapping: String,
}

/// How one claimed payload's delivery ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settled {
    /// Its [`claims::key`].
    pub key: String,
    /// Its mapping's name.
    pub mapping: String,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Settle,
}

/// Everything one request or consumer batch asks of one shard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The caller's clock, in milliseconds since the epoch.
    pub now_ms: i64,
    /// Payloads about to be sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimOn>,
    /// Payloads whose delivery ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settled: Vec<Settled>,
    /// Counts to add.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<Count>,
    /// Samples to keep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Sample>,
    /// The shard's part of an overview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overview: Option<Query>,
}

impl Call {
    /// Whether the call has anything to do.
    pub fn is_empty(&self) -> bool {
        self.claims.is_empty()
            && self.settled.is_empty()
            && self.counts.is_empty()
            && self.samples.is_empty()
            && self.overview.is_none()
    }
}

/// What a shard answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// What each claim found, in the call's order.
    #[serde(default)]
    pub claims: Vec<Claim>,
    /// The shard's part of the overview, when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overview: Option<ShardOverview>,
    /// Rows the call wrote, as the store counts them (what Cloudflare bills).
    #[serde(default)]
    pub rows_written: u64,
}

/// What a shard keeps, as the Durable Object's SQL tables (or memory, in tests) hold it.
pub trait Store {
    /// The delivery stored under `key`.
    fn delivery(&mut self, key: &str) -> Option<Row>;
    /// Stores (or, with `None`, removes) the delivery under `key`.
    fn set_delivery(&mut self, key: &str, row: Option<&Row>);
    /// Adds a count to the one with the same minute, mapping, step, type, event and reason.
    fn add_count(&mut self, count: &Count);
    /// Keeps a sample, and only the newest `keep` of its step, reason and mapping.
    fn add_sample(&mut self, sample: &Sample, keep: usize);
    /// Forgets deliveries whose time has passed, and counts and samples older than
    /// `counts_before_ms`.
    fn expire(&mut self, now_ms: i64, counts_before_ms: i64);
    /// The shard's part of an overview at `now_ms`.
    fn overview(&mut self, query: &Query, now_ms: i64) -> ShardOverview;
    /// Rows written so far (0 where the store does not count them).
    fn rows_written(&self) -> u64 {
        0
    }
}

/// Whether a stored delivery can be forgotten at `now_ms`: its time has passed (a retry that
/// never came back is kept a day longer, counted as pending until then).
pub fn expired(row: &Row, now_ms: i64) -> bool {
    let until = match row.state {
        State::Retrying => row.until_ms.saturating_add(super::DEDUPE_WINDOW_MS),
        State::Claimed | State::Delivered => row.until_ms,
    };
    until <= now_ms
}

/// Does what `call` asks of `store`.
pub fn apply(store: &mut impl Store, call: &Call) -> Reply {
    let now = call.now_ms;
    store.expire(now, now.saturating_sub(RETENTION_MS));
    let claims = call
        .claims
        .iter()
        .map(|c| {
            let existing = store.delivery(&c.key);
            // A retry's row is still there while it waits: a claim on it is the retry itself.
            let (claim, row) = claims::claim(existing.as_ref(), &c.mapping, now);
            if let Some(row) = row {
                store.set_delivery(&c.key, Some(&row));
            }
            claim
        })
        .collect();
    for s in &call.settled {
        // A release only undoes a claim: it never forgets a delivery another copy made.
        if s.outcome == Settle::Released
            && store
                .delivery(&s.key)
                .is_some_and(|row| row.state == State::Delivered)
        {
            continue;
        }
        store.set_delivery(&s.key, claims::settled(s.outcome, &s.mapping, now).as_ref());
    }
    for count in &call.counts {
        store.add_count(count);
    }
    for sample in &call.samples {
        store.add_sample(sample, SAMPLES_PER_REASON);
    }
    let overview = call.overview.as_ref().map(|q| store.overview(q, now));
    Reply {
        claims,
        overview,
        rows_written: store.rows_written(),
    }
}

/// A [`Store`] in memory: what the tests (and the native benchmarks) run the ledger on.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    /// Deliveries by key.
    pub deliveries: std::collections::BTreeMap<String, Row>,
    /// Counts.
    pub counts: Vec<Count>,
    /// Samples.
    pub samples: Vec<Sample>,
}

impl Store for MemoryStore {
    fn delivery(&mut self, key: &str) -> Option<Row> {
        self.deliveries.get(key).cloned()
    }

    fn set_delivery(&mut self, key: &str, row: Option<&Row>) {
        match row {
            Some(row) => {
                self.deliveries.insert(key.to_string(), row.clone());
            }
            None => {
                self.deliveries.remove(key);
            }
        }
    }

    fn add_count(&mut self, count: &Count) {
        match self.counts.iter_mut().find(|c| {
            c.minute == count.minute
                && c.mapping == count.mapping
                && c.step == count.step
                && c.kind == count.kind
                && c.event == count.event
                && c.reason == count.reason
        }) {
            Some(c) => c.n = c.n.saturating_add(count.n),
            None => self.counts.push(count.clone()),
        }
    }

    fn add_sample(&mut self, sample: &Sample, keep: usize) {
        self.samples.push(sample.clone());
        let same = |s: &Sample| {
            s.step == sample.step && s.reason == sample.reason && s.mapping == sample.mapping
        };
        let n = self.samples.iter().filter(|s| same(s)).count();
        if n > keep {
            let mut drop = n - keep;
            self.samples.retain(|s| {
                if drop > 0 && same(s) {
                    drop -= 1;
                    false
                } else {
                    true
                }
            });
        }
    }

    fn expire(&mut self, now_ms: i64, counts_before_ms: i64) {
        self.deliveries.retain(|_, row| !expired(row, now_ms));
        self.counts
            .retain(|c| c.minute.saturating_mul(60_000) >= counts_before_ms);
        self.samples.retain(|s| s.at_ms >= counts_before_ms);
    }

    fn overview(&mut self, query: &Query, now_ms: i64) -> ShardOverview {
        let pending = self
            .deliveries
            .values()
            .filter(|row| row.state == State::Retrying)
            .filter(|row| query.mapping.as_ref().is_none_or(|m| &row.mapping == m))
            .count() as u64;
        ShardOverview::from_rows(query, &self.counts, &self.samples, pending, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::claims::key;
    use crate::ledger::tally::{Label, Step, Tally};
    use crate::ledger::CLAIM_TTL_MS;

    fn claim_call(now_ms: i64, keys: &[&str]) -> Call {
        Call {
            now_ms,
            claims: keys
                .iter()
                .map(|k| ClaimOn {
                    key: k.to_string(),
                    mapping: "T".into(),
                })
                .collect(),
            ..Call::default()
        }
    }

    fn settle(now_ms: i64, key: &str, outcome: Settle) -> Call {
        Call {
            now_ms,
            settled: vec![Settled {
                key: key.into(),
                mapping: "T".into(),
                outcome,
            }],
            ..Call::default()
        }
    }

    #[test]
    fn three_sends_of_one_message_id_deliver_once() {
        let mut store = MemoryStore::default();
        let k = key("m-1", "T", 0);
        assert_eq!(
            apply(&mut store, &claim_call(0, &[&k])).claims,
            [Claim::Fresh]
        );
        assert_eq!(
            apply(&mut store, &claim_call(10, &[&k])).claims,
            [Claim::InFlight {
                until_ms: CLAIM_TTL_MS
            }]
        );
        apply(&mut store, &settle(20, &k, Settle::Delivered));
        assert_eq!(
            apply(&mut store, &claim_call(30, &[&k])).claims,
            [Claim::Delivered]
        );
        // A release from a late copy does not undo the delivery.
        apply(&mut store, &settle(40, &k, Settle::Released));
        assert_eq!(
            apply(&mut store, &claim_call(50, &[&k])).claims,
            [Claim::Delivered]
        );
    }

    #[test]
    fn released_and_retried_payloads_may_be_sent_again() {
        let mut store = MemoryStore::default();
        let k = key("m-2", "T", 0);
        apply(&mut store, &claim_call(0, &[&k]));
        apply(&mut store, &settle(1, &k, Settle::Released));
        assert_eq!(
            apply(&mut store, &claim_call(2, &[&k])).claims,
            [Claim::Fresh],
            "a dead letter may be replayed"
        );
        apply(
            &mut store,
            &settle(3, &k, Settle::Retrying { at_ms: 30_000 }),
        );
        assert_eq!(store.deliveries[&k].state, State::Retrying);
        assert_eq!(
            apply(&mut store, &claim_call(31_000, &[&k])).claims,
            [Claim::Fresh]
        );
    }

    #[test]
    fn counts_and_samples_are_kept_and_expire() {
        let mut store = MemoryStore::default();
        let mut tally = Tally::new(60_000, Vec::new());
        let label = Label::default();
        for _ in 0..12 {
            tally.add(Step::FailedDelivery, "T", &label, "refused by Nudge", 1);
        }
        let mut call = Call {
            now_ms: 60_000,
            counts: tally.counts.clone(),
            ..Call::default()
        };
        for i in 0..15 {
            call.samples.push(Sample {
                at_ms: 60_000 + i,
                mapping: "T".into(),
                step: Step::FailedDelivery,
                reason: "refused by Nudge".into(),
                text: format!("{{\"i\":{i}}}"),
            });
        }
        apply(&mut store, &call);
        apply(&mut store, &call);
        assert_eq!(store.counts.len(), 1);
        assert_eq!(store.counts[0].n, 24);
        assert_eq!(store.samples.len(), SAMPLES_PER_REASON);
        assert_eq!(
            store.samples.last().unwrap().text,
            "{\"i\":14}",
            "the newest are kept"
        );
        apply(
            &mut store,
            &Call {
                now_ms: 60_000 + RETENTION_MS + 60_000,
                ..Call::default()
            },
        );
        assert!(store.counts.is_empty() && store.samples.is_empty());
    }
}
