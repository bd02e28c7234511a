//! The times Segment's Tracking API gives an event before any destination sees it.
//!
//! Segment's API stamps each event with `receivedAt` (its own clock), keeps the client's
//! `timestamp` as `originalTimestamp`, and corrects `timestamp` for the sending device's clock
//! skew when the sender says when it sent the request (`sentAt`, which every Segment SDK
//! sets):
//!
//! `timestamp = receivedAt − (sentAt − originalTimestamp)`
//!
//! An event without a `timestamp` but with an `originalTimestamp` that is a date (RudderStack's
//! SDKs date events only so, as its API and Segment's name the client's time) is corrected from
//! that, the same way; an event with neither gets `receivedAt`. So the `timestamp` a mapping reads (and
//! Nudge's `occurred_at`) is the time the event happened on the receiver's clock, as Segment
//! delivers it: a phone whose clock is an hour fast sends events an hour "in the future", and
//! both Segment and nudge-edge move them back. For a server SDK, whose clock is right, the
//! correction is the request's transit time (milliseconds). A `timestamp` or `sentAt` that is
//! not a date is left alone (an unreadable `timestamp` is then reported by the plan).

use super::given::{json_string, Received, Set};
use crate::datetime::{parse_text, time_clip, to_iso_string};
use crate::json::read::Member;
use crate::json::read::{self, find, Kind, Scalar};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A batch's `sentAt`, read once for all its events.
#[derive(Debug, Clone, Copy)]
pub struct SentAt<'a> {
    raw: &'a RawValue,
    ms: Option<i64>,
}

impl<'a> SentAt<'a> {
    /// `sentAt` as sent, and its time when it is a date.
    pub fn new(raw: &'a RawValue) -> SentAt<'a> {
        SentAt {
            raw,
            ms: date_ms(raw),
        }
    }
}

/// The members that give `event` Segment's `receivedAt`, `originalTimestamp`, `sentAt` and
/// corrected `timestamp`, to be set over its own. `batch_sent_at` is its batch's `sentAt` (the
/// event's own wins); `received` is when the request arrived.
pub fn stamp<'a>(
    event: &[Member<'a>],
    batch_sent_at: Option<SentAt<'a>>,
    received: &Received,
) -> Vec<Set<'a>> {
    let Some(received_json) = &received.json else {
        return Vec::new();
    };
    let mut sets = Vec::with_capacity(4);
    let sent_ms = match (find(event, "sentAt"), batch_sent_at) {
        (Some(own), _) => date_ms(own),
        (None, Some(batch)) => {
            sets.push(Set::added("sentAt", Cow::Borrowed(batch.raw)));
            batch.ms
        }
        (None, None) => None,
    };
    let client_time = find(event, "timestamp")
        .filter(|t| read::kind(t) != Kind::Null)
        .or_else(|| find(event, "originalTimestamp").filter(|t| date_ms(t).is_some()));
    match client_time {
        None => sets.push(Set::replaced(
            "timestamp",
            Cow::Owned(received_json.clone()),
        )),
        Some(original) => {
            let corrected = date_ms(original)
                .zip(sent_ms)
                .and_then(|(at, sent)| corrected_ms(at, sent, received.ms))
                .and_then(to_iso_string);
            match corrected {
                Some(corrected) => sets.push(Set::replaced("timestamp", json_string(&corrected))),
                // Uncorrected, the client's time is the timestamp, whichever field carried it.
                None => sets.push(Set::replaced("timestamp", Cow::Borrowed(original))),
            }
            sets.push(Set::replaced("originalTimestamp", Cow::Borrowed(original)));
        }
    }
    sets.push(Set::replaced(
        "receivedAt",
        Cow::Owned(received_json.clone()),
    ));
    sets
}

/// A date's milliseconds, from a string or a number (anything else is not a date).
fn date_ms(raw: &RawValue) -> Option<i64> {
    // Read in place: no string is copied and no tree built for the one or two per event.
    match read::kind(raw) {
        Kind::String => read::string(raw).and_then(|s| parse_text(&s)),
        Kind::Number => match read::scalar(raw)? {
            Scalar::Number(n) => time_clip(n),
            _ => None,
        },
        _ => None,
    }
}

