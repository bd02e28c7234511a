//! Durable delivery through Cloudflare Queues, decided without doing I/O.
//!
//! In queue mode the Worker answers as soon as the queue holds each valid event's Nudge
//! payload ([`enqueue`], in the format of [`message`]). A consumer takes batches of messages,
//! groups them into Nudge requests ([`group`]), sends as many as the subrequest budget allows
//! ([`crate::budget`]) and acknowledges, retries after a back-off ([`backoff`]) or dead-letters
//! each message ([`settle`]). Dead letters are stored with their reason ([`dead_letter`]) and
//! listed or replayed through the admin routes ([`admin`]).

pub mod admin;
pub mod backoff;
pub mod dead_letter;
pub mod enqueue;
pub mod group;
pub mod message;
pub mod settle;

/// How the Worker delivers (`DELIVERY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// Enqueue, answer at once, deliver from the queue with retries for hours.
    Queue,
    /// Send within the request and answer with each event's delivery.
    Direct,
}

impl DeliveryMode {
    /// Reads `DELIVERY`: `queue` (also when unset) or `direct`.
    pub fn from_setting(value: Option<&str>) -> Result<DeliveryMode, String> {
        match value.map(str::trim) {
            None | Some("") | Some("queue") => Ok(DeliveryMode::Queue),
            Some("direct") => Ok(DeliveryMode::Direct),
            Some(other) => Err(format!(
                "DELIVERY must be \"queue\" or \"direct\", found {other:?}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_mode() {
        assert_eq!(DeliveryMode::from_setting(None), Ok(DeliveryMode::Queue));
        assert_eq!(
            DeliveryMode::from_setting(Some(" direct ")),
            Ok(DeliveryMode::Direct)
        );
        assert!(DeliveryMode::from_setting(Some("Queue")).is_err());
    }
}
