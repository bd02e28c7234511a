//! The queue's message format, versioned: what the Worker enqueues for each valid event and
//! mapping ([`Pending`]), and what the consumer sends to the dead-letter queue when it gives up
//! on one ([`Abandoned`]). Messages travel as JSON text, `{"v": 1, "<kind>": {…}}`; the API key
//! and the endpoint never travel: the consumer takes them from its own environment.

use crate::actions::Action;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The format version this build writes and reads.
pub const VERSION: u64 = 1;

/// One event's Nudge payload for one mapping, waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// The mapping's action: where the payload goes and how requests carry it.
    pub action: Action,
    /// The mapping's name, for logs and dead letters.
    pub mapping: String,
    /// The mapping's position in the configuration when the event was accepted.
    pub mapping_position: usize,
    /// `Some(n)`: the mapping batches; the payload may share a request with up to `n - 1`
    /// others of the same mapping. `None`: sent in a request of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// The payload exactly as Nudge receives it (one element of a track batch, or the
    /// identify body).
    pub payload: Map<String, Value>,
    /// When the Worker accepted the event, in milliseconds since the epoch.
    pub accepted_at: i64,
}

/// A message the consumer will not deliver, on its way to the dead-letter store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Abandoned {
    /// The queue's id of the message given up on.
    pub message_id: String,
    /// Why: Nudge's final answer, the last failure, or why the message could not be read.
    pub reason: String,
    /// Nudge's last status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Deliveries of the message to the consumer, the last included.
    pub attempts: u32,
    /// When the consumer gave up, in milliseconds since the epoch.
    pub at: i64,
    /// The message given up on, as it was (its JSON, or its text when that was not JSON).
    pub message: Value,
}

/// Everything that travels through the queues.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueMessage {
    /// To be delivered to Nudge: `{"v": 1, "deliver": {…}}`.
    Deliver(Pending),
    /// Given up on by the consumer (sent to the dead-letter queue): `{"v": 1, "dead_letter": {…}}`.
    DeadLetter(Abandoned),
}

/// Why a message cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageError {
    /// Not JSON, or not the shape of any message kind.
    Unreadable(String),
    /// Written by a format version this build does not know.
    UnsupportedVersion(Option<u64>),
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::Unreadable(why) => write!(f, "unreadable queue message: {why}"),
            MessageError::UnsupportedVersion(Some(v)) => {
                write!(f, "queue message format version {v} is not {VERSION}")
            }
            MessageError::UnsupportedVersion(None) => {
                write!(f, "queue message has no format version (`v`)")
            }
        }
    }
}

impl std::error::Error for MessageError {}

/// The version alone, read first so that another version's shape is reported as such.
#[derive(Deserialize)]
struct Version {
    v: Option<u64>,
}

/// The text's shape: one member per kind, exactly one present. (A plain struct rather than a
/// tagged enum: serde reads it without buffering, which keeps the Worker smaller.)
#[derive(Serialize, Deserialize)]
struct Envelope<D, A> {
    v: u64,
    // A missing member reads as `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    deliver: Option<D>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dead_letter: Option<A>,
}

impl QueueMessage {
    /// The message as the JSON text that is enqueued.
    pub fn encode(&self) -> String {
        let envelope = match self {
            QueueMessage::Deliver(p) => Envelope {
                v: VERSION,
                deliver: Some(p),
                dead_letter: None,
            },
            QueueMessage::DeadLetter(a) => Envelope {
                v: VERSION,
                deliver: None,
                dead_letter: Some(a),
            },
        };
        // Maps with string keys and plain values: serialising cannot fail.
        serde_json::to_string(&envelope).unwrap_or_default()
    }

    /// Reads a message's JSON text.
    pub fn decode(text: &str) -> Result<QueueMessage, MessageError> {
        let unreadable = |e: serde_json::Error| MessageError::Unreadable(e.to_string());
        match serde_json::from_str::<Version>(text).map_err(unreadable)?.v {
            Some(VERSION) => {}
            other => return Err(MessageError::UnsupportedVersion(other)),
        }
        let envelope: Envelope<Pending, Abandoned> =
            serde_json::from_str(text).map_err(unreadable)?;
        match (envelope.deliver, envelope.dead_letter) {
            (Some(p), None) => Ok(QueueMessage::Deliver(p)),
            (None, Some(a)) => Ok(QueueMessage::DeadLetter(a)),
            _ => Err(MessageError::Unreadable(
                "it must have exactly one of `deliver` and `dead_letter`".into(),
            )),
        }
    }
}

/// A message's text as JSON, for keeping it in a dead letter: its JSON when it is JSON,
/// otherwise the text itself as a string.
pub fn as_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pending() -> Pending {
        Pending {
            action: Action::TrackEvent,
            mapping: "Track Event".into(),
            mapping_position: 1,
            batch_size: Some(100),
            payload: json!({"name": "signed_up", "ext_id": "u1", "occurred_at": "2025-05-14T02:00:00.000Z"})
                .as_object()
                .cloned()
                .unwrap(),
            accepted_at: 1_747_207_800_000,
        }
    }

    #[test]
    fn round_trips_with_a_version_and_a_kind() {
        let m = QueueMessage::Deliver(pending());
        let text = m.encode();
        assert!(
            text.starts_with(r#"{"v":1,"deliver":{"action":"trackEvent","#),
            "{text}"
        );
        assert_eq!(QueueMessage::decode(&text).unwrap(), m);
        let one_by_one = QueueMessage::Deliver(Pending {
            batch_size: None,
            action: Action::IdentifyUser,
            ..pending()
        });
        assert!(!one_by_one.encode().contains("batch_size"));
        assert_eq!(
            QueueMessage::decode(&one_by_one.encode()).unwrap(),
            one_by_one
        );
        let dead = QueueMessage::DeadLetter(Abandoned {
            message_id: "abc".into(),
            reason: "Nudge refused the request (400): bad".into(),
            status: Some(400),
            attempts: 1,
            at: 5,
            message: as_json(&m.encode()),
        });
        assert_eq!(QueueMessage::decode(&dead.encode()).unwrap(), dead);
    }

    #[test]
    fn never_carries_a_key() {
        let text = QueueMessage::Deliver(pending()).encode();
        for word in ["apikey", "endpoint", "http"] {
            assert!(!text.contains(word), "{word} in {text}");
        }
    }

    #[test]
    fn other_versions_and_shapes_are_typed_errors() {
        assert_eq!(
            QueueMessage::decode(r#"{"v":2,"deliver":7}"#),
            Err(MessageError::UnsupportedVersion(Some(2)))
        );
        assert_eq!(
            QueueMessage::decode(r#"{"deliver":{}}"#),
            Err(MessageError::UnsupportedVersion(None))
        );
        assert!(matches!(
            QueueMessage::decode(r#"{"v":1,"deliver":{"action":"sendEmail"}}"#),
            Err(MessageError::Unreadable(_))
        ));
        assert!(matches!(
            QueueMessage::decode(r#"{"v":1}"#),
            Err(MessageError::Unreadable(_))
        ));
        assert!(matches!(
            QueueMessage::decode("not json"),
            Err(MessageError::Unreadable(_))
        ));
        assert_eq!(as_json("not json"), json!("not json"));
        assert_eq!(as_json(r#"{"a":1}"#), json!({"a": 1}));
    }
}
