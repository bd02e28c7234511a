//! The admin routes, behind the `ADMIN_KEY` secret: `GET /admin/dead-letters` and
//! `POST /admin/replay` ([`crate::queue::admin`] decides who and what; this module reads and
//! writes the KV store and the queue), `GET /admin/overview` (the ledger's shards, merged by
//! [`crate::ledger::overview`]) and `POST /admin/test` ([`crate::tester`]).

use super::deployment::{Deployment, DEAD_LETTER_STORE, DELIVERIES};
use super::queue::send_all;
use super::reply::Reply;
use super::{body, forward, ledger};
use crate::delivery::settings::MAX_IN_FLIGHT;
use crate::ingest::answer::{self, Answer};
use crate::ingest::auth::HeaderAuth;
use crate::ingest::Route;
use crate::ledger::call::Call;
use crate::ledger::overview::{self, Query, ShardOverview};
use crate::queue::admin::{
    authorized, list_query, replay_answer, replay_selection, ReplayEnd, Selection,
};
use crate::queue::dead_letter::DeadLetter;
use crate::queue::enqueue::Enqueued;
use crate::tester::{self, TestRequest};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use worker::{Date, Env, KvStore, Request};

/// Answers an admin request (`route` is [`Route::DeadLetters`] or [`Route::Replay`]).
pub(super) async fn handle(route: Route, req: Request, env: &Env, d: &Deployment) -> Reply {
    let answer = answer_to(route, req, env, d).await;
    let body = &answer.body;
    let log = json!({
        "admin": true,
        "replayed": body.get("replayed").and_then(Value::as_array).map(Vec::len),
        "listed": body.get("dead_letters").and_then(Value::as_array).map(Vec::len),
    });
    Reply::from(answer).logging(log)
}

async fn answer_to(route: Route, mut req: Request, env: &Env, d: &Deployment) -> Answer {
    let header = req.headers().get("authorization").ok().flatten();
    if !authorized(header.as_deref(), &d.admin_key) {
        return answer::failure(
            401,
            "unauthorized",
            "missing or wrong admin key (Authorization: Bearer <ADMIN_KEY>)",
        );
    }
    match route {
        Route::Overview => return overview(&req, env, d).await,
        Route::Tester => return tester(&mut req, d).await,
        _ => {}
    }
    let store = match env.kv(DEAD_LETTER_STORE) {
        Ok(store) => store,
        Err(e) => {
            return answer::failure(
                500,
                "misconfigured",
                format!("no {DEAD_LETTER_STORE} KV binding: {e}"),
            )
        }
    };
    let result = if route == Route::DeadLetters {
        let (limit, cursor) = list_query(&req.inner().url());
        list(&store, limit, cursor).await
    } else {
        // The same capped reader as events' bodies: an admin cannot make the Worker buffer
        // more than the request limit either.
        let selection = match body::read(&mut req).await {
            Ok(bytes) => replay_selection(&bytes),
            Err(e) => return answer::refused(&e, HeaderAuth::Accepted),
        };
        match selection {
            Ok(selection) => replay(&store, env, selection).await,
            Err(message) => return answer::failure(400, "invalid_request", message),
        }
    };
    result.unwrap_or_else(|e| {
        answer::failure(
            503,
            "store_unavailable",
            format!("the dead-letter store failed: {e}"),
        )
    })
}

/// `GET /admin/overview`: every shard's part, merged.
async fn overview(req: &Request, env: &Env, d: &Deployment) -> Answer {
    let now = Date::now().as_millis() as i64;
    let query = match Query::from_url(&req.inner().url(), now) {
        Ok(query) => query,
        Err(message) => return answer::failure(400, "invalid_request", message),
    };
    let calls: Vec<(u32, Call)> = (0..d.delivery.ledger_shards)
        .map(|shard| {
            let call = Call {
                now_ms: now,
                overview: Some(query.clone()),
                ..Call::default()
            };
            (shard, call)
        })
        .collect();
    let mut merged = ShardOverview::default();
    for reply in ledger::call_all(env, &calls).await {
        match reply.and_then(|r| r.overview) {
            Some(part) => merged.merge(part),
            None => {
                return answer::failure(
                    503,
                    "store_unavailable",
                    "a shard of the ledger did not answer; retry",
                )
            }
        }
    }
    // The selector offers every configured mapping, counted yet or not.
    if let Ok(config) = d.nudge_config() {
        for m in &config.mappings {
            if !merged.mappings.contains(&m.name) {
                merged.mappings.push(m.name.clone());
            }
        }
    }
    Answer {
        status: 200,
        body: overview::answer(&query, &merged),
    }
}

