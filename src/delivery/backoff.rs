//! How long to wait before trying again, in both delivery modes.
//!
//! Direct mode retries within the Worker's request ([`RetryPolicy`], [`next_wait`]): bounded
//! exponential back-off with jitter, honouring `Retry-After`, within a time budget that ends
//! before Segment's SDKs give up on the request.
//!
//! Queue mode waits between deliveries of a message ([`Schedule`]), with as many attempts as
//! make delivery keep trying for at least four hours (Segment retries that long).
//!
//! The wait after the n-th failed attempt is `base · 2^(n−1)`, at most `max`, and at least
//! Nudge's `Retry-After`. With the defaults (30 s doubling to 1,800 s) the first 13 waits add up
//! to 30 + 60 + 120 + 240 + 480 + 960 + 7 × 1,800 = 14,490 s, the first number of retries that
//! reaches 4 h (14,400 s). A message the consumer cannot send within its subrequest budget is
//! retried at once, which spends an attempt without waiting: [`SPARE_RETRIES`] more keep the
//! 4 h even when that happens to a message three times. Hence the consumer's `max_retries` of
//! [`MAX_RETRIES`] (16; 14,490 + 3 × 1,800 = 19,890 s, 5.5 h, when nothing is deferred).

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Back-off before the second attempt; doubles each time.
    pub base_delay_ms: u64,
    /// Longest back-off between two attempts.
    pub max_delay_ms: u64,
    /// Time from the first attempt after which no attempt starts.
    pub budget_ms: u64,
    /// Longest wait for one answer from Nudge.
    pub attempt_timeout_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // Within 8 s in all: Segment's SDKs give up on a request after 10 s and send it again.
        RetryPolicy {
            max_attempts: 4,
            base_delay_ms: 250,
            max_delay_ms: 2_000,
            budget_ms: 8_000,
            attempt_timeout_ms: 5_000,
        }
    }
}

/// How long to wait before the next attempt, or `None` to give up.
///
/// `attempts` have been made, `elapsed_ms` have passed since the first began, and `jitter` is a
/// random number in `[0, 1)`. The wait is the exponential back-off (half fixed, half random),
/// or Nudge's `Retry-After` when that is longer; an attempt that could not start within the
/// budget is not made.
pub fn next_wait(
    policy: &RetryPolicy,
    attempts: u32,
    retry_after_ms: Option<u64>,
    jitter: f64,
    elapsed_ms: u64,
) -> Option<u64> {
    if attempts >= policy.max_attempts {
        return None;
    }
    let exponent = attempts.saturating_sub(1).min(20);
    let backoff = policy
        .base_delay_ms
        .saturating_mul(1u64 << exponent)
        .min(policy.max_delay_ms);
    let jittered = backoff / 2 + (backoff as f64 / 2.0 * jitter.clamp(0.0, 1.0)) as u64;
    let wait = jittered.max(retry_after_ms.unwrap_or(0));
    (elapsed_ms.saturating_add(wait) < policy.budget_ms).then_some(wait)
}

/// How long the next attempt may wait for an answer: its own limit, cut to what is left of
/// the budget, so that the whole delivery ends within the budget.
pub fn attempt_timeout_ms(policy: &RetryPolicy, elapsed_ms: u64) -> u64 {
    policy
        .attempt_timeout_ms
        .min(policy.budget_ms.saturating_sub(elapsed_ms))
        .max(1)
}

/// Back-off in seconds (queue delays are whole seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Wait after the first failed attempt (`QUEUE_RETRY_BASE_DELAY_S`).
    pub base_delay_s: u32,
    /// Longest wait (`QUEUE_RETRY_MAX_DELAY_S`).
    pub max_delay_s: u32,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            base_delay_s: 30,
            max_delay_s: 1_800,
        }
    }
}

/// How long delivery keeps trying, at least: Segment's four hours.
pub const RETRY_WINDOW_S: u64 = 4 * 3_600;
/// Retries that may be spent on deferrals (over the subrequest budget) without shortening
/// the window.
pub const SPARE_RETRIES: u32 = 3;
/// The deliveries consumer's `max_retries` (wrangler.toml): `max_retries(default, 4 h, 3)`.
pub const MAX_RETRIES: u32 = 16;
/// Longest delay a queue accepts for a message (Cloudflare allows 12 h, later 24 h).
pub const LONGEST_DELAY_S: u32 = 43_200;

impl Schedule {
    /// A schedule from settings, each bounded to what a queue accepts, `max` at least `base`.
    pub fn new(base_delay_s: u64, max_delay_s: u64) -> Schedule {
        let cap = u64::from(LONGEST_DELAY_S);
        let base = base_delay_s.min(cap) as u32;
        Schedule {
            base_delay_s: base,
            max_delay_s: (max_delay_s.min(cap) as u32).max(base),
        }
    }

    /// The wait before the next attempt after `attempts` failed ones (1 after the first), or
    /// Nudge's `Retry-After` (milliseconds, rounded up to seconds) when that is longer.
    pub fn delay_s(&self, attempts: u32, retry_after_ms: Option<u64>) -> u32 {
        let exponent = attempts.saturating_sub(1).min(31);
        let backoff = u64::from(self.base_delay_s)
            .saturating_mul(1u64 << exponent)
            .min(u64::from(self.max_delay_s));
        let asked = retry_after_ms.map_or(0, |ms| ms.div_ceil(1000));
        backoff.max(asked).min(u64::from(LONGEST_DELAY_S)) as u32
    }

