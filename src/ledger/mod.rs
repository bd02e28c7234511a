//! The ledger: what Segment's platform keeps around a destination, decided without I/O.
//!
//! One store, sharded over SQLite-backed Durable Objects (the Worker's `Ledger` class), holds
//! two things:
//!
//! - **Deliveries** by `(messageId, mapping)` ([`claims`]): a payload is claimed before it is
//!   sent and settled after (delivered for 24 hours, released when it failed, waiting when it
//!   is to be retried), so that SDK retries, queue redeliveries and replays send each
//!   `messageId` to Nudge once. A claim that is never settled expires; a ledger that cannot be
//!   reached lets delivery go on (at least once) rather than lose an event.
//! - **Counts** per minute, step, mapping, event type and name, and discard reason, with up to
//!   10 sample events per reason ([`tally`]), read back as the Delivery Overview
//!   ([`overview`]).
//!
//! [`call`] is the wire format of one call to one shard (every write of a request or a
//! consumer batch to that shard travels in one call) and [`call::apply`] what a shard does with
//! it, over any [`call::Store`]: the Durable Object is a thin SQL adapter, tested natively
//! through an in-memory store.

pub mod call;
pub mod claims;
pub mod dedupe;
pub mod overview;
pub mod tally;

/// How long a delivered `(messageId, mapping)` keeps later copies from being sent: Segment's
/// look-back window.
pub const DEDUPE_WINDOW_MS: i64 = 24 * 3_600_000;
/// How long a claim holds before it expires: longer than any one delivery (direct mode: 8 s;
/// a consumer invocation: 50 requests, 6 at a time, 5 s each), short enough that a crash
/// blocks an event for minutes, not hours.
pub const CLAIM_TTL_MS: i64 = 120_000;
/// How long counts and samples are kept: the overview's longest range, 14 days, and a day.
pub const RETENTION_MS: i64 = 15 * 24 * 3_600_000;
/// Shards the ledger is spread over when `LEDGER_SHARDS` does not say.
pub const DEFAULT_SHARDS: u32 = 4;
/// Most shards: each request may call each shard it touches, and calls count against the
/// subrequest budget.
pub const MAX_SHARDS: u32 = 16;

/// The shard that holds `key` (a [`claims::key`]), of `shards`.
pub fn shard_of(key: &str, shards: u32) -> u32 {
    // The key is a hex digest: its first eight digits are uniformly spread.
    let prefix = key.get(..8).unwrap_or(key);
    u32::from_str_radix(prefix, 16).unwrap_or(0) % shards.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_over_the_shards() {
        let mut seen = [0u32; 4];
        for i in 0..4000 {
            let key = claims::key(&format!("m-{i}"), "Track Event", 1);
            seen[shard_of(&key, 4) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(shard_of("zz", 4), 0, "not hex: the first shard");
        assert_eq!(shard_of(&claims::key("m", "T", 0), 0), 0);
    }
}
