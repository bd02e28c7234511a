//! The admin routes: `GET /admin/dead-letters` and `POST /admin/replay`, behind the
//! `ADMIN_KEY` secret ([`crate::queue::admin`] decides who and what; this module reads and
//! writes the KV store and the queue).

use super::queue::{send_all, DEAD_LETTER_STORE, DELIVERIES};
use super::{json_response, text};
use crate::queue::admin::{authorized, list_query, replay_selection, AdminRoute, Selection};
use crate::queue::dead_letter::DeadLetter;
use crate::queue::enqueue::Enqueued;
use serde_json::{json, Value};
use worker::{console_log, Date, Env, KvStore, Request, Response, Result};

/// Answers an admin request, with one log line.
pub(super) async fn handle(route: AdminRoute, req: Request, env: &Env) -> Result<Response> {
    let started = Date::now().as_millis();
    let path = req.path();
    let (status, body) = answer(route, req, env).await;
    let fields = json!({
        "msg": "nudge-edge admin",
        "route": path,
        "status": status,
        "replayed": body.get("replayed").and_then(Value::as_array).map(Vec::len),
        "listed": body.get("dead_letters").and_then(Value::as_array).map(Vec::len),
        "duration_ms": Date::now().as_millis().saturating_sub(started),
    });
    console_log!("{fields}");
    json_response(status, &body, &[])
}

fn failure(status: u16, message: impl Into<String>) -> (u16, Value) {
    (status, json!({"success": false, "message": message.into()}))
}

async fn answer(route: AdminRoute, mut req: Request, env: &Env) -> (u16, Value) {
    if route == AdminRoute::MethodNotAllowed {
        return failure(405, "use GET /admin/dead-letters or POST /admin/replay");
    }
    let header = req.headers().get("authorization").ok().flatten();
    if !authorized(header.as_deref(), text(env, "ADMIN_KEY").as_deref()) {
        return failure(
            401,
            "missing or wrong admin key (Authorization: Bearer <ADMIN_KEY>)",
        );
    }
    let store = match env.kv(DEAD_LETTER_STORE) {
        Ok(store) => store,
        Err(e) => return failure(500, format!("no {DEAD_LETTER_STORE} KV binding: {e}")),
    };
    let result = match route {
        AdminRoute::DeadLetters => {
            let (limit, cursor) = list_query(&req.inner().url());
            list(&store, limit, cursor).await
        }
        _ => match req.bytes().await.map(|b| replay_selection(&b)) {
            Ok(Ok(selection)) => replay(&store, env, selection).await,
            Ok(Err(message)) => return failure(400, message),
            Err(e) => return failure(400, format!("cannot read the body: {e}")),
        },
    };
    result.unwrap_or_else(|e| failure(503, format!("the dead-letter store failed: {e}")))
}

/// The records under `keys`, in their order (missing or unreadable ones left out).
async fn records(store: &KvStore, keys: &[String]) -> std::result::Result<Vec<DeadLetter>, String> {
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
) -> std::result::Result<(Vec<String>, Option<String>), String> {
    let mut list = store.list().limit(limit as u64);
    if let Some(cursor) = cursor.filter(|c| !c.is_empty()) {
        list = list.cursor(cursor);
    }
    let listed = list.execute().await.map_err(|e| e.to_string())?;
    let next = (!listed.list_complete).then_some(listed.cursor).flatten();
    Ok((listed.keys.into_iter().map(|k| k.name).collect(), next))
}

async fn list(
    store: &KvStore,
    limit: usize,
    cursor: Option<String>,
) -> std::result::Result<(u16, Value), String> {
    let (keys, next) = page(store, limit, cursor).await?;
    let dead_letters = records(store, &keys).await?;
    Ok((200, json!({"dead_letters": dead_letters, "cursor": next})))
}

/// Enqueues the selected dead letters again and removes those the queue took.
async fn replay(
    store: &KvStore,
    env: &Env,
    selection: Selection,
) -> std::result::Result<(u16, Value), String> {
    let (keys, more) = match selection {
        Selection::Ids(ids) => (ids, None),
        Selection::Oldest(n) => page(store, n, None).await?,
    };
    let found = records(store, &keys).await?;
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !found.iter().any(|r| &r.id == *k))
        .collect();
    let mut not_replayed: Vec<Value> = Vec::new();
    let mut replayable: Vec<(&DeadLetter, String)> = Vec::new();
    for record in &found {
        match record.replay() {
            Ok(text) => replayable.push((record, text)),
            Err(why) => not_replayed.push(json!({"id": record.id, "reason": why})),
        }
    }
    let texts: Vec<&str> = replayable.iter().map(|(_, t)| t.as_str()).collect();
    let outcomes = send_all(env, DELIVERIES, &texts).await;
    let mut replayed = Vec::new();
    let mut queue_failed = false;
    for ((record, _), outcome) in replayable.iter().zip(outcomes) {
        match outcome {
            // Enqueued first, removed second: a failure in between replays it twice rather
            // than losing it.
            Enqueued::Queued => match store.delete(&record.id).await {
                Ok(()) => replayed.push(record.id.clone()),
                Err(e) => not_replayed.push(json!({"id": record.id, "reason": format!("enqueued, but not removed from the store: {e}")})),
            },
            Enqueued::TooLarge(n) => not_replayed.push(json!({"id": record.id, "reason": format!("message of {n} bytes is too large for the queue")})),
            Enqueued::Failed(e) => {
                queue_failed = true;
                not_replayed.push(json!({"id": record.id, "reason": format!("the queue did not take it: {e}")}));
            }
        }
    }
    // 503 when trying again may help; dead letters that cannot be replayed are listed.
    let status = if queue_failed { 503 } else { 200 };
    Ok((
        status,
        json!({
            "success": not_replayed.is_empty(),
            "replayed": replayed,
            "not_replayed": not_replayed,
            "missing": missing,
            "more": more.is_some(),
        }),
    ))
}
