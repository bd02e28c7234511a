//! The Cloudflare Worker: a thin `#[event(fetch)]` over the core.
//!
//! It reads the deployment's environment, routes with [`crate::ingest::route`], checks the
//! write key, turns the body into events, asks [`crate::plan()`] what to send, and either
//! enqueues it ([`queue`], queue mode) or sends it ([`forward`], direct mode) and answers with
//! [`crate::delivery::settle`]'s verdict. The queue handler is in [`queue`], the dead-letter
//! routes in [`admin`]. Every decision is made in the core; these modules only move bytes.

mod admin;
mod forward;
mod queue;

use crate::budget::DEFAULT_SUBREQUESTS;
use crate::config::{Config, ConfigMemo};
use crate::delivery::{self, RetryPolicy};
use crate::error::{ConfigError, ConfigErrors};
use crate::ingest::{self, Ingested, Route};
use crate::plan::Planner;
use crate::queue::backoff::Schedule;
use crate::queue::DeliveryMode;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::rc::Rc;
use worker::{console_log, event, Context, Date, Env, Headers, Request, Response, Result};

/// What the environment configures.
struct Deployment {
    config: Rc<std::result::Result<Config, ConfigErrors>>,
    write_keys: Vec<String>,
    allowed_origins: String,
    policy: RetryPolicy,
    delivery: std::result::Result<DeliveryMode, ConfigError>,
    subrequest_budget: u32,
    schedule: Schedule,
}

fn text(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
}

/// What a deployment's configuration is built from: `NUDGE_API_KEY`, `NUDGE_ENDPOINT`,
/// `MAPPINGS`.
type EnvironmentText = (Option<String>, Option<String>, Option<String>);

thread_local! {
    /// An isolate serves many requests with the same environment: its configuration is built
    /// once, not per request.
    static LAST_CONFIG: ConfigMemo<EnvironmentText, Result<Config, ConfigErrors>> =
        const { ConfigMemo::new() };
}

fn cached_config(env: EnvironmentText) -> Rc<Result<Config, ConfigErrors>> {
    let Ok(config) = LAST_CONFIG.with(|memo| {
        memo.get_or_build(env, |(apikey, endpoint, mappings)| {
            Ok::<_, Infallible>(Config::from_environment(
                apikey.as_deref(),
                endpoint.as_deref(),
                mappings.as_deref(),
            ))
        })
    });
    config
}