/// `POST /admin/test`: the event planned as the Worker would, and sent once when asked.
async fn tester(req: &mut Request, d: &Deployment) -> Answer {
    let bytes = match body::read(req).await {
        Ok(bytes) => bytes,
        Err(e) => return answer::refused(&e, HeaderAuth::Accepted),
    };
    let test = match TestRequest::read(&bytes) {
        Ok(test) => test,
        Err(message) => return answer::failure(400, "invalid_request", message),
    };
    let (planner, _) = match d.planner() {
        Ok(serving) => serving,
        Err(problems) => return answer::misconfigured(&problems, true),
    };
    let plan = match test.plan(planner, Date::now().as_millis() as i64) {
        Ok(plan) => plan,
        Err(message) => return answer::failure(400, "invalid_event", message),
    };
    let nudge = if test.send {
        let timeout = d.delivery.policy.attempt_timeout_ms;
        Some(
            stream::iter(plan.requests.iter().map(|r| forward::attempt(r, timeout)))
                .buffered(MAX_IN_FLIGHT)
                .collect::<Vec<_>>()
                .await,
        )
    } else {
        None
    };
    Answer {
        status: 200,
        body: tester::answer(&plan, nudge.as_deref()),
    }
}

/// The records under `keys`, in their order (missing or unreadable ones left out).
async fn records(store: &KvStore, keys: &[String]) -> Result<Vec<DeadLetter>, String> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let values = store
        .get_bulk(keys)
        .text()
        .await
        .map_err(|e| e.to_string())?;
    Ok(keys
        .iter()
        .filter_map(|k| values.get(k)?.as_deref())
        .filter_map(|v| serde_json::from_str(v).ok())
        .collect())
}

/// A page of keys, oldest first, and the cursor of the next page.
async fn page(
    store: &KvStore,
    limit: usize,
    cursor: Option<String>,
) -> Result<(Vec<String>, Option<String>), String> {
    let mut list = store.list().limit(limit as u64);
    if let Some(cursor) = cursor.filter(|c| !c.is_empty()) {
        list = list.cursor(cursor);
    }
    let listed = list.execute().await.map_err(|e| e.to_string())?;
    let next = (!listed.list_complete).then_some(listed.cursor).flatten();
    Ok((listed.keys.into_iter().map(|k| k.name).collect(), next))
}

async fn list(store: &KvStore, limit: usize, cursor: Option<String>) -> Result<Answer, String> {
    let (keys, next) = page(store, limit, cursor).await?;
    let dead_letters = records(store, &keys).await?;
    Ok(Answer {
        status: 200,
        body: json!({
            "dead_letters": dead_letters.iter().map(DeadLetter::listed).collect::<Vec<_>>(),
            "cursor": next,
        }),
    })
}

/// Enqueues the selected dead letters again and removes those the queue took.
async fn replay(store: &KvStore, env: &Env, selection: Selection) -> Result<Answer, String> {
    let (keys, invalid, more) = match selection {
        Selection::Ids { valid, invalid } => (valid, invalid, None),
        Selection::Oldest(n) => {
            let (keys, more) = page(store, n, None).await?;
            (keys, Vec::new(), more)
        }
    };
    let found = records(store, &keys).await?;
    let mut ends: Vec<(String, ReplayEnd)> = Vec::new();
    let mut replayable: Vec<(&DeadLetter, String)> = Vec::new();
    for key in &keys {
        match found.iter().find(|r| &r.id == key) {
            None => ends.push((key.clone(), ReplayEnd::Missing)),
            Some(record) => match record.replay() {
                Ok(text) => replayable.push((record, text)),
                Err(why) => ends.push((key.clone(), ReplayEnd::NotReplayable(why))),
            },
        }
    }
    let texts: Vec<&str> = replayable.iter().map(|(_, t)| t.as_str()).collect();
    let outcomes = send_all(env, DELIVERIES, &texts).await;
    for ((record, _), outcome) in replayable.iter().zip(outcomes) {
        let end = match outcome {
            // Enqueued first, removed second: a failure in between replays it twice rather
            // than losing it.
            Enqueued::Queued => match store.delete(&record.id).await {
                Ok(()) => ReplayEnd::Replayed,
                Err(e) => ReplayEnd::NotRemoved(e.to_string()),
            },
            Enqueued::TooLarge(n) => {
                ReplayEnd::NotReplayable(format!("message of {n} bytes is too large for the queue"))
            }
            Enqueued::Failed(e) => ReplayEnd::QueueFailed(e.to_string()),
        };
        ends.push((record.id.clone(), end));
    }
    Ok(replay_answer(&ends, &invalid, more.is_some()))
}
