//! What an answer from Nudge means, the same in both delivery modes: 2xx took the events; 429
//! and 5xx (and no answer at all) may be tried again, after at least Nudge's `Retry-After`;
//! every other status is final. A final refusal is about the events (400, 422, 413…: split the
//! request to find which) unless it is about the deployment (401, 403, a redirect: the key or
//! the endpoint is wrong, and no event is to blame).

use crate::plan::REDACTED;

/// How one attempt at a request ended, as the shell saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nudge answered.
    Answered {
        /// Its status.
        status: u16,
        /// Its `Retry-After` header, as sent.
        retry_after: Option<String>,
        /// The start of its answer, the API key taken out ([`excerpt`]).
        detail: String,
    },
    /// No answer: a network error, or a request that could not be made. Nudge did not take it.
    NoAnswer(String),
    /// No answer within the deadline, after `ms` milliseconds: Nudge may be taking it still.
    TimedOut(u64),
}

/// How long no copy of a payload is sent after Nudge did not answer for it in time (it may be
/// taking it still): Segment's SDKs retry a request for longer than this, and Nudge has
/// answered by then if it took it at all.
pub const TIMEOUT_HOLD_MS: i64 = 20_000;

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

/// Whether a final refusal is about the deployment rather than the events: a refused key (401,
/// 403) or a redirect (the endpoint is wrong). Such a request is not split: every part would
/// be refused the same way.
pub fn refuses_the_deployment(status: u16) -> bool {
    matches!(status, 300..=399 | 401 | 403)
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
        text = text.replace(secret, REDACTED);
        if cut {
            let partial = (1..secret.len())
                .rev()
                .filter(|n| secret.is_char_boundary(*n))
                .find(|n| text.ends_with(&secret[..*n]));
            if let Some(n) = partial {
                text.truncate(text.len() - n);
                text.push_str(REDACTED);
            }
        }
    }
    crate::text::clip_chars(&text, EXCERPT_CHARS)
}

/// Why Nudge's final answer refused a request, for results and dead letters.
pub fn refusal_reason(status: u16, detail: &str) -> String {
    format!("Nudge refused the request ({status}): {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for status in [301, 302, 307, 401, 403] {
            assert!(refuses_the_deployment(status), "{status}");
        }
        for status in [400, 404, 409, 413, 422] {
            assert!(!refuses_the_deployment(status), "{status}");
        }
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
