//! Delivery's settings, read from the Worker's environment and bounded here, so that no value
//! overflows a timer, outlasts a sender's patience or asks a queue for what it refuses; and
//! Cloudflare's limits on one Worker invocation, kept by both modes: at most
//! `SUBREQUEST_BUDGET` subrequests (50 on Workers Free, the default) and at most
//! [`MAX_IN_FLIGHT`] connections open at once.

use super::backoff::{RetryPolicy, Schedule};
use crate::ledger::{DEFAULT_SHARDS, MAX_SHARDS};

/// Subrequests per invocation on Workers Free (Workers Paid allows many more).
pub const DEFAULT_SUBREQUESTS: u32 = 50;
/// Connections a Worker invocation may have open at once.
pub const MAX_IN_FLIGHT: usize = 6;
/// The dead-letter queue's name in `wrangler.toml`.
pub const DEAD_LETTER_QUEUE: &str = "nudge-edge-dead-letters";

/// How the Worker delivers, from its variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySettings {
    /// `DELIVERY`, or why it is not a mode.
    pub mode: Result<DeliveryMode, String>,
    /// Direct mode's retries (`RETRY_*`); its attempt timeout (`NUDGE_TIMEOUT_MS`) bounds the
    /// consumer's attempts too.
    pub policy: RetryPolicy,
    /// Nudge requests one invocation may make (`SUBREQUEST_BUDGET`), in both modes.
    pub subrequest_budget: u32,
    /// Queue mode's back-off (`QUEUE_RETRY_BASE_DELAY_S`, `QUEUE_RETRY_MAX_DELAY_S`).
    pub schedule: Schedule,
    /// The dead-letter queue's name (`DEAD_LETTER_QUEUE`): the consumer stores its batches.
    pub dead_letter_queue: String,
    /// Shards of the ledger (`LEDGER_SHARDS`, 1 to [`crate::ledger::MAX_SHARDS`]).
    pub ledger_shards: u32,
}

impl DeliverySettings {
    /// Reads the settings through `var` (a variable's text, `None` when unset); a setting that
    /// is not a whole number takes its default, and every one is bounded.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> DeliverySettings {
        let number = |name: &str, default: u64| {
            var(name)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(default)
        };
        let defaults = RetryPolicy::default();
        let backoff = Schedule::default();
        DeliverySettings {
            mode: DeliveryMode::from_setting(var("DELIVERY").as_deref()),
            policy: RetryPolicy {
                max_attempts: number("RETRY_MAX_ATTEMPTS", defaults.max_attempts.into())
                    .clamp(1, 10) as u32,
                base_delay_ms: number("RETRY_BASE_DELAY_MS", defaults.base_delay_ms).min(60_000),
                max_delay_ms: number("RETRY_MAX_DELAY_MS", defaults.max_delay_ms).min(60_000),
                budget_ms: number("RETRY_BUDGET_MS", defaults.budget_ms).min(120_000),
                attempt_timeout_ms: number("NUDGE_TIMEOUT_MS", defaults.attempt_timeout_ms)
                    .clamp(1, 120_000),
            },
            subrequest_budget: number("SUBREQUEST_BUDGET", DEFAULT_SUBREQUESTS.into())
                .clamp(1, 10_000) as u32,
            schedule: Schedule::new(
                number("QUEUE_RETRY_BASE_DELAY_S", backoff.base_delay_s.into()),
                number("QUEUE_RETRY_MAX_DELAY_S", backoff.max_delay_s.into()),
            ),
            dead_letter_queue: var("DEAD_LETTER_QUEUE")
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| DEAD_LETTER_QUEUE.into()),
            ledger_shards: number("LEDGER_SHARDS", DEFAULT_SHARDS.into())
                .clamp(1, MAX_SHARDS.into()) as u32,
        }
    }

    /// The subrequests left for Nudge when the ledger makes `ledger_calls` claim calls and as
    /// many settlement calls; at least one, so that a request always makes progress.
    pub fn nudge_budget(&self, ledger_calls: usize) -> u32 {
        let ledger = u32::try_from(ledger_calls.saturating_mul(2)).unwrap_or(u32::MAX);
        self.subrequest_budget.saturating_sub(ledger).max(1)
    }
}

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
    use crate::delivery::backoff::LONGEST_DELAY_S;

    #[test]
    fn delivery_mode() {
        assert_eq!(DeliveryMode::from_setting(None), Ok(DeliveryMode::Queue));
        assert_eq!(
            DeliveryMode::from_setting(Some(" direct ")),
            Ok(DeliveryMode::Direct)
        );
        assert!(DeliveryMode::from_setting(Some("Queue")).is_err());
    }
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> DeliverySettings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        DeliverySettings::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_when_unset_or_not_a_number() {
        let d = settings(&[("SUBREQUEST_BUDGET", "lots"), ("NUDGE_TIMEOUT_MS", "-1")]);
        assert_eq!(d.mode, Ok(DeliveryMode::Queue));
        assert_eq!(d.policy, RetryPolicy::default());
        assert_eq!(d.subrequest_budget, DEFAULT_SUBREQUESTS);
        assert_eq!(d.schedule, Schedule::default());
        assert_eq!(d.dead_letter_queue, DEAD_LETTER_QUEUE);
        assert_eq!(d.ledger_shards, DEFAULT_SHARDS);
        assert_eq!(
            d.nudge_budget(4),
            DEFAULT_SUBREQUESTS - 8,
            "claims and settlements"
        );
        assert_eq!(d.nudge_budget(usize::MAX), 1);
    }

    #[test]
    fn every_setting_is_bounded() {
        let huge = "99999999999999999999";
        let d = settings(&[
            ("DELIVERY", "direct"),
            ("RETRY_MAX_ATTEMPTS", huge),
            ("RETRY_BASE_DELAY_MS", "18446744073709551615"),
            ("RETRY_MAX_DELAY_MS", "18446744073709551615"),
            ("RETRY_BUDGET_MS", "18446744073709551615"),
            ("NUDGE_TIMEOUT_MS", "0"),
            ("SUBREQUEST_BUDGET", "0"),
            ("QUEUE_RETRY_BASE_DELAY_S", "18446744073709551615"),
            ("DEAD_LETTER_QUEUE", " other-dlq "),
            ("LEDGER_SHARDS", "1000"),
        ]);
        assert_eq!(d.ledger_shards, MAX_SHARDS);
        assert_eq!(d.mode, Ok(DeliveryMode::Direct));
        assert_eq!(d.policy.max_attempts, 4, "not a u64: the default");
        assert_eq!(d.policy.base_delay_ms, 60_000);
        assert_eq!(d.policy.budget_ms, 120_000);
        assert_eq!(d.policy.attempt_timeout_ms, 1);
        assert_eq!(d.subrequest_budget, 1);
        assert_eq!(d.schedule.base_delay_s, LONGEST_DELAY_S);
        assert_eq!(d.dead_letter_queue, "other-dlq");
        assert!(settings(&[("DELIVERY", "Queue")]).mode.is_err());
    }
}
