//! Delivering a plan to Nudge, decided without doing I/O: which answers are final, how long to
//! wait before trying again (bounded exponential back-off with jitter, honouring
//! `Retry-After`, within a time budget), and what the sender is told, so that an accepted
//! event is either acknowledged by Nudge or reported back — never silently dropped.

use crate::fields::{ErrorCode, FieldError};
use crate::plan::{EventResult, Plan, Status};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;

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

/// What one answer from Nudge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: Nudge took the events.
    Accepted,
    /// 429 or 5xx: try again later.
    Transient,
    /// Any other 4xx, and 3xx (redirects are not followed: the endpoint is wrong): trying
    /// again will not help.
    Final,
}

/// Classifies a status code from Nudge.
pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Accepted,
        429 | 500..=599 => Verdict::Transient,
        _ => Verdict::Final,
    }
}

/// Milliseconds a `Retry-After` value asks for: delta-seconds or an HTTP date (any of the
/// three forms HTTP allows, read by `httpdate`).
pub fn retry_after_ms(value: &str, now_ms: i64) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    let at = httpdate::parse_http_date(value)
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let at_ms = i64::try_from(at.as_millis()).ok()?;
    Some(u64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(0))
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

/// Most characters of Nudge's answer kept for the sender and the log.
pub const EXCERPT_CHARS: usize = 200;
/// Most bytes of Nudge's answer read: enough for the excerpt with any number of keys taken
/// out of it, and no more, whatever Nudge sends.
pub const MAX_ANSWER_READ_BYTES: usize = 4096;

/// The start of Nudge's answer for the sender and the log, with `secret` (the API key, in case
/// Nudge echoes the request) taken out first, then cut to [`EXCERPT_CHARS`]. `cut` says the
/// read stopped before the answer's end, so that a key whose beginning was read is taken out
/// too.
pub fn excerpt(answer: &[u8], cut: bool, secret: &str) -> String {
    let mut text = String::from_utf8_lossy(answer).into_owned();
    if !secret.is_empty() {
        text = text.replace(secret, crate::plan::REDACTED);
        if cut {
            let partial = (1..secret.len())
                .rev()
                .filter(|n| secret.is_char_boundary(*n))
                .find(|n| text.ends_with(&secret[..*n]));
            if let Some(n) = partial {
                text.truncate(text.len() - n);
                text.push_str(crate::plan::REDACTED);
            }
        }
    }
    text.chars().take(EXCERPT_CHARS).collect()
}

/// How one planned request ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Delivery {
    /// Nudge answered 2xx.
    Accepted {
        /// Nudge's status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// Nudge answered a 4xx other than 429: final.
    Rejected {
        /// Nudge's status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The start of Nudge's answer.
        detail: String,
    },
    /// No 2xx within the attempts and the time budget (5xx, 429, timeouts, network errors).
    Unavailable {
        /// Nudge's last status, if it answered at all.
        status: Option<u16>,
        /// Attempts made.
        attempts: u32,
        /// What went wrong last.
        detail: String,
        /// Nudge's last `Retry-After`, in milliseconds.
        retry_after_ms: Option<u64>,
    },
}

/// The end of a request to the Worker: results per event and what to answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    /// Per (event, mapping) results, with `failed` where Nudge did not take the event.
    pub results: Vec<EventResult>,
    /// HTTP status for the sender: 200, 400 (invalid or refused events), 500 (Nudge refused the
    /// API key or redirected: nothing taken, retry later) or 503 (Nudge unavailable: retry).
    pub status: u16,
    /// Seconds the sender should wait before retrying, when Nudge said so.
    pub retry_after_secs: Option<u64>,
}

