//! Sending planned requests to Nudge: at most [`MAX_IN_FLIGHT`] at a time and within the
//! invocation's subrequest budget ([`crate::budget`]), each retried by the core's
//! [`RetryPolicy`] (back-off, jitter, `Retry-After`, time budget). The queue consumer sends
//! with the same [`attempt`], once per message delivery, and retries through the queue.
//!
//! Each attempt has one deadline covering all of it, the answer's body included (a Nudge that
//! sends its headers and then stalls is cut off like one that never answers). Redirects are
//! not followed (`redirect: "manual"`): a 3xx is reported, never counted as sent. At most
//! [`MAX_ANSWER_READ_BYTES`] of an answer are read, and the API key is taken out of what is
//! kept before it is cut to an excerpt.

use crate::budget::{Allowance, MAX_IN_FLIGHT};
use crate::delivery::{
    attempt_timeout_ms, excerpt, next_wait, retry_after_ms, verdict, Delivery, RetryPolicy,
    Verdict, MAX_ANSWER_READ_BYTES,
};
use crate::plan::Request as PlannedRequest;
use futures_util::future::{select, Either};
use futures_util::stream::{self, StreamExt};
use std::pin::pin;
use std::time::Duration;
use worker::{
    AbortController, Date, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
    Response,
};

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
        /// What the sender and the log may see of the answer.
        detail: String,
    },
    NoAnswer(String),
}

async fn deliver(
    planned: &PlannedRequest,
    policy: &RetryPolicy,
    retries: &Allowance,
    started: u64,
) -> Delivery {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let timeout = attempt_timeout_ms(policy, Date::now().as_millis().saturating_sub(started));
        let (status, retry_after, detail) = match attempt(planned, timeout).await {
            Attempt::Answered { status, .. } if verdict(status) == Verdict::Accepted => {
                return Delivery::Accepted { status, attempts };
            }
            Attempt::Answered { status, detail, .. } if verdict(status) == Verdict::Final => {
                return Delivery::Rejected {
                    status,
                    attempts,
                    detail,
                };
            }
            Attempt::Answered {
                status,
                retry_after,
                detail,
            } => {
                let now = Date::now().as_millis() as i64;
                (
                    Some(status),
                    retry_after.and_then(|v| retry_after_ms(&v, now)),
                    detail,
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

fn api_key(planned: &PlannedRequest) -> &str {
    planned.headers.get("apikey").map_or("", String::as_str)
}

pub(super) async fn attempt(planned: &PlannedRequest, timeout_ms: u64) -> Attempt {
    let request = match build(planned) {
        Ok(r) => r,
        Err(e) => return Attempt::NoAnswer(format!("cannot build the request: {e}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let mut deadline = pin!(Delay::from(Duration::from_millis(timeout_ms)));
    let fetch = Fetch::Request(request);
    let sending = pin!(fetch.send_with_signal(&signal));
    let mut response = match select(sending, deadline.as_mut()).await {
        Either::Left((Ok(response), _)) => response,
        Either::Left((Err(e), _)) => {
            let reason = format!("network error: {e}");
            return Attempt::NoAnswer(excerpt(reason.as_bytes(), false, api_key(planned)));
        }
        Either::Right(((), _)) => {
            controller.abort();
            return Attempt::NoAnswer(format!("no answer within {timeout_ms} ms"));
        }
    };
    let status = response.status_code();
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let (retry_after, location) = (header("retry-after"), header("location"));
    let mut detail = String::new();
    if verdict(status) != Verdict::Accepted {
        // The rest of the deadline covers the body: what arrived by then is what is shown.
        let mut read = Vec::new();
        let cut = match select(pin!(read_start(&mut response, &mut read)), deadline).await {
            Either::Left((cut, _)) => cut,
            Either::Right(((), _)) => true,
        };
        detail = excerpt(&read, cut, api_key(planned));
        if let Some(to) = location.filter(|_| (300..400).contains(&status)) {
            let to = excerpt(to.as_bytes(), false, api_key(planned));
            detail = format!("redirected to {to}; redirects are not followed: {detail}");
        }
    }
    // Whatever of the body was not read is not waited for.
    controller.abort();
    Attempt::Answered {
        status,
        retry_after,
        detail,
    }
}

/// Reads the start of an answer's body into `read`, at most [`MAX_ANSWER_READ_BYTES`];
/// whether it stopped before the end.
async fn read_start(response: &mut Response, read: &mut Vec<u8>) -> bool {
    let Ok(mut stream) = response.stream() else {
        return false;
    };
    while let Some(Ok(chunk)) = stream.next().await {
        let room = MAX_ANSWER_READ_BYTES - read.len();
        if chunk.len() >= room {
            read.extend_from_slice(&chunk[..room]);
            return true;
        }
        read.extend_from_slice(&chunk);
    }
    false
}

fn build(planned: &PlannedRequest) -> worker::Result<Request> {
    let headers = Headers::new();
    for (name, value) in &planned.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(planned.method.to_string()))
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(planned.body.as_str().into()));
    Request::new_with_init(&planned.url, &init)
}
