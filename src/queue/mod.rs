//! Durable delivery through Cloudflare Queues, decided without doing I/O.
//!
//! In queue mode the Worker answers as soon as the queue holds each valid event's Nudge
//! payload ([`enqueue`]: several payloads per message, in the format of [`message`]). The
//! consumer ([`consume`]) groups a batch's payloads into Nudge requests by the same rule as
//! direct mode ([`crate::batching`]), sends as many as the subrequest budget allows, splits
//! refused requests ([`crate::delivery::dispatch`]), and acknowledges, retries after a back-off
//! ([`backoff`]), carries on with the rest of, or dead-letters each message. Dead letters are
//! stored with their reason ([`dead_letter`]) and listed or replayed through the admin routes
//! ([`admin`]).

pub mod admin;
pub mod backoff;
pub mod consume;
pub mod dead_letter;
pub mod enqueue;
pub mod message;

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