/// Merges what happened to each request into the plan's results.
pub fn settle(plan: Plan, deliveries: &[Delivery]) -> Settlement {
    let mut results = plan.results;
    let mut retry_after_ms = None;
    let (mut unavailable, mut key_refused, mut refused) = (false, false, false);
    let mut carried_by = None;
    for (request, delivery) in plan.requests.iter().zip(deliveries) {
        let error = match delivery {
            Delivery::Accepted { .. } => continue,
            Delivery::Rejected { status, detail, .. } => {
                // A refused key or a redirect: the deployment's settings, not the events.
                if matches!(status, 300..=399 | 401 | 403) {
                    key_refused = true;
                } else {
                    refused = true;
                }
                FieldError {
                    field: String::new(),
                    code: ErrorCode::Rejected,
                    message: format!("Nudge refused the request ({status}): {detail}"),
                }
            }
            Delivery::Unavailable {
                status,
                attempts,
                detail,
                retry_after_ms: after,
            } => {
                unavailable = true;
                retry_after_ms = retry_after_ms.max(*after);
                let answered =
                    status.map_or_else(|| "no answer".to_string(), |s| format!("last status {s}"));
                FieldError {
                    field: String::new(),
                    code: ErrorCode::Unavailable,
                    message: format!("Nudge did not accept the request after {attempts} attempts ({answered}): {detail}"),
                }
            }
        };
        // Found through an index built once, so settling stays linear in the events however
        // many requests fail (250,000 unbatched events are 250,000 requests).
        let by_event = carried_by.get_or_insert_with(|| result_positions(&results));
        for event in &request.events {
            if let Some(&i) = by_event.get(&(*event, request.mapping_position)) {
                results[i].status = Status::Failed;
                results[i].errors = vec![error.clone()];
            }
        }
    }
    Settlement {
        status: sender_status(&results, unavailable, key_refused, refused),
        results,
        retry_after_secs: retry_after_ms.map(|ms| ms.div_ceil(1000)),
    }
}

/// Where each (event, mapping) pair's result is in `results`.
fn result_positions(results: &[EventResult]) -> HashMap<(usize, usize), usize> {
    results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some(((r.index, r.mapping_position?), i)))
        .collect()
}

/// The status that answers the sender once every result is settled: 503 when some events were
/// not taken but may be on a retry (`unavailable`), else 500 when the deployment's settings
/// were refused (`key_refused`), else 400 when events were invalid or refused for themselves,
/// else 200. Both modes answer with it.
pub fn sender_status(
    results: &[EventResult],
    unavailable: bool,
    key_refused: bool,
    refused: bool,
) -> u16 {
    let invalid = results.iter().any(|r| r.status == Status::Invalid);
    if unavailable {
        503
    } else if key_refused {
        500
    } else if refused || invalid {
        400
    } else {
        200
    }
}

/// Counts of results by status, for the response and the log line.
pub fn counts(results: &[EventResult], events: usize) -> Value {
    let n = |s: Status| results.iter().filter(|r| r.status == s).count();
    json!({
        "events": events,
        "sent": n(Status::Sent),
        "invalid": n(Status::Invalid),
        "failed": n(Status::Failed),
        "unmatched": n(Status::Unmatched),
        "skipped": n(Status::Skipped),
    })
}

/// Most results an answer lists.
pub const MAX_LISTED_RESULTS: usize = 100;
/// Most bytes of results an answer lists.
const MAX_LISTED_BYTES: usize = 64 * 1024;

/// The results an answer lists, bounded whatever the request's size: every result when there
/// are at most [`MAX_LISTED_RESULTS`], otherwise only the events that were not delivered
/// (`invalid`, `failed`); in both cases at most [`MAX_LISTED_RESULTS`] and 64 KB of them. Also
/// how many were left out (the counts cover every result).
pub fn listed_results(results: &[EventResult]) -> (Vec<&EventResult>, usize) {
    let everything = results.len() <= MAX_LISTED_RESULTS;
    let mut listed = Vec::new();
    let mut bytes = 0;
    for result in results
        .iter()
        .filter(|r| everything || matches!(r.status, Status::Invalid | Status::Failed))
    {
        bytes += serde_json::to_vec(result).map_or(0, |b| b.len());
        if listed.len() == MAX_LISTED_RESULTS || bytes > MAX_LISTED_BYTES {
            break;
        }
        listed.push(result);
    }
    let omitted = results.len() - listed.len();
    (listed, omitted)
}

