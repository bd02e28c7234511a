//! Dead letters: messages that will not be delivered by retrying, kept with why, how many
//! attempts were made and when, so that a person can read them and replay them once the cause
//! is fixed. The dead-letter queue's consumer stores one record per message under a key that
//! sorts by time; the same message stored twice (the queue delivers at least once) keeps one
//! record.

use crate::datetime::to_iso_string;
use crate::json::RawJson;
use crate::queue::enqueue::REASON_BYTES;
use crate::queue::message::{as_json, Abandoned, QueueMessage};
use crate::text::clip_bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One stored dead letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Its key in the store: the time, then the queue's message id.
    pub id: String,
    /// Why it was not delivered.
    pub reason: String,
    /// Nudge's last status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Deliveries of the message to the consumer.
    pub attempts: u32,
    /// When it was given up on (UTC, ISO 8601).
    pub at: String,
    /// The message, as enqueued: replaying enqueues it again. Kept as JSON text, so that a
    /// message of any depth is kept and replayed as it was.
    pub message: RawJson,
}

/// The store key: milliseconds since the epoch (15 digits, so that keys sort by time), then
/// the queue's message id.
pub fn key(at_ms: i64, message_id: &str) -> String {
    format!("{:015}-{message_id}", at_ms.max(0))
}

impl DeadLetter {
    /// The record of a message the consumer gave up on.
    pub fn from_abandoned(a: Abandoned) -> DeadLetter {
        DeadLetter {
            id: key(a.at, &a.message_id),
            reason: clip_bytes(&a.reason, REASON_BYTES).to_string(),
            status: a.status,
            attempts: a.attempts,
            at: to_iso_string(a.at).unwrap_or_default(),
            message: a.message,
        }
    }

    /// The record of a message the queue itself moved to the dead-letter queue: its retries
    /// ran out without the consumer giving up on it (it was deferred on its last attempt, or
    /// the consumer failed as a whole).
    pub fn moved_by_queue(
        message_id: &str,
        text: &str,
        at_ms: i64,
        max_retries: u32,
    ) -> DeadLetter {
        DeadLetter {
            id: key(at_ms, message_id),
            reason: format!("the queue gave up on it after {} attempts", max_retries + 1),
            status: None,
            attempts: max_retries + 1,
            at: to_iso_string(at_ms).unwrap_or_default(),
            message: as_json(text),
        }
    }

    /// The record of whatever arrives on the dead-letter queue: a message the consumer gave
    /// up on, or one the queue moved there.
    pub fn from_dead_letter_queue(
        message_id: &str,
        text: &str,
        at_ms: i64,
        max_retries: u32,
    ) -> DeadLetter {
        match QueueMessage::decode(text) {
            Ok(QueueMessage::DeadLetter(abandoned)) => DeadLetter::from_abandoned(abandoned),
            _ => DeadLetter::moved_by_queue(message_id, text, at_ms, max_retries),
        }
    }

    /// What the store's listing shows without reading the record (KV metadata holds at most
    /// 1,024 bytes).
    pub fn summary(&self) -> Value {
        let mut room = 600;
        loop {
            let summary = json!({
                "reason": clip_bytes(&self.reason, room),
                "status": self.status,
                "attempts": self.attempts,
                "at": self.at,
            });
            // Escapes can make the reason's JSON up to six times its length.
            if room == 0 || summary.to_string().len() <= 1_000 {
                return summary;
            }
            room /= 2;
        }
    }

    /// The record as a JSON tree, for the admin listing. A message nested deeper than a tree
    /// may be ([`crate::json::read::MAX_TREE_DEPTH`]) is listed as its JSON text, a string,
    /// with `"message_is_text": true`; replay reads the stored text, at any depth.
    pub fn listed(&self) -> Value {
        let mut listed = json!({
            "id": self.id,
            "reason": self.reason,
            "attempts": self.attempts,
            "at": self.at,
        });
        if let Some(status) = self.status {
            listed["status"] = json!(status);
        }
        match crate::json::read::tree(self.message.text()) {
            Ok(message) => listed["message"] = message,
            Err(_) => {
                listed["message"] = json!(self.message.text());
                listed["message_is_text"] = json!(true);
            }
        }
        listed
    }

