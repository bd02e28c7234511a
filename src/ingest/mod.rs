//! The Worker's front door: Segment's HTTP Tracking API as every Segment SDK speaks it, with
//! every decision about an incoming request made here, without I/O, and tested natively. The
//! Worker shell (`src/worker/`) only moves bytes between these steps:
//!
//! 1. [`routes`]: method and path → [`Route`] (long and one-letter SDK paths).
//! 2. [`auth`]: the Basic header's write key, checked before the body is read.
//! 3. [`body`]: content type, content encoding and a declared `Content-Length` checked, then
//!    the body read chunk by chunk, never holding more than the limit (gzip decoded as it
//!    arrives, capped: `gzip.rs`).
//! 4. [`events`]: the JSON envelope; its `writeKey` authenticates a caller without a Basic
//!    header; then the events, batch-level fields merged within bounded sizes, with Segment's
//!    timestamps ([`timestamps`]: the clock-skew correction from `sentAt`).
//! 5. [`answer`]: what the sender is told, bounded in size, and nothing about the
//!    configuration to a caller without a valid write key.
//!
//! [`cors`] gives browsers the headers they need; [`cdn_settings`] serves analytics.js its
//! settings, pointing it at the Worker.

pub mod answer;
pub mod auth;
pub mod body;
pub mod cdn_settings;
pub mod cors;
pub mod events;
pub mod given;
mod gzip;
pub mod routes;
pub mod timestamps;

pub use routes::{route, Route};

/// Longest a sender may take to send its body, from the first byte the Worker reads; a
/// stalled upload is answered 408 rather than holding the request open.
pub const BODY_READ_TIMEOUT_MS: u64 = 10_000;
/// Largest accepted event, serialised (Segment's limit), counted with the batch-level fields it
/// gets.
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
/// Largest accepted request body (Segment's limit), on the wire and after gzip decoding.
pub const MAX_REQUEST_BYTES: usize = 500 * 1024;
/// Most events one request may carry. No Segment SDK comes near it (their batches hold 10 to
/// 100 events); it bounds the work and memory a 500 KB body of tiny items could ask for.
pub const MAX_BATCH_EVENTS: usize = 10_000;
/// Largest total size of a batch's events once batch-level `context` and `integrations` are
/// given to each: eight times the request limit.
pub const MAX_EXPANDED_BYTES: usize = 8 * MAX_REQUEST_BYTES;

/// Why a request body cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestError {
    /// The body is over [`MAX_REQUEST_BYTES`] on the wire (its declared length, when known).
    RequestTooLarge(Option<u64>),
    /// The gzip body decodes to more than [`MAX_REQUEST_BYTES`].
    DecodedTooLarge,
    /// One event is over [`MAX_EVENT_BYTES`].
    EventTooLarge {
        /// Its position in the request.
        index: usize,
        /// Its size in bytes.
        size: usize,
    },
    /// The batch's events would be over [`MAX_EXPANDED_BYTES`] in all.
    BatchTooLarge,
    /// More than [`MAX_BATCH_EVENTS`] events.
    TooManyEvents(usize),
    /// Neither the content type nor the body is JSON.
    UnsupportedContentType(String),
    /// A content encoding other than gzip.
    UnsupportedEncoding(String),
    /// The body is not JSON (or not gzip when it says so), or not the shape the route expects.
    Malformed(String),
    /// The sender took longer than [`BODY_READ_TIMEOUT_MS`] to send the body.
    BodyTimeout,
}

impl IngestError {
    /// The HTTP status that answers it.
    pub fn status(&self) -> u16 {
        match self {
            IngestError::RequestTooLarge(_)
            | IngestError::DecodedTooLarge
            | IngestError::EventTooLarge { .. }
            | IngestError::BatchTooLarge
            | IngestError::TooManyEvents(_) => 413,
            IngestError::UnsupportedContentType(_) | IngestError::UnsupportedEncoding(_) => 415,
            IngestError::Malformed(_) => 400,
            IngestError::BodyTimeout => 408,
        }
    }

    /// A stable code for programs (segment-analytics-python reads `code` and `message`).
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::RequestTooLarge(_) | IngestError::DecodedTooLarge => "request_too_large",
            IngestError::EventTooLarge { .. } => "event_too_large",
            IngestError::BatchTooLarge => "batch_too_large",
            IngestError::TooManyEvents(_) => "too_many_events",
            IngestError::UnsupportedContentType(_) => "unsupported_content_type",
            IngestError::UnsupportedEncoding(_) => "unsupported_content_encoding",
            IngestError::Malformed(_) => "invalid_request",
            IngestError::BodyTimeout => "body_timeout",
        }
    }

    /// A sentence for the response body.
    pub fn message(&self) -> String {
        match self {
            IngestError::RequestTooLarge(Some(size)) => format!("request body is {size} bytes; the limit is {MAX_REQUEST_BYTES} bytes (500 KB)"),
            IngestError::RequestTooLarge(None) => format!("request body is over the limit of {MAX_REQUEST_BYTES} bytes (500 KB)"),
            IngestError::DecodedTooLarge => format!("the gzip body decodes to more than the limit of {MAX_REQUEST_BYTES} bytes (500 KB)"),
            IngestError::EventTooLarge { index, size } => format!("event {index} is {size} bytes; the limit is {MAX_EVENT_BYTES} bytes (32 KB) per event"),
            IngestError::BatchTooLarge => format!("with the batch's `context` and `integrations` given to each event, the events would be over {MAX_EXPANDED_BYTES} bytes in all; send fewer events per request"),
            IngestError::TooManyEvents(n) => format!("the batch has {n} events; the limit is {MAX_BATCH_EVENTS} per request"),
            IngestError::UnsupportedContentType(t) => format!("the body is not JSON, and content-type {t:?} is not a JSON type; send JSON (application/json or text/plain)"),
            IngestError::UnsupportedEncoding(e) => format!("content-encoding {e:?} is not supported; send gzip or nothing"),
            IngestError::Malformed(m) => m.clone(),
            IngestError::BodyTimeout => format!("the body did not arrive within {} ms", BODY_READ_TIMEOUT_MS),
        }
    }
}