/// The JSON body answering a Worker request: success, counts and the results
/// ([`listed_results`]).
pub fn response_body(settlement: &Settlement, events: usize) -> Value {
    let message = match settlement.status {
        200 => "accepted",
        400 => "some events were not sent: see results",
        500 => "Nudge refused the deployment's API key or endpoint; nothing was taken, retry after fixing it",
        _ => "Nudge could not take some events; retry the request",
    };
    let (results, omitted) = listed_results(&settlement.results);
    let mut body = json!({
        "success": settlement.status == 200,
        "message": message,
        "counts": counts(&settlement.results, events),
        "results": results,
    });
    if omitted > 0 {
        body["omitted"] = json!(omitted);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::plan::plan;

    #[test]
    fn classifies_answers() {
        assert_eq!(verdict(200), Verdict::Accepted);
        assert_eq!(verdict(204), Verdict::Accepted);
        assert_eq!(verdict(429), Verdict::Transient);
        assert_eq!(verdict(503), Verdict::Transient);
        assert_eq!(verdict(400), Verdict::Final);
        assert_eq!(verdict(401), Verdict::Final);
        assert_eq!(verdict(302), Verdict::Final);
        assert_eq!(verdict(307), Verdict::Final);
    }

    #[test]
    fn reads_retry_after() {
        assert_eq!(retry_after_ms("3", 0), Some(3000));
        let now = 1_747_207_800_000; // Wed, 14 May 2025 07:30:00 GMT
        assert_eq!(
            retry_after_ms("Wed, 14 May 2025 07:30:05 GMT", now),
            Some(5000)
        );
        // RFC 850 and asctime forms, which HTTP recipients must accept too.
        assert_eq!(
            retry_after_ms("Wednesday, 14-May-25 07:30:07 GMT", now),
            Some(7000)
        );
        assert_eq!(retry_after_ms("Wed May 14 07:30:09 2025", now), Some(9000));
        assert_eq!(
            retry_after_ms("Wed, 14 May 2025 07:29:00 GMT", now),
            Some(0)
        );
        assert_eq!(retry_after_ms("soon", now), None);
    }

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
    fn mappings_with_the_same_name_are_told_apart() {
        let config = Config::from_json(
            &serde_json::json!({"settings": {"apikey": "k"}, "mappings": [
            {"action": "trackEvent"}, {"action": "trackEvent"}]}),
        )
        .unwrap();
        let p = plan(
            &serde_json::json!({"type": "track", "userId": "a", "event": "e", "timestamp": 0}),
            &config,
        );
        let s = settle(
            p,
            &[
                Delivery::Accepted {
                    status: 200,
                    attempts: 1,
                },
                Delivery::Rejected {
                    status: 400,
                    attempts: 1,
                    detail: String::new(),
                },
            ],
        );
        assert_eq!(
            s.results.iter().map(|r| r.status).collect::<Vec<_>>(),
            [Status::Sent, Status::Failed]
        );
    }

    #[test]
    fn settles_results_and_status() {
        let config = Config::with_presets("k");
        let events = serde_json::json!([
            {"type": "track", "userId": "a", "event": "e", "timestamp": "2025-05-14"},
            {"type": "identify", "userId": "b"},
            {"type": "track"},
        ]);
        let p = plan(&events, &config);
        assert_eq!(p.requests.len(), 2);
        let ok = settle(
            p.clone(),
            &[
                Delivery::Accepted {
                    status: 200,
                    attempts: 1,
                },
                Delivery::Accepted {
                    status: 200,
                    attempts: 2,
                },
            ],
        );
        assert_eq!(ok.status, 400, "event 2 is invalid");
        assert_eq!(ok.results[0].status, Status::Sent);
        let down = settle(
            p.clone(),
            &[
                Delivery::Accepted {
                    status: 200,
                    attempts: 1,
                },
                Delivery::Unavailable {
                    status: Some(503),
                    attempts: 4,
                    detail: "busy".into(),
                    retry_after_ms: Some(1500),
                },
            ],
        );
        assert_eq!(down.status, 503);
        assert_eq!(down.retry_after_secs, Some(2));
        // Requests come in mapping order: the identify preset (event 1) before track (event 0).
        assert_eq!(down.results[1].status, Status::Sent);
        assert_eq!(down.results[0].status, Status::Failed);
        assert_eq!(down.results[0].errors[0].code, ErrorCode::Unavailable);
        let key = settle(
            p,
            &[
                Delivery::Rejected {
                    status: 401,
                    attempts: 1,
                    detail: "bad key".into(),
                },
                Delivery::Accepted {
                    status: 200,
                    attempts: 1,
                },
            ],
        );
        assert_eq!(key.status, 500);
        let body = response_body(&key, 3);
        assert_eq!(body["counts"]["failed"], 1);
        assert_eq!(body["success"], false);
    }

    #[test]
    fn a_redirect_is_never_sent() {
        let config = Config::with_presets("k");
        let p = plan(
            &serde_json::json!({"type": "track", "userId": "a", "event": "e", "timestamp": 0}),
            &config,
        );
        let moved = settle(
            p,
            &[Delivery::Rejected {
                status: 302,
                attempts: 1,
                detail: "redirected".into(),
            }],
        );
        assert_eq!(
            moved.status, 500,
            "the sender keeps the events and retries later"
        );
        assert_eq!(moved.results[0].status, Status::Failed);
    }

    #[test]
    fn answers_list_a_bounded_number_of_results() {
        let config = Config::with_presets("k");
        let few = plan(
            &serde_json::json!([{"type": "track"}, {"type": "identify", "userId": "u"}]),
            &config,
        );
        let (listed, omitted) = listed_results(&few.results);
        assert_eq!(
            (listed.len(), omitted),
            (2, 0),
            "small requests: every result"
        );
        let events: Vec<Value> = (0..5000)
            .map(|i| {
                if i % 1000 == 0 {
                    json!({"type": "track"})
                } else {
                    json!({"type": "identify", "userId": "u"})
                }
            })
            .collect();
        let many = plan(&Value::Array(events), &config);
        let (listed, omitted) = listed_results(&many.results);
        assert_eq!(listed.len(), 5, "only the events that were not sent");
        assert!(listed.iter().all(|r| r.status == Status::Invalid));
        assert_eq!(omitted, 4995);
        let all_bad = plan(&Value::Array(vec![json!(1); 5000]), &config);
        let settled = settle(all_bad, &[]);
        let body = response_body(&settled, 5000);
        assert_eq!(
            body["results"].as_array().unwrap().len(),
            MAX_LISTED_RESULTS
        );
        assert_eq!(body["omitted"], 4900);
        assert_eq!(body["counts"]["invalid"], 5000);
        assert!(body.to_string().len() < 64 * 1024);
    }

    #[test]
    fn excerpts_take_the_key_out_before_cutting() {
        let key = "test-nudge-key-3f9a";
        // The key straddles the 200th character: cutting first would leave its beginning.
        let answer = format!("{}apikey={key}", "x".repeat(188));
        let got = excerpt(answer.as_bytes(), false, key);
        assert!(!got.contains("test-"), "{got}");
        assert_eq!(got, format!("{}apikey=[redacted]", "x".repeat(188))[..200]);
        assert_eq!(got.chars().count(), EXCERPT_CHARS);
        // The read stopped inside the key.
        let cut = format!("echo: {}", &key[..9]);
        assert_eq!(excerpt(cut.as_bytes(), true, key), "echo: [redacted]");
        assert_eq!(
            excerpt(b"a complete answer: t", false, key),
            "a complete answer: t"
        );
        assert_eq!(excerpt(b"no key", true, ""), "no key");
        assert_eq!(excerpt(b"\xff\xfeok", false, key), "\u{fffd}\u{fffd}ok");
    }
}