    /// Seconds between the first attempt and the last when each of `retries` waits its full
    /// back-off (no `Retry-After`, nothing deferred).
    pub fn window_s(&self, retries: u32) -> u64 {
        (1..=retries)
            .map(|n| u64::from(self.delay_s(n, None)))
            .sum()
    }
}

/// The fewest retries whose waits add up to `window_s`, plus `spare` ones; at most 100, the
/// most a queue consumer may have.
pub fn max_retries(schedule: &Schedule, window_s: u64, spare: u32) -> u32 {
    const MOST: u32 = 100;
    let mut elapsed = 0u64;
    let mut retries = 0u32;
    while elapsed < window_s && retries < MOST {
        retries += 1;
        elapsed += u64::from(schedule.delay_s(retries, None));
    }
    retries.saturating_add(spare).min(MOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_within_bounds() {
        let p = RetryPolicy::default();
        assert_eq!(next_wait(&p, 1, None, 0.0, 0), Some(125));
        assert_eq!(next_wait(&p, 1, None, 1.0, 0), Some(250));
        assert_eq!(next_wait(&p, 2, None, 1.0, 0), Some(500));
        assert_eq!(next_wait(&p, 3, None, 1.0, 0), Some(1000));
        assert_eq!(next_wait(&p, 4, None, 0.5, 0), None, "attempts are bounded");
        let long = RetryPolicy {
            max_attempts: 30,
            ..p
        };
        assert_eq!(
            next_wait(&long, 20, None, 1.0, 0),
            Some(2000),
            "each wait is bounded"
        );
    }

    #[test]
    fn honours_retry_after_within_the_budget() {
        let p = RetryPolicy::default();
        assert_eq!(next_wait(&p, 1, Some(2000), 0.0, 0), Some(2000));
        assert_eq!(
            next_wait(&p, 1, Some(60_000), 0.0, 0),
            None,
            "a wait past the budget gives up"
        );
        assert_eq!(next_wait(&p, 2, None, 0.0, 7_900), None);
        assert_eq!(attempt_timeout_ms(&p, 0), 5_000);
        assert_eq!(
            attempt_timeout_ms(&p, 6_500),
            1_500,
            "the last attempt ends with the budget"
        );
        assert_eq!(attempt_timeout_ms(&p, 9_000), 1);
    }

    #[test]
    fn doubles_from_the_base_to_the_max() {
        let s = Schedule::default();
        let waits: Vec<u32> = (1..=8).map(|n| s.delay_s(n, None)).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1800, 1800]);
        assert_eq!(s.delay_s(0, None), 30);
        assert_eq!(s.delay_s(u32::MAX, None), 1800);
    }

    #[test]
    fn waits_at_least_what_retry_after_asks() {
        let s = Schedule::default();
        assert_eq!(s.delay_s(1, Some(120_000)), 120);
        assert_eq!(
            s.delay_s(1, Some(90_001)),
            91,
            "rounded up to whole seconds"
        );
        assert_eq!(
            s.delay_s(3, Some(1_000)),
            120,
            "never shorter than the back-off"
        );
        assert_eq!(
            s.delay_s(1, Some(u64::MAX)),
            LONGEST_DELAY_S,
            "never longer than a queue accepts"
        );
    }

    #[test]
    fn settings_are_bounded() {
        assert_eq!(
            Schedule::new(5, 1),
            Schedule {
                base_delay_s: 5,
                max_delay_s: 5
            }
        );
        assert_eq!(
            Schedule::new(u64::MAX, u64::MAX).max_delay_s,
            LONGEST_DELAY_S
        );
        assert_eq!(Schedule::new(0, 0).delay_s(4, None), 0);
    }

    #[test]
    fn the_default_retries_keep_trying_for_four_hours() {
        let s = Schedule::default();
        assert_eq!(max_retries(&s, RETRY_WINDOW_S, 0), 13);
        assert_eq!(s.window_s(12), 12_690, "12 retries are not enough");
        assert_eq!(s.window_s(13), 14_490);
        assert_eq!(
            max_retries(&s, RETRY_WINDOW_S, SPARE_RETRIES),
            MAX_RETRIES,
            "MAX_RETRIES follows from the schedule"
        );
        // Three deferrals cost at most three of the longest waits.
        assert!(s.window_s(MAX_RETRIES) - 3 * 1_800 >= RETRY_WINDOW_S);
        assert_eq!(max_retries(&Schedule::new(0, 0), RETRY_WINDOW_S, 0), 100);
        assert_eq!(max_retries(&Schedule::new(1, 2), RETRY_WINDOW_S, 3), 100);
    }

    #[test]
    fn wrangler_toml_uses_max_retries() {
        let toml = include_str!("../../wrangler.toml");
        let deliveries = toml
            .split("[[queues.consumers]]")
            .skip(1)
            .find(|section| section.contains("queue = \"nudge-edge-deliveries\""))
            .expect("a consumer for nudge-edge-deliveries");
        assert!(
            deliveries.contains(&format!("\nmax_retries = {MAX_RETRIES}\n")),
            "wrangler.toml's deliveries consumer must have max_retries = {MAX_RETRIES}"
        );
    }
}
