//! The queue's message format, versioned: what the Worker enqueues for the valid payloads of a
//! request ([`Pending`]: several payloads of one destination in one message, so that a
//! 100-event batch costs one message rather than 100), and what the consumer sends to the
//! dead-letter queue when it gives up on some ([`Abandoned`]). Messages travel as JSON text,
//! `{"v": 2, "<kind>": {…}}`; payloads and kept messages stay JSON text at any depth (never a
//! tree), so that whatever the front door took can be dead-lettered and replayed. The API key
//! and the endpoint never travel: the consumer takes them from its own environment. Version 1
//! messages (one payload each) are still read.

use crate::actions::Action;
use crate::batching::Destination;
use crate::json::write::write_str;
use crate::json::RawJson;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The format version this build writes.
pub const VERSION: u64 = 2;

/// Payloads of one destination, waiting to be delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Where they go and with whom they may share a request.
    pub destination: Destination,
    /// Each payload exactly as Nudge receives it (one element of a track batch, or an identify
    /// body), as JSON text.
    pub payloads: Vec<RawJson>,
    /// Each payload's event's `messageId` (`""` when it has none), for de-duplication; empty
    /// when no payload has one.
    pub ids: Vec<String>,
    /// When the Worker accepted the events, in milliseconds since the epoch.
    pub accepted_at: i64,
    /// Deliveries to the consumer of the messages these payloads travelled in before this one
    /// (a message that carries on what another did not finish), for the back-off and the last
    /// attempt.
    pub attempts: u32,
}

impl Pending {
    /// The message text for `payloads` (each a payload's JSON text and its event's
    /// `messageId`) of `destination`, written without reading the payloads again.
    pub fn encode<'a>(
        destination: &Destination,
        payloads: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
        accepted_at: i64,
        attempts: u32,
    ) -> String {
        // Sized up front: a message holds up to 128 KB of payloads, which growing from nothing
        // would copy several times over.
        let listed: usize = (payloads.clone().into_iter())
            .map(|(payload, id)| payload.len() + id.len() + 4)
            .fold(128 + destination.mapping.len(), usize::saturating_add);
        let mut out = String::with_capacity(listed);
        out.push_str("{\"v\":2,\"deliver\":{\"action\":\"");
        out.push_str(destination.action.key());
        out.push_str("\",\"mapping\":");
        write_str(&destination.mapping, &mut out);
        out.push_str(",\"mapping_position\":");
        out.push_str(itoa::Buffer::new().format(destination.mapping_position));
        if let Some(n) = destination.batch_size {
            out.push_str(",\"batch_size\":");
            out.push_str(itoa::Buffer::new().format(n));
        }
        out.push_str(",\"accepted_at\":");
        out.push_str(itoa::Buffer::new().format(accepted_at));
        if attempts > 0 {
            out.push_str(",\"attempts\":");
            out.push_str(itoa::Buffer::new().format(attempts));
        }
        out.push_str(",\"payloads\":[");
        for (i, (payload, _)) in payloads.clone().into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(payload);
        }
        out.push(']');
        if payloads.clone().into_iter().any(|(_, id)| !id.is_empty()) {
            out.push_str(",\"ids\":[");
            for (i, (_, id)) in payloads.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(id, &mut out);
            }
            out.push(']');
        }
        out.push_str("}}");
        out
    }

    /// The `messageId` of payload `i` (`None` when it has none).
    pub fn id(&self, i: usize) -> Option<&str> {
        self.ids
            .get(i)
            .map(String::as_str)
            .filter(|id| !id.is_empty())
    }

    /// The message text carrying `members` (positions in [`Pending::payloads`]) after
    /// `attempts` deliveries in all.
    pub fn encode_some(&self, members: &[usize], attempts: u32) -> String {
        Pending::encode(
            &self.destination,
            members
                .iter()
                .filter_map(|&m| Some((self.payloads.get(m)?.text(), self.id(m).unwrap_or(""))))
                .collect::<Vec<_>>(),
            self.accepted_at,
            attempts,
        )
    }
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
    /// Deliveries of the payloads to the consumer, the last included.
    pub attempts: u32,
    /// When the consumer gave up, in milliseconds since the epoch.
    pub at: i64,
    /// The message to replay: a delivery message of the payloads given up on (or, when the
    /// message could not be read, its JSON or its text as a JSON string).
    pub message: RawJson,
}

