//! The Cloudflare Worker: a thin `#[event(fetch)]` over the core.
//!
//! [`fetch`] routes with [`ingest::route`] and hands the request to one small handler per
//! route; each returns a [`Reply`] (the core's [`Answer`] plus fields for the log line), which
//! [`fetch`] turns into the response and one log line. Events are planned, then enqueued
//! (queue mode, the default) or sent within the request (direct mode). Every decision (routes,
//! auth, limits, events, plan, batching, splits, retries, back-off, dead letters, answers) is
//! made in the core ([`crate::ingest`], [`crate::plan::Planner`], [`crate::batching`],
//! [`crate::delivery`], [`crate::queue`]); these modules only move bytes.
//!
//! - [`deployment`]: the environment, built once per isolate.
//! - [`body`]: the request body, streamed into the core's capped reader.
//! - [`forward`]: sending requests to Nudge as the core's dispatch chooses (both modes).
//! - [`queue`]: enqueueing, and the `queue` handler that consumes the deliveries and the dead
//!   letters.
//! - [`admin`]: the dead-letter routes.

mod admin;
mod body;
mod deployment;
mod forward;
mod ledger;
mod queue;
mod reply;

use crate::batching;
use crate::delivery::direct;
use crate::delivery::dispatch::{Dispatch, Ended, Fate};
use crate::delivery::report;
use crate::delivery::settings::DeliveryMode;
use crate::event::Event;
use crate::ingest::answer::{self, Answer};
use crate::ingest::auth::HeaderAuth;
use crate::ingest::cdn_settings;
use crate::ingest::cors::cors_headers;
use crate::ingest::events::Envelope;
use crate::ingest::{self, Route};
use crate::ledger::dedupe::{self, tally_only, Dedupe, Verdict};
use crate::ledger::tally::Tally;
use crate::plan::{Planned, Planner};
use deployment::Deployment;
use reply::Reply;
use serde_json::{json, Value};
use worker::{console_log, event, Context, Date, Env, Headers, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let received_at = Date::now().as_millis();
    let method = req.method().to_string();
    let path = req.path();
    let route = ingest::route(&method, &path);
    let deployment = Deployment::from_env(&env);
    let header = |name: &str| req.headers().get(name).ok().flatten();
    // The admin routes are not for other origins, and their answers are never cached.
    let mut cors = if route.is_admin() {
        vec![("cache-control", "no-store".to_string())]
    } else {
        cors_headers(
            header("origin").as_deref(),
            &deployment.allowed_origins,
            route == Route::Preflight,
        )
    };
    let retry_count = header("x-retry-count").and_then(|v| v.trim().parse::<u32>().ok());
    let reply = match route {
        Route::Preflight => Reply::from(Answer {
            status: 204,
            body: Value::Null,
        }),
        Route::NotFound => answer::not_found(&method, &path).into(),
        Route::MethodNotAllowed => answer::method_not_allowed(&method, &path).into(),
        Route::SdkMetrics => answer::sdk_metrics().into(),
        Route::Health => health(&req, &deployment),
        Route::Settings => {
            let url = req.url().map(|u| u.to_string()).unwrap_or_default();
            let origin = header("origin");
            let served = cdn_settings::serve(
                &method,
                &path,
                &url,
                &deployment.write_keys,
                origin.as_deref(),
                &deployment.allowed_origins,
            );
            cors = served.headers;
            served.answer.into()
        }
        Route::DeadLetters | Route::Replay | Route::Overview | Route::Tester => {
            admin::handle(route, req, &env, &deployment).await
        }
        Route::AdminPage => return admin_page(&method, &path),
        Route::Event(_) | Route::Batch | Route::Validate => {
            track(req, &env, &deployment, route, received_at).await
        }
    };
    let mut log = reply.log;
    log["msg"] = json!("nudge-edge request");
    log["route"] = json!(route.log_path(&path));
    log["status"] = json!(reply.answer.status);
    if let Some(n) = retry_count {
        log["retry_count"] = json!(n);
    }
    log["duration_ms"] = json!(Date::now().as_millis().saturating_sub(received_at));
    console_log!("{log}");
    respond(&reply.answer, &cors, reply.retry_after_secs)
}