    /// The message text to enqueue again, or why it cannot be replayed.
    pub fn replay(&self) -> Result<String, String> {
        match QueueMessage::decode(self.message.text()) {
            Ok(message @ QueueMessage::Deliver(_)) => Ok(message.encode()),
            Ok(QueueMessage::DeadLetter(_)) => Err("it is not a delivery message".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Action;
    use crate::batching::Destination;
    use crate::json::RawJson;
    use crate::queue::message::Pending;

    fn deliver() -> QueueMessage {
        QueueMessage::Deliver(Pending {
            destination: Destination {
                action: Action::IdentifyUser,
                mapping: "Identify".into(),
                mapping_position: 0,
                batch_size: None,
            },
            payloads: vec![RawJson::from_value(&serde_json::json!({}))],
            ids: Vec::new(),
            accepted_at: 1,
            attempts: 0,
        })
    }

    #[test]
    fn keys_sort_by_time() {
        assert_eq!(key(1_747_207_800_000, "ab"), "001747207800000-ab");
        assert!(key(999, "z") < key(1_000, "a"));
        assert_eq!(key(-5, "a"), "000000000000000-a");
    }

    #[test]
    fn records_what_the_consumer_gave_up_on_and_replays_it() {
        let abandoned = QueueMessage::DeadLetter(Abandoned {
            message_id: "m1".into(),
            reason: "Nudge refused the request (400): bad ext_id".into(),
            status: Some(400),
            attempts: 1,
            at: 1_747_207_800_000,
            message: as_json(&deliver().encode()),
        });
        let record = DeadLetter::from_dead_letter_queue("dlq-id", &abandoned.encode(), 5, 16);
        assert_eq!(record.id, "001747207800000-m1");
        assert_eq!(record.at, "2025-05-14T07:30:00.000Z");
        assert_eq!(record.status, Some(400));
        assert_eq!(record.attempts, 1);
        assert_eq!(
            record.summary()["reason"],
            "Nudge refused the request (400): bad ext_id"
        );
        assert_eq!(record.replay(), Ok(deliver().encode()));
        let stored: DeadLetter =
            serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
        assert_eq!(stored, record);
    }

    #[test]
    fn records_what_the_queue_moved() {
        let record = DeadLetter::from_dead_letter_queue("m2", &deliver().encode(), 0, 16);
        assert_eq!(record.reason, "the queue gave up on it after 17 attempts");
        assert_eq!(record.attempts, 17);
        assert_eq!(record.replay(), Ok(deliver().encode()));
        let unreadable = DeadLetter::from_dead_letter_queue("m3", "garbage", 0, 16);
        assert_eq!(unreadable.message.text(), r#""garbage""#);
        assert!(unreadable
            .replay()
            .unwrap_err()
            .starts_with("unreadable queue message"));
    }

    #[test]
    fn deep_messages_are_kept_listed_as_text_and_replayed() {
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let message = QueueMessage::Deliver(Pending {
            destination: Destination {
                action: Action::TrackEvent,
                mapping: "T".into(),
                mapping_position: 0,
                batch_size: None,
            },
            payloads: vec![RawJson::from_text(format!("{{\"props\":{deep}}}")).unwrap()],
            ids: Vec::new(),
            accepted_at: 1,
            attempts: 0,
        });
        let record = DeadLetter::from_dead_letter_queue("m", &message.encode(), 0, 16);
        let stored = serde_json::to_string(&record).unwrap();
        let read: DeadLetter = serde_json::from_str(&stored).unwrap();
        assert_eq!(read.replay(), Ok(message.encode()));
        let listed = read.listed();
        assert_eq!(listed["message_is_text"], true);
        assert_eq!(listed["message"], message.encode());
        assert!(serde_json::to_string(&listed).is_ok());
        let shallow = DeadLetter::from_dead_letter_queue("m", &deliver().encode(), 0, 16).listed();
        assert_eq!(shallow["message"]["v"], 2);
        assert_eq!(shallow.get("message_is_text"), None);
    }

    #[test]
    fn long_reasons_are_clipped_on_a_character_boundary() {
        let long = "é".repeat(2_000);
        let record = DeadLetter::from_abandoned(Abandoned {
            message_id: "m".into(),
            reason: long,
            status: None,
            attempts: 3,
            at: 0,
            message: as_json("null"),
        });
        assert!(record.reason.len() <= REASON_BYTES);
        assert!(serde_json::to_vec(&record.summary()).unwrap().len() < 1024);
        let escaped = DeadLetter {
            reason: "\u{1}".repeat(900),
            ..record
        };
        assert!(serde_json::to_vec(&escaped.summary()).unwrap().len() < 1024);
    }
}