/// Everything that travels through the queues.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueMessage {
    /// To be delivered to Nudge: `{"v": 2, "deliver": {…}}`.
    Deliver(Pending),
    /// Given up on by the consumer (sent to the dead-letter queue): `{"v": 2, "dead_letter": {…}}`.
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
                write!(f, "queue message format version {v} is not 1 or {VERSION}")
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

/// A delivery as written: version 2 carries `payloads` (and `attempts` once carried on),
/// version 1 one `payload`.
#[derive(Deserialize)]
struct Deliver {
    action: Action,
    mapping: String,
    mapping_position: usize,
    #[serde(default)]
    batch_size: Option<usize>,
    accepted_at: i64,
    #[serde(default)]
    attempts: u32,
    #[serde(default)]
    payloads: Option<Vec<RawJson>>,
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    payload: Option<RawJson>,
}

/// The text's shape: one member per kind, exactly one present. (A plain struct rather than a
/// tagged enum: serde reads it without buffering, which keeps the Worker smaller.)
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    deliver: Option<Deliver>,
    #[serde(default)]
    dead_letter: Option<Abandoned>,
}

#[derive(Serialize)]
struct DeadLetterEnvelope<'a> {
    v: u64,
    dead_letter: &'a Abandoned,
}

impl QueueMessage {
    /// The message as the JSON text that is enqueued.
    pub fn encode(&self) -> String {
        match self {
            QueueMessage::Deliver(p) => {
                p.encode_some(&(0..p.payloads.len()).collect::<Vec<_>>(), p.attempts)
            }
            // Strings, numbers and JSON text: serialising cannot fail.
            QueueMessage::DeadLetter(a) => serde_json::to_string(&DeadLetterEnvelope {
                v: VERSION,
                dead_letter: a,
            })
            .unwrap_or_default(),
        }
    }

    /// Reads a message's JSON text (version 1 or 2).
    pub fn decode(text: &str) -> Result<QueueMessage, MessageError> {
        let unreadable = |e: serde_json::Error| MessageError::Unreadable(e.to_string());
        match serde_json::from_str::<Version>(text).map_err(unreadable)?.v {
            Some(1 | VERSION) => {}
            other => return Err(MessageError::UnsupportedVersion(other)),
        }
        let envelope: Envelope = serde_json::from_str(text).map_err(unreadable)?;
        match (envelope.deliver, envelope.dead_letter) {
            (Some(d), None) => {
                let payloads = match (d.payloads, d.payload) {
                    (Some(many), None) if !many.is_empty() => many,
                    (None, Some(one)) => vec![one],
                    _ => {
                        return Err(MessageError::Unreadable(
                            "a delivery must carry `payloads` (at least one) or one `payload`"
                                .into(),
                        ))
                    }
                };
                Ok(QueueMessage::Deliver(Pending {
                    destination: Destination {
                        action: d.action,
                        mapping: d.mapping,
                        mapping_position: d.mapping_position,
                        batch_size: d.batch_size,
                    },
                    payloads,
                    ids: d.ids,
                    accepted_at: d.accepted_at,
                    attempts: d.attempts,
                }))
            }
            (None, Some(a)) => Ok(QueueMessage::DeadLetter(a)),
            _ => Err(MessageError::Unreadable(
                "it must have exactly one of `deliver` and `dead_letter`".into(),
            )),
        }
    }
}

