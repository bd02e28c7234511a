//! Sending planned requests to Nudge: at most six at a time and within the invocation's
//! subrequest budget ([`crate::budget`]), each retried by the core's [`RetryPolicy`]
//! (back-off, jitter, `Retry-After`, time budget) with a timeout per attempt.

use crate::budget::{Allowance, MAX_IN_FLIGHT};
use crate::delivery::{
    attempt_timeout_ms, next_wait, retry_after_ms, verdict, Delivery, RetryPolicy, Verdict,
};
use crate::plan::Request as PlannedRequest;
use futures_util::future::{select, Either};
use futures_util::stream::{self, StreamExt};
use std::time::Duration;
use worker::{AbortController, Date, Delay, Fetch, Headers, Method, Request, RequestInit};

/// Sends the requests, at most [`MAX_IN_FLIGHT`] at once; the answer for each, in order. Of
/// `budget` subrequests, the first `budget` requests get their first attempt and retries take
/// what is left; requests beyond the budget are not started (unavailable: the sender retries).
/// The policy's time budget runs from the first request, so that waiting for a free
/// connection does not make the answer later.
pub async fn deliver_all(
    requests: &[PlannedRequest],
    policy: &RetryPolicy,
    budget: u32,
) -> Vec<Delivery> {
    let sendable = requests.len().min(budget as usize);
    let retries = Allowance::new(budget.saturating_sub(sendable as u32));
    let retries = &retries;
    let started = Date::now().as_millis();
    stream::iter(requests.iter().enumerate().map(|(i, r)| async move {
        if i < sendable {
            deliver(r, policy, retries, started).await
        } else {
            Delivery::Unavailable {
                status: None,
                attempts: 0,
                detail: format!("not sent: over the Worker's {budget} subrequests per request"),
                retry_after_ms: None,
            }
        }
    }))
    .buffered(MAX_IN_FLIGHT)
    .collect()
    .await
}

/// What one attempt got back.
pub(super) enum Attempt {
    Answered {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    NoAnswer(String),
}

async fn deliver(
    planned: &PlannedRequest,
    policy: &RetryPolicy,
    retries: &Allowance,
    started: u64,
) -> Delivery {
    let body = planned.body.clone();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let timeout = attempt_timeout_ms(policy, Date::now().as_millis().saturating_sub(started));
        let (status, retry_after, detail) = match attempt(planned, &body, timeout).await {
            Attempt::Answered { status, .. } if verdict(status) == Verdict::Accepted => {
                return Delivery::Accepted { status, attempts };
            }
            Attempt::Answered { status, body, .. } if verdict(status) == Verdict::Final => {
                return Delivery::Rejected {
                    status,
                    attempts,
                    detail: excerpt(&body, planned),
                };
            }
            Attempt::Answered {
                status,
                retry_after,
                body,
            } => {
                let now = Date::now().as_millis() as i64;
                (
                    Some(status),
                    retry_after.and_then(|v| retry_after_ms(&v, now)),
                    excerpt(&body, planned),
                )
            }
            Attempt::NoAnswer(reason) => (None, None, reason),
        };
        let elapsed = Date::now().as_millis().saturating_sub(started);
        match next_wait(
            policy,
            attempts,
            retry_after,
            js_sys::Math::random(),
            elapsed,
        )
        .filter(|_| retries.take())
        {
            Some(wait) => Delay::from(Duration::from_millis(wait)).await,
            None => {
                return Delivery::Unavailable {
                    status,
                    attempts,
                    detail,
                    retry_after_ms: retry_after,
                }
            }
        }
    }
}

/// The start of Nudge's answer, for the sender and the log, with the API key taken out in
/// case Nudge echoes the request's headers.
pub(super) fn excerpt(body: &str, planned: &PlannedRequest) -> String {
    let start: String = body.chars().take(200).collect();
    match planned.headers.get("apikey").filter(|k| !k.is_empty()) {
        Some(key) => start.replace(key.as_str(), crate::plan::REDACTED),
        None => start,
    }
}

pub(super) async fn attempt(planned: &PlannedRequest, body: &str, timeout_ms: u64) -> Attempt {
    let request = match build(planned, body) {
        Ok(r) => r,
        Err(e) => return Attempt::NoAnswer(format!("cannot build the request: {e}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let sending = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Box::pin(Delay::from(Duration::from_millis(timeout_ms)));
    let outcome = select(sending, timeout).await;
    let attempt = match outcome {
        Either::Left((Ok(mut response), _)) => {
            let status = response.status_code();
            let retry_after = response.headers().get("retry-after").ok().flatten();
            let body = response.text().await.unwrap_or_default();
            Attempt::Answered {
                status,
                retry_after,
                body,
            }
        }
        Either::Left((Err(e), _)) => Attempt::NoAnswer(format!("network error: {e}")),
        Either::Right(((), _)) => {
            controller.abort();
            Attempt::NoAnswer(format!("no answer within {timeout_ms} ms"))
        }
    };
    attempt
}

fn build(planned: &PlannedRequest, body: &str) -> worker::Result<Request> {
    let headers = Headers::new();
    for (name, value) in &planned.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(planned.method.to_string()))
        .with_headers(headers)
        .with_body(Some(body.into()));
    Request::new_with_init(&planned.url, &init)
}
