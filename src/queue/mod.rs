//! Durable delivery through Cloudflare Queues, decided without doing I/O.
//!
//! In queue mode the Worker answers as soon as the queue holds each valid event's Nudge
//! payload ([`enqueue`]: several payloads per message, in the format of [`message`]). The
//! consumer ([`consume`]) groups a batch's payloads into Nudge requests by the same rule as
//! direct mode ([`crate::batching`]), sends as many as the subrequest budget allows, splits
//! refused requests ([`crate::delivery::dispatch`]), and acknowledges, retries after a back-off
//! ([`crate::delivery::backoff`]), carries on with the rest of, or dead-letters each message. Dead letters are
//! stored with their reason ([`dead_letter`]) and listed or replayed through the admin routes
//! ([`admin`]).

pub mod admin;
pub mod consume;
pub mod dead_letter;
pub mod enqueue;
pub mod message;
