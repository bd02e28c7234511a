//! What becomes of each queued message once its request has been tried: acknowledged when
//! Nudge accepted it; retried after the back-off when Nudge was unavailable (429, 5xx, no
//! answer); dead-lettered with Nudge's reason when the answer is final (400, 401, 403, 404,
//! 422, a redirect…) or when the retries are spent. Answers are classified by
//! [`crate::delivery::verdict`], as in direct mode.

use crate::delivery::{verdict, Verdict};
use crate::queue::backoff::Schedule;

/// How one attempt at a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nudge answered.
    Answered {
        /// Its status.
        status: u16,
        /// Its `Retry-After`, in milliseconds.
        retry_after_ms: Option<u64>,
        /// The start of its answer (the API key taken out).
        detail: String,
    },
    /// No answer: a timeout, a network error, or a request that could not be made.
    NoAnswer(String),
}

/// What to do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Delivered: acknowledge it.
    Ack,
    /// Try again after `delay_s` seconds.
    Retry {
        /// Seconds the queue keeps it back.
        delay_s: u32,
    },
    /// Do not try again: keep it as a dead letter.
    DeadLetter {
        /// Why, for the person reading the dead letters.
        reason: String,
        /// Nudge's status, when it answered.
        status: Option<u16>,
    },
}

/// The disposition of a message on its `attempts`-th delivery (the queue counts from 1), after
/// `outcome`, when the consumer may retry it `max_retries` times.
pub fn dispose(
    outcome: &Outcome,
    attempts: u32,
    schedule: &Schedule,
    max_retries: u32,
) -> Disposition {
    let (status, retry_after_ms, detail) = match outcome {
        Outcome::Answered { status, .. } if verdict(*status) == Verdict::Accepted => {
            return Disposition::Ack;
        }
        Outcome::Answered { status, detail, .. } if verdict(*status) == Verdict::Final => {
            return Disposition::DeadLetter {
                reason: format!("Nudge refused the request ({status}): {detail}"),
                status: Some(*status),
            };
        }
        Outcome::Answered {
            status,
            retry_after_ms,
            detail,
        } => (Some(*status), *retry_after_ms, detail),
        Outcome::NoAnswer(detail) => (None, None, detail),
    };
    if attempts > max_retries {
        let last = status.map_or_else(|| "no answer".to_string(), |s| format!("last status {s}"));
        return Disposition::DeadLetter {
            reason: format!(
                "Nudge did not accept the request in {attempts} attempts ({last}): {detail}"
            ),
            status,
        };
    }
    Disposition::Retry {
        delay_s: schedule.delay_s(attempts, retry_after_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, retry_after_ms: Option<u64>) -> Outcome {
        Outcome::Answered {
            status,
            retry_after_ms,
            detail: format!("body of {status}"),
        }
    }

    #[test]
    fn accepted_final_and_transient_answers() {
        let s = Schedule::default();
        assert_eq!(dispose(&answered(200, None), 1, &s, 16), Disposition::Ack);
        assert_eq!(dispose(&answered(202, None), 9, &s, 16), Disposition::Ack);
        for status in [400, 401, 403, 404, 422, 301, 302] {
            assert_eq!(
                dispose(&answered(status, None), 1, &s, 16),
                Disposition::DeadLetter {
                    reason: format!("Nudge refused the request ({status}): body of {status}"),
                    status: Some(status)
                },
                "{status} is final"
            );
        }
        assert_eq!(
            dispose(&answered(503, None), 1, &s, 16),
            Disposition::Retry { delay_s: 30 }
        );
        assert_eq!(
            dispose(&answered(500, None), 4, &s, 16),
            Disposition::Retry { delay_s: 240 }
        );
        assert_eq!(
            dispose(&answered(429, Some(600_000)), 1, &s, 16),
            Disposition::Retry { delay_s: 600 },
            "Retry-After is honoured"
        );
        assert_eq!(
            dispose(
                &Outcome::NoAnswer("no answer within 5000 ms".into()),
                2,
                &s,
                16
            ),
            Disposition::Retry { delay_s: 60 }
        );
    }

    #[test]
    fn the_last_attempt_dead_letters_with_the_last_failure() {
        let s = Schedule::default();
        assert_eq!(
            dispose(&answered(503, None), 16, &s, 16),
            Disposition::Retry { delay_s: 1800 }
        );
        assert_eq!(
            dispose(&answered(503, None), 17, &s, 16),
            Disposition::DeadLetter {
                reason:
                    "Nudge did not accept the request in 17 attempts (last status 503): body of 503"
                        .into(),
                status: Some(503)
            }
        );
        assert_eq!(
            dispose(&Outcome::NoAnswer("network error: refused".into()), 17, &s, 16),
            Disposition::DeadLetter {
                reason: "Nudge did not accept the request in 17 attempts (no answer): network error: refused".into(),
                status: None
            }
        );
    }
}