fn number(env: &Env, name: &str, default: u64) -> u64 {
    text(env, name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

impl Deployment {
    fn from_env(env: &Env) -> Deployment {
        let defaults = RetryPolicy::default();
        let backoff = Schedule::default();
        let config = cached_config((
            text(env, "NUDGE_API_KEY"),
            text(env, "NUDGE_ENDPOINT"),
            text(env, "MAPPINGS"),
        ));
        let write_keys = ingest::parse_write_keys(&text(env, "WRITE_KEYS").unwrap_or_default());
        Deployment {
            config,
            write_keys,
            allowed_origins: text(env, "ALLOWED_ORIGINS").unwrap_or_default(),
            // Bounded, so that no setting overflows a timer or outlasts a sender's patience.
            policy: RetryPolicy {
                max_attempts: number(env, "RETRY_MAX_ATTEMPTS", defaults.max_attempts.into())
                    .clamp(1, 10) as u32,
                base_delay_ms: number(env, "RETRY_BASE_DELAY_MS", defaults.base_delay_ms)
                    .min(60_000),
                max_delay_ms: number(env, "RETRY_MAX_DELAY_MS", defaults.max_delay_ms).min(60_000),
                budget_ms: number(env, "RETRY_BUDGET_MS", defaults.budget_ms).min(120_000),
                attempt_timeout_ms: number(env, "NUDGE_TIMEOUT_MS", defaults.attempt_timeout_ms)
                    .clamp(1, 120_000),
            },
            delivery: queue::delivery_mode(env),
            subrequest_budget: number(env, "SUBREQUEST_BUDGET", DEFAULT_SUBREQUESTS.into())
                .clamp(1, 10_000) as u32,
            schedule: Schedule::new(
                number(env, "QUEUE_RETRY_BASE_DELAY_S", backoff.base_delay_s.into()),
                number(env, "QUEUE_RETRY_MAX_DELAY_S", backoff.max_delay_s.into()),
            ),
        }
    }
}

fn json_response(status: u16, body: &Value, cors: &[(&'static str, String)]) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    for (name, value) in cors {
        headers.set(name, value)?;
    }
    Ok(Response::from_bytes(serde_json::to_vec(body)?)?
        .with_status(status)
        .with_headers(headers))
}

/// One structured line per request: counts, statuses, duration; never a key.
fn log(mut fields: Value) {
    fields["msg"] = json!("nudge-edge request");
    console_log!("{fields}");
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let started = Date::now().as_millis();
    let method = req.method().to_string();
    let path = req.path();
    if let Some(admin_route) = crate::queue::admin::route(&method, &path) {
        return admin::handle(admin_route, req, &env).await;
    }
    let route = ingest::route(&method, &path);
    let deployment = Deployment::from_env(&env);
    let origin = req.headers().get("origin")?;
    let cors = ingest::cors_headers(
        origin.as_deref(),
        &deployment.allowed_origins,
        route == Route::Preflight,
    );
    let finish = |status: u16, body: Value, mut fields: Value| {
        fields["route"] = json!(path);
        fields["status"] = json!(status);
        fields["duration_ms"] = json!(Date::now().as_millis().saturating_sub(started));
        log(fields);
        json_response(status, &body, &cors)
    };

    match route {
        Route::Preflight => {
            let mut res = Response::empty()?.with_status(204);
            for (name, value) in &cors {
                res.headers_mut().set(name, value)?;
            }
            log(json!({"route": path, "status": 204, "preflight": true}));
            return Ok(res);
        }
        Route::NotFound => {
            return finish(
                404,
                json!({"success": false, "message": format!("no route for {method} {path}")}),
                json!({}),
            )
        }
        Route::MethodNotAllowed => {
            return finish(
                405,
                json!({"success": false, "message": format!("{method} is not allowed on {path}")}),
                json!({}),
            )
        }
        _ => {}
    }
    let (config, mode) = match (
        &*deployment.config,
        deployment.write_keys.is_empty(),
        &deployment.delivery,
    ) {
        (Ok(config), false, Ok(mode)) => (config, *mode),
        (result, no_write_keys, mode) => {
            let mut errors = result
                .as_ref()
                .err()
                .map(|e| e.0.clone())
                .unwrap_or_default();
            errors.extend(mode.as_ref().err().cloned());
            if no_write_keys {
                errors.push(ConfigError {
                    path: "WRITE_KEYS".into(),
                    message: "no write keys are configured (secret WRITE_KEYS)".into(),
                });
            }
            let body = json!({"success": false, "message": "the destination is misconfigured; nothing was forwarded", "errors": errors});
            return finish(500, body, json!({"config_errors": errors.len()}));
        }
    };
    if route == Route::Health {
        return finish(
            200,
            json!({"ok": true, "mappings": config.mappings.len()}),
            json!({}),
        );
    }

    // Segment's API: Basic auth with the write key as user name, or `writeKey` in the body.
    let header_key = req
        .headers()
        .get("authorization")?
        .and_then(|h| ingest::basic_auth_user(&h));
    let unauthorized = || {
        let body = json!({"success": false, "message": "missing or unknown write key"});
        finish(401, body, json!({}))
    };
    if header_key
        .as_deref()
        .is_some_and(|k| !ingest::write_key_accepted(k, &deployment.write_keys))
    {
        return unauthorized();
    }
    let content_type = req.headers().get("content-type")?;
    let bytes = req.bytes().await?;
    let Ingested {
        events,
        body_write_key,
    } = match ingest::ingest(route, content_type.as_deref(), &bytes) {
        Ok(ingested) => ingested,
        Err(e) if header_key.is_some() => {
            return finish(
                e.status(),
                json!({"success": false, "message": e.message()}),
                json!({"bytes": bytes.len()}),
            )
        }
        Err(_) => return unauthorized(),
    };
    if header_key.is_none()
        && !body_write_key
            .as_deref()
            .is_some_and(|k| ingest::write_key_accepted(k, &deployment.write_keys))
    {
        return unauthorized();
    }

    let event_count = events.len();
    let plan = Planner::new(config.clone()).plan(&Value::Array(events));
    if route == Route::Validate {
        let counts = delivery::counts(&plan.results, event_count);
        let body = json!({"valid": plan.all_valid(), "plan": plan.redacted()});
        return finish(200, body, json!({"dry_run": true, "counts": counts}));
    }
    if mode == DeliveryMode::Queue {
        let (status, body, fields) = queue::enqueue(&env, plan, config, event_count).await;
        return finish(status, body, fields);
    }
    let deliveries = forward::deliver_all(
        &plan.requests,
        &deployment.policy,
        deployment.subrequest_budget,
    )
    .await;
    let nudge: Vec<Value> = plan
        .requests
        .iter()
        .zip(&deliveries)
        .map(|(r, d)| json!({"events": r.events.len(), "delivery": d}))
        .collect();
    let settlement = delivery::settle(plan, &deliveries);
    let body = delivery::response_body(&settlement, event_count);
    let fields = json!({"counts": body["counts"], "nudge": nudge});
    let mut res = finish(settlement.status, body, fields)?;
    if let Some(secs) = settlement.retry_after_secs {
        res.headers_mut().set("retry-after", &secs.to_string())?;
    }
    Ok(res)
}
