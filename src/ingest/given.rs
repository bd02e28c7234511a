//! What the front door gives each event: members it adds or sets (batch-level fields,
//! Segment's timestamps) and the request's arrival they are stamped with.

use crate::datetime::to_iso_string;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A JSON value's text, borrowed from the body or made by the front door.
pub type Json<'a> = Cow<'a, RawValue>;

/// A member the front door gives an event: added when the event lacks the key (a batch-level
/// field, counted in the event's size), or set in place of the event's own (at its first
/// position, counted at the size of the member it replaces: Segment's timestamps).
#[derive(Debug, Clone)]
pub struct Set<'a> {
    pub(super) key: &'static str,
    pub(super) value: Json<'a>,
    pub(super) replaces: bool,
}

impl<'a> Set<'a> {
    /// `key: value` for an event without `key` (the caller only adds it then).
    pub fn added(key: &'static str, value: Json<'a>) -> Set<'a> {
        Set {
            key,
            value,
            replaces: false,
        }
    }

    /// `key: value` whether or not the event has `key`.
    pub fn replaced(key: &'static str, value: Json<'a>) -> Set<'a> {
        Set {
            key,
            value,
            replaces: true,
        }
    }
}

/// A string as JSON text.
pub fn json_string(s: &str) -> Json<'static> {
    // Serialising a string cannot fail.
    Cow::Owned(serde_json::value::to_raw_value(s).unwrap_or_default())
}

/// The request's arrival, as a time and as the `receivedAt` every event of it gets.
pub struct Received {
    /// Milliseconds since the epoch.
    pub ms: i64,
    /// `receivedAt`'s JSON text (`None` for a clock outside the range of dates).
    pub json: Option<Box<RawValue>>,
    /// What the `messageId`s given to events without one start with, when they are given.
    pub request_id: Option<String>,
}

impl Received {
    /// The arrival at `ms` milliseconds since the epoch.
    pub fn at(ms: i64) -> Received {
        Received {
            ms,
            json: to_iso_string(ms).map(|iso| json_string(&iso).into_owned()),
            request_id: None,
        }
    }
}
