//! De-duplication by `(messageId, mapping)`, as Segment does it for 24 hours: the state of one
//! payload's delivery, and what a claim on it finds.
//!
//! | state | a claim finds | the claimer |
//! |---|---|---|
//! | none, released, expired | [`Claim::Fresh`] (now claimed) | sends it |
//! | claimed, not expired | [`Claim::InFlight`] | waits: another delivery may still fail |
//! | waiting for a retry | [`Claim::Fresh`] (now claimed) | sends it |
//! | delivered, within 24 h | [`Claim::Delivered`] | drops it: a duplicate |
//!
//! A copy is dropped only once Nudge took the original: one that arrives while the original
//! is in flight is put off (a 503 to the sender in direct mode, a later retry in queue mode),
//! so that de-duplication never loses an event whose original then fails.

use super::{CLAIM_TTL_MS, DEDUPE_WINDOW_MS};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The ledger's key for a payload: a digest of its mapping (name and position: names need not
/// be unique) and its event's `messageId`, so that keys have one short length whatever the ids.
pub fn key(message_id: &str, mapping: &str, mapping_position: usize) -> String {
    let mut hash = Sha256::new();
    hash.update(mapping_position.to_le_bytes());
    hash.update(mapping.len().to_le_bytes());
    hash.update(mapping.as_bytes());
    hash.update(message_id.as_bytes());
    hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where a payload's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Being delivered (by the claimer) until the row's time.
    Claimed,
    /// Taken by Nudge; copies are dropped until the row's time.
    Delivered,
    /// Waiting in the queue for another attempt, due at the row's time.
    Retrying,
}

/// A stored delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// Where it stands.
    pub state: State,
    /// Until when that holds (claims and deliveries) or when it is due (retries), in
    /// milliseconds since the epoch.
    pub until_ms: i64,
    /// Its mapping's name, for the overview's mapping filter.
    pub mapping: String,
}

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "claim", rename_all = "snake_case")]
pub enum Claim {
    /// Nobody delivered it or is delivering it: it is the claimer's to send.
    Fresh,
    /// Nudge took it already: a duplicate, not sent again.
    Delivered,
    /// Another delivery holds it until `until_ms`: try again after that.
    InFlight {
        /// When the other claim expires.
        until_ms: i64,
    },
}

/// What a claim on a payload whose row is `existing` finds at `now_ms`, and the row to store
/// when it takes the payload.
pub fn claim(existing: Option<&Row>, mapping: &str, now_ms: i64) -> (Claim, Option<Row>) {
    let claimed = || Row {
        state: State::Claimed,
        until_ms: now_ms.saturating_add(CLAIM_TTL_MS),
        mapping: mapping.to_string(),
    };
    match existing {
        Some(row) if row.until_ms > now_ms && row.state == State::Delivered => {
            (Claim::Delivered, None)
        }
        Some(row) if row.until_ms > now_ms && row.state == State::Claimed => (
            Claim::InFlight {
                until_ms: row.until_ms,
            },
            None,
        ),
        _ => (Claim::Fresh, Some(claimed())),
    }
}

/// How a claimed payload's delivery ended, for the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Settle {
    /// Nudge took it: copies are dropped for 24 hours.
    Delivered,
    /// It will not be delivered by this claim (refused, dead-lettered, unavailable in direct
    /// mode): a later copy or a replay may try again.
    Released,
    /// Queue mode will try again at `at_ms`.
    Retrying {
        /// When the next attempt is due.
        at_ms: i64,
    },
    /// Nudge did not answer in time and may be taking it still: copies wait until `until_ms`.
    Hold {
        /// When a copy may be sent.
        until_ms: i64,
    },
}

/// The row a settled payload leaves (`None`: the row goes).
pub fn settled(outcome: Settle, mapping: &str, now_ms: i64) -> Option<Row> {
    let row = |state, until_ms| Row {
        state,
        until_ms,
        mapping: mapping.to_string(),
    };
    match outcome {
        Settle::Delivered => Some(row(
            State::Delivered,
            now_ms.saturating_add(DEDUPE_WINDOW_MS),
        )),
        Settle::Released => None,
        Settle::Retrying { at_ms } => Some(row(State::Retrying, at_ms)),
        Settle::Hold { until_ms } => Some(row(State::Claimed, until_ms)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tell_mappings_and_ids_apart() {
        let k = key("m-1", "Track", 1);
        assert_eq!(k.len(), 32);
        assert!(k.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(k, key("m-1", "Track", 1));
        assert_ne!(k, key("m-1", "Track", 2));
        assert_ne!(k, key("m-1", "Track2", 1));
        assert_ne!(key("a", "bc", 0), key("ab", "c", 0));
        assert_eq!(key(&"x".repeat(10_000), "T", 0).len(), 32);
    }

    #[test]
    fn a_payload_goes_once_and_copies_wait_for_the_original() {
        let now = 1_000_000;
        let (first, row) = claim(None, "T", now);
        assert_eq!(first, Claim::Fresh);
        let row = row.unwrap();
        assert_eq!(
            (row.state, row.until_ms),
            (State::Claimed, now + CLAIM_TTL_MS)
        );
        assert_eq!(
            claim(Some(&row), "T", now + 5).0,
            Claim::InFlight {
                until_ms: now + CLAIM_TTL_MS
            },
            "a copy while the original is in flight waits"
        );
        assert_eq!(
            claim(Some(&row), "T", now + CLAIM_TTL_MS).0,
            Claim::Fresh,
            "a claim never settled expires"
        );
        let delivered = settled(Settle::Delivered, "T", now).unwrap();
        assert_eq!(
            claim(Some(&delivered), "T", now + 3_600_000).0,
            Claim::Delivered
        );
        assert_eq!(
            claim(Some(&delivered), "T", now + DEDUPE_WINDOW_MS).0,
            Claim::Fresh,
            "after 24 hours a copy is sent"
        );
        assert_eq!(settled(Settle::Released, "T", now), None);
        let waiting = settled(
            Settle::Retrying {
                at_ms: now + 30_000,
            },
            "T",
            now,
        )
        .unwrap();
        assert_eq!(
            claim(Some(&waiting), "T", now + 1).0,
            Claim::Fresh,
            "its retry may claim it"
        );
    }
}