/// A message's text as JSON text, for keeping it in a dead letter: the text when it is JSON,
/// otherwise the text as a JSON string.
pub fn as_json(text: &str) -> RawJson {
    RawJson::from_text(text.to_string())
        .or_else(|| {
            let mut quoted = String::with_capacity(text.len() + 2);
            write_str(text, &mut quoted);
            RawJson::from_text(quoted)
        })
        .unwrap_or_else(|| RawJson::from_value(&serde_json::Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn destination(action: Action, batch_size: Option<usize>) -> Destination {
        Destination {
            action,
            mapping: "Track \"Event\"".into(),
            mapping_position: 1,
            batch_size,
        }
    }

    fn pending() -> Pending {
        Pending {
            destination: destination(Action::TrackEvent, Some(100)),
            payloads: vec![
                RawJson::from_value(
                    &json!({"name": "signed_up", "ext_id": "u1", "occurred_at": "2025-05-14T02:00:00.000Z"}),
                ),
                RawJson::from_value(&json!({"name": "b", "ext_id": "u2"})),
            ],
            ids: Vec::new(),
            accepted_at: 1_747_207_800_000,
            attempts: 0,
        }
    }

    #[test]
    fn round_trips_several_payloads_with_a_version_and_a_kind() {
        let m = QueueMessage::Deliver(pending());
        let text = m.encode();
        assert!(
            text.starts_with(
                r#"{"v":2,"deliver":{"action":"trackEvent","mapping":"Track \"Event\"","#
            ),
            "{text}"
        );
        assert!(!text.contains("attempts"), "no attempts until carried on");
        assert_eq!(QueueMessage::decode(&text).unwrap(), m);
        let carried = Pending {
            attempts: 3,
            destination: destination(Action::IdentifyUser, None),
            ..pending()
        };
        let text = QueueMessage::Deliver(carried.clone()).encode();
        assert!(!text.contains("batch_size"));
        assert_eq!(
            QueueMessage::decode(&text).unwrap(),
            QueueMessage::Deliver(carried.clone())
        );
        let rest = carried.encode_some(&[1, 7], 5);
        match QueueMessage::decode(&rest).unwrap() {
            QueueMessage::Deliver(p) => {
                assert_eq!(p.payloads, vec![carried.payloads[1].clone()]);
                assert_eq!(p.attempts, 5);
            }
            other => panic!("{other:?}"),
        }
        let dead = QueueMessage::DeadLetter(Abandoned {
            message_id: "abc".into(),
            reason: "Nudge refused the request (400): bad".into(),
            status: Some(400),
            attempts: 1,
            at: 5,
            message: as_json(&m.encode()),
        });
        assert!(dead.encode().starts_with(r#"{"v":2,"dead_letter":{"#));
        assert_eq!(QueueMessage::decode(&dead.encode()).unwrap(), dead);
    }

    #[test]
    fn reads_version_1_messages_of_one_payload() {
        let v1 = r#"{"v":1,"deliver":{"action":"trackEvent","mapping":"T","mapping_position":0,"batch_size":10,"payload":{"name":"a"},"accepted_at":7}}"#;
        match QueueMessage::decode(v1).unwrap() {
            QueueMessage::Deliver(p) => {
                assert_eq!(p.payloads.len(), 1);
                assert_eq!(p.payloads[0].text(), r#"{"name":"a"}"#);
                assert_eq!(p.destination.batch_size, Some(10));
                assert_eq!((p.accepted_at, p.attempts), (7, 0));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn payloads_and_kept_messages_are_read_at_any_depth() {
        let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
        let text = Pending::encode(
            &destination(Action::TrackEvent, None),
            [(format!("{{\"props\":{deep}}}").as_str(), "m-1")],
            0,
            0,
        );
        let Ok(QueueMessage::Deliver(p)) = QueueMessage::decode(&text) else {
            panic!("a deep payload is read");
        };
        let dead = QueueMessage::DeadLetter(Abandoned {
            message_id: "m".into(),
            reason: "r".into(),
            status: None,
            attempts: 1,
            at: 0,
            message: as_json(&QueueMessage::Deliver(p.clone()).encode()),
        });
        let Ok(QueueMessage::DeadLetter(a)) = QueueMessage::decode(&dead.encode()) else {
            panic!("a deep dead letter is read");
        };
        assert_eq!(
            QueueMessage::decode(a.message.text()).unwrap(),
            QueueMessage::Deliver(p)
        );
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
            QueueMessage::decode(r#"{"v":3,"deliver":7}"#),
            Err(MessageError::UnsupportedVersion(Some(3)))
        );
        assert_eq!(
            QueueMessage::decode(r#"{"deliver":{}}"#),
            Err(MessageError::UnsupportedVersion(None))
        );
        for bad in [
            r#"{"v":2,"deliver":{"action":"sendEmail"}}"#,
            r#"{"v":2}"#,
            r#"{"v":2,"deliver":{"action":"trackEvent","mapping":"T","mapping_position":0,"accepted_at":0,"payloads":[]}}"#,
            "not json",
        ] {
            assert!(
                matches!(QueueMessage::decode(bad), Err(MessageError::Unreadable(_))),
                "{bad}"
            );
        }
        assert_eq!(as_json("not json").text(), r#""not json""#);
        assert_eq!(as_json(r#"{"a":1}"#).text(), r#"{"a":1}"#);
    }
}
