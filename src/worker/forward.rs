//! Sending requests to Nudge, in both modes: [`run`] drives the core's
//! [`Dispatch`] (which parts go now, splits, retries, the budget) and [`attempt`] makes one
//! attempt, at most [`MAX_IN_FLIGHT`] at a time.
//!
//! Each attempt has one deadline covering all of it, the answer's body included (a Nudge that
//! sends its headers and then stalls is cut off like one that never answers). Redirects are
//! not followed (`redirect: "manual"`): a 3xx is reported, never counted as sent. At most
//! [`MAX_ANSWER_READ_BYTES`] of an answer are read, and the API key is taken out of what is
//! kept before it is cut to an excerpt.

use crate::batching::{Endpoints, Payloads, Request as PlannedRequest};
use crate::delivery::dispatch::{Dispatch, Ended};
use crate::delivery::nudge::{excerpt, verdict, Outcome, Verdict, MAX_ANSWER_READ_BYTES};
use crate::delivery::settings::MAX_IN_FLIGHT;
use futures_util::future::{select, Either};
use futures_util::stream::{self, StreamExt};
use std::pin::pin;
use std::time::Duration;
use worker::{
    AbortController, Date, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
    Response,
};

fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// Runs `dispatch` to its end: sends each round of due parts (at most [`MAX_IN_FLIGHT`] at
/// once), records Nudge's answers, and sleeps until the next part is due. What became of each
/// part, and the subrequests made.
pub async fn run(
    mut dispatch: Dispatch,
    payloads: &Payloads,
    endpoints: &Endpoints,
) -> (Vec<Ended>, u32) {
    loop {
        let now = now_ms();
        let due = dispatch.due(now);
        if due.is_empty() {
            match dispatch.next_wake() {
                Some(at) => {
                    Delay::from(Duration::from_millis(at.saturating_sub(now))).await;
                    continue;
                }
                None => break,
            }
        }
        let timeout = dispatch.attempt_timeout_ms(now);
        let requests: Vec<PlannedRequest> = due
            .iter()
            .map(|&id| {
                let part = dispatch.part(id);
                endpoints.request(payloads, part.destination, &part.members)
            })
            .collect();
        let outcomes: Vec<Outcome> = stream::iter(requests.iter().map(|r| attempt(r, timeout)))
            .buffered(MAX_IN_FLIGHT)
            .collect()
            .await;
        let now = now_ms();
        for (id, outcome) in due.into_iter().zip(&outcomes) {
            dispatch.record(id, outcome, now, js_sys::Math::random());
        }
    }
    let subrequests = dispatch.attempts();
    (dispatch.finish(), subrequests)
}

fn api_key(planned: &PlannedRequest) -> &str {
    planned.headers.get("apikey").map_or("", String::as_str)
}

/// One attempt at a request, within `timeout_ms`.
pub(super) async fn attempt(planned: &PlannedRequest, timeout_ms: u64) -> Outcome {
    let request = match build(planned) {
        Ok(r) => r,
        Err(e) => return Outcome::NoAnswer(format!("cannot build the request: {e}")),
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
            return Outcome::NoAnswer(excerpt(reason.as_bytes(), false, api_key(planned)));
        }
        Either::Right(((), _)) => {
            controller.abort();
            return Outcome::TimedOut(timeout_ms);
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
    Outcome::Answered {
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