/// The operator's page and its files ([`crate::admin_page`]), with its strict headers.
fn admin_page(method: &str, path: &str) -> Result<Response> {
    let Some(asset) = crate::admin_page::asset(path) else {
        return respond(&answer::not_found(method, path), &[], None);
    };
    let headers = Headers::new();
    headers.set("content-type", asset.content_type)?;
    for (name, value) in crate::admin_page::page_headers() {
        headers.set(name, &value)?;
    }
    let response = if method == "HEAD" {
        Response::empty()?
    } else {
        Response::ok(asset.body)?
    };
    Ok(response.with_headers(headers))
}

fn respond(
    answer: &Answer,
    cors: &[(&'static str, String)],
    retry_after_secs: Option<u64>,
) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in cors {
        headers.set(name, value)?;
    }
    if let Some(secs) = retry_after_secs {
        headers.set("retry-after", &secs.to_string())?;
    }
    let response = if answer.body.is_null() {
        Response::empty()?
    } else {
        headers.set("content-type", "application/json")?;
        Response::from_bytes(serde_json::to_vec(&answer.body)?)?
    };
    Ok(response.with_status(answer.status).with_headers(headers))
}

fn header_auth(req: &Request, deployment: &Deployment) -> HeaderAuth {
    let authorization = req.headers().get("authorization").ok().flatten();
    HeaderAuth::of(authorization.as_deref(), &deployment.write_keys)
}

/// `GET /health`: whether the deployment can serve; details only with a valid write key.
fn health(req: &Request, deployment: &Deployment) -> Reply {
    let authenticated = header_auth(req, deployment) == HeaderAuth::Accepted;
    match deployment.planner() {
        Ok((planner, _)) => {
            answer::health(&[], planner.config().mappings.len(), authenticated).into()
        }
        Err(problems) => Reply::from(answer::health(&problems, 0, authenticated))
            .logging(json!({"config_errors": problems})),
    }
}

/// Events in (`/v1/track`, `/v1/t`, `/v1/batch`, `/v1/b`, `/v1/validate`, …): auth, body,
/// events, plan, then a dry run's answer, the queue's, or delivery's.
async fn track(
    mut req: Request,
    env: &Env,
    deployment: &Deployment,
    route: Route,
    received_at: u64,
) -> Reply {
    let header = header_auth(&req, deployment);
    let (planner, mode) = match deployment.planner() {
        Ok(serving) => serving,
        Err(problems) => {
            return Reply::from(answer::misconfigured(
                &problems,
                header == HeaderAuth::Accepted,
            ))
            .logging(json!({"config_errors": problems}))
        }
    };
    if header == HeaderAuth::Refused {
        return answer::unauthorized().into();
    }
    let refused = |e: ingest::IngestError, header| {
        let log = json!({"refused": e.code()});
        Reply::from(answer::refused(&e, header)).logging(log)
    };
    // A refusal after the caller is known and the body read is counted in the overview.
    let counted = |e: ingest::IngestError, events: usize| async move {
        let mut tally = Tally::new(received_at as i64, Vec::new());
        tally.refused(events as u64, e.code());
        let calls = tally_only(
            tally,
            None,
            deployment.delivery.ledger_shards,
            received_at as i64,
        );
        let ledger = ledger::call_all(env, &calls).await;
        refused(e, HeaderAuth::Accepted).logging(json!({"refused": "counted", "ledger_failed": ledger.iter().filter(|r| r.is_none()).count()}))
    };
    let body = match body::read(&mut req).await {
        Ok(body) => body,
        Err(e) => return refused(e, header),
    };
    let envelope = match Envelope::parse(&body, route) {
        Ok(envelope) => envelope,
        Err(e) if header == HeaderAuth::Accepted && route != Route::Validate => {
            return counted(e, 1).await
        }
        Err(e) => return refused(e, header),
    };
    if !header.with_body_key(envelope.write_key.as_deref(), &deployment.write_keys) {
        return answer::unauthorized().into();
    }
    let carried = envelope.event_count();
    let request_id = request_id();
    let events = match envelope.into_identified_events(received_at as i64, Some(&request_id)) {
        Ok(events) => events,
        Err(e) if route == Route::Validate => return refused(e, HeaderAuth::Accepted),
        Err(e) => return counted(e, carried).await,
    };
    let event_count = events.len();
    let read = events.read();
    if route == Route::Validate {
        let plan = planner.plan_events(&read);
        let log = json!({"dry_run": true, "counts": report::counts(&plan.results, event_count)});
        return Reply::from(answer::validated(plan, event_count)).logging(log);
    }
    let planned = planner.payloads(&read);
    let ids = dedupe::message_ids(&planned.payloads, &read);
    match mode {
        DeliveryMode::Queue => {
            queue::enqueue(env, deployment, planned, &ids, &read, received_at as i64).await
        }
        DeliveryMode::Direct => deliver(env, planner, planned, &ids, &read, deployment).await,
    }
}

/// A string unique to this request, for the `messageId`s of its events that have none.
fn request_id() -> String {
    let random = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
    format!(
        "{:08x}{:08x}{:08x}",
        Date::now().as_millis() & 0xffff_ffff,
        random(),
        random()
    )
}

/// Direct mode: claims the payloads in the ledger, sends those it lets go to Nudge within the
/// subrequest budget and the retry policy (the core's dispatch decides), settles them in the
/// ledger with the overview's counts, and answers with the settlement.
async fn deliver(
    env: &Env,
    planner: &Planner,
    planned: Planned,
    ids: &[Option<String>],
    events: &[Event<'_>],
    d: &Deployment,
) -> Reply {
    let now = Date::now().as_millis();
    let dedupe = Dedupe::new(&planned.payloads, ids, d.delivery.ledger_shards);
    let claims = dedupe.claims(now as i64);
    let claimed = ledger::call_all(env, &claims).await;
    let verdicts = dedupe.verdicts(&claims, &claimed);
    // The ledger's calls (the claims, and as many settlements) come out of the same budget.
    let budget = d.delivery.nudge_budget(claims.len());
    let dispatch = Dispatch::new(
        batching::group_where(&planned.payloads, |p| verdicts[p] == Verdict::Send),
        budget,
        Some(d.delivery.policy),
        d.delivery.policy.attempt_timeout_ms,
        Date::now().as_millis(),
    );
    let (ended, subrequests) = forward::run(dispatch, &planned.payloads, planner.endpoints()).await;
    let outcomes = direct::ledger_outcomes(
        planned.payloads.items.len(),
        &ended,
        &verdicts,
        Date::now().as_millis() as i64,
    );
    let settlement = direct::settle(
        planned.results,
        &planned.payloads,
        &ended,
        budget,
        &verdicts,
    );
    let now = Date::now().as_millis() as i64;
    let mut tally = Tally::new(now, d.secrets.to_vec());
    tally.results(events, &settlement.results);
    let settled = ledger::call_all(env, &dedupe.settlements(now, |p| outcomes[p], tally)).await;
    let mut log = json!({
        "nudge": delivery_log(&ended),
        "subrequests": subrequests,
        "ledger_calls": claims.len() + settled.len(),
        "ledger_failed": claimed.iter().chain(&settled).filter(|r| r.is_none()).count(),
        "ledger_rows_written": claimed.iter().chain(&settled).flatten().map(|r| r.rows_written).sum::<u64>(),
    });
    let answer = answer::delivered(&settlement, events.len());
    log["counts"] = answer.body["counts"].clone();
    Reply {
        answer,
        log,
        retry_after_secs: settlement.retry_after_secs,
    }
}

/// What the log line says of Nudge's answers: counts, and the first few parts not delivered.
fn delivery_log(ended: &[Ended]) -> Value {
    let accepted = ended
        .iter()
        .filter(|e| matches!(e.fate, Fate::Delivered { .. }))
        .count();
    let problems: Vec<Value> = ended
        .iter()
        .filter(|e| !matches!(e.fate, Fate::Delivered { .. }))
        .take(5)
        .map(|e| json!({"events": e.members.len(), "delivery": format!("{:?}", e.fate)}))
        .collect();
    json!({"requests": ended.len(), "accepted": accepted, "problems": problems})
}