/// `receivedAt − (sentAt − originalTimestamp)`, in milliseconds.
fn corrected_ms(original: i64, sent: i64, received: i64) -> Option<i64> {
    received.checked_sub(sent.checked_sub(original)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::events::merge;
    use serde_json::{json, Value};

    const RECEIVED: i64 = 1_747_207_800_000; // 2025-05-14T07:30:00.000Z

    /// `event` with its stamps, read back as a tree.
    fn stamped(event: Value, batch_sent_at: Option<Value>) -> Value {
        let text = event.to_string();
        let batch = batch_sent_at.map(|v| serde_json::value::to_raw_value(&v).unwrap());
        let members = read::members(serde_json::from_str(&text).unwrap()).unwrap();
        let sets = stamp(
            &members,
            batch.as_deref().map(SentAt::new),
            &Received::at(RECEIVED),
        );
        let (merged, _) = merge(&members, sets);
        let object = merged
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::from_str(v.get()).unwrap()));
        Value::Object(object.collect())
    }

    #[test]
    fn corrects_a_fast_device_clock() {
        // The phone's clock is one hour fast: it says the event happened at 08:29:00 and the
        // request left at 08:30:00; the Worker received it at 07:30:00.
        let got = stamped(
            json!({"timestamp": "2025-05-14T08:29:00.000Z", "sentAt": "2025-05-14T08:30:00.000Z"}),
            None,
        );
        assert_eq!(got["timestamp"], "2025-05-14T07:29:00.000Z");
        assert_eq!(got["originalTimestamp"], "2025-05-14T08:29:00.000Z");
        assert_eq!(got["receivedAt"], "2025-05-14T07:30:00.000Z");
        assert_eq!(got["sentAt"], "2025-05-14T08:30:00.000Z");
    }

    #[test]
    fn a_batch_sent_at_applies_to_events_without_their_own() {
        let batch = json!("2025-05-14T07:29:59.750+00:00");
        let got = stamped(
            json!({"timestamp": "2025-05-14T07:00:00Z"}),
            Some(batch.clone()),
        );
        assert_eq!(
            got["timestamp"], "2025-05-14T07:00:00.250Z",
            "250 ms in transit"
        );
        assert_eq!(got["sentAt"], batch);
        let own = stamped(
            json!({"timestamp": "2025-05-14T07:00:00Z", "sentAt": "2025-05-14T07:30:00Z"}),
            Some(batch),
        );
        assert_eq!(own["timestamp"], "2025-05-14T07:00:00.000Z");
    }

    #[test]
    fn what_is_not_corrected() {
        // No sentAt: the client's timestamp as it is.
        let alone = stamped(json!({"timestamp": "2025-05-14"}), None);
        assert_eq!(alone["timestamp"], "2025-05-14");
        assert_eq!(alone["originalTimestamp"], "2025-05-14");
        // Not a date: left for the plan to report.
        let bad = stamped(
            json!({"timestamp": "soon", "sentAt": "2025-05-14T07:30:00Z"}),
            None,
        );
        assert_eq!(bad["timestamp"], "soon");
        let bad_sent = stamped(
            json!({"timestamp": "2025-05-14T07:00:00Z", "sentAt": {}}),
            None,
        );
        assert_eq!(bad_sent["timestamp"], "2025-05-14T07:00:00Z");
        // A correction past the range of dates: left as it is.
        let far = stamped(
            json!({"timestamp": -8.64e15, "sentAt": "+275760-09-13T00:00:00.000Z"}),
            None,
        );
        assert_eq!(far["timestamp"], json!(-8.64e15));
    }

    #[test]
    fn no_timestamp_means_received_at() {
        for event in [json!({}), json!({"timestamp": null})] {
            let got = stamped(event, Some(json!("2020-01-01T00:00:00Z")));
            assert_eq!(got["timestamp"], "2025-05-14T07:30:00.000Z");
            assert!(got.get("originalTimestamp").is_none());
        }
    }

    #[test]
    fn original_timestamp_stands_in_for_a_missing_timestamp() {
        // RudderStack's SDKs: originalTimestamp and sentAt from a clock an hour fast.
        let got = stamped(
            json!({"originalTimestamp": "2025-05-14T06:29:00.000Z", "sentAt": "2025-05-14T08:30:00.000Z"}),
            None,
        );
        assert_eq!(got["timestamp"], "2025-05-14T05:29:00.000Z");
        assert_eq!(got["originalTimestamp"], "2025-05-14T06:29:00.000Z");
        let batch = stamped(
            json!({"originalTimestamp": "2025-05-14T07:29:50Z", "timestamp": null}),
            Some(json!("2025-05-14T07:30:00Z")),
        );
        assert_eq!(
            batch["timestamp"], "2025-05-14T07:29:50.000Z",
            "10 s in the SDK's queue"
        );
        // Without sentAt, the client's time as it is.
        let alone = stamped(json!({"originalTimestamp": "2025-05-14"}), None);
        assert_eq!(alone["timestamp"], "2025-05-14");
        // timestamp wins over it, and it becomes timestamp's original.
        let both = stamped(
            json!({"timestamp": "2025-05-14T07:00:00Z", "originalTimestamp": "2020-01-01T00:00:00Z"}),
            None,
        );
        assert_eq!(both["timestamp"], "2025-05-14T07:00:00Z");
        assert_eq!(both["originalTimestamp"], "2025-05-14T07:00:00Z");
        // One that is not a date is no client time: receivedAt, and it is left as sent.
        for original in [json!("soon"), json!(null), json!({})] {
            let got = stamped(
                json!({"originalTimestamp": original.clone(), "sentAt": "2025-05-14T07:30:00Z"}),
                None,
            );
            assert_eq!(got["timestamp"], "2025-05-14T07:30:00.000Z");
            assert_eq!(got["originalTimestamp"], original);
        }
    }

    #[test]
    fn unix_times_are_corrected_like_any_date() {
        let got = stamped(
            json!({"timestamp": 1_747_207_700_000_i64, "sentAt": 1_747_207_799_000_i64}),
            None,
        );
        assert_eq!(got["timestamp"], "2025-05-14T07:28:21.000Z");
    }
}
