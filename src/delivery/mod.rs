//! Delivering payloads to Nudge, decided without I/O and the same in both delivery modes. The
//! Worker's shell sends what these modules choose and reports what Nudge answered.
//!
//! - [`nudge`]: what an answer from Nudge means (accepted, try again, refused), its
//!   `Retry-After`, and the part of it that is kept (the API key taken out).
//! - [`dispatch`]: which requests go out now, within the subrequest budget; a refused request
//!   that carries several payloads is split until the refused payloads are alone, so that no
//!   event is sunk by another; retries within one invocation (direct mode).
//! - [`backoff`]: how long to wait before trying again: within a request (direct mode) and
//!   between a queued message's deliveries.
//! - [`direct`]: direct mode: the results of a Worker request and what the ledger keeps.
//! - [`report`]: what the sender is told (counts, the listed results, the answer's body).
//! - [`settings`]: delivery settings read from the environment, bounded, and Cloudflare's
//!   limits on one invocation.
//!
//! Queue mode's own decisions (messages, the consumer's dispositions, dead letters)
//! are in [`crate::queue`]; which payloads share a request is [`crate::batching`]'s.

pub mod backoff;
pub mod direct;
pub mod dispatch;
pub mod nudge;
pub mod report;
pub mod settings;
