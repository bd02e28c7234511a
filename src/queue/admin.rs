//! The admin routes over the dead letters, and who may use them.
//!
//! `GET /admin/dead-letters[?limit=N&cursor=C]` lists stored dead letters, oldest first;
//! `POST /admin/replay` enqueues them again (`{"ids": [...]}`, or the oldest `limit`, 100 at
//! most, when no ids are given) and removes those it enqueued. Both need
//! `Authorization: Bearer <ADMIN_KEY>`, compared as write keys are (SHA-256 digests, constant
//! time); without the secret set, nobody is let in. The paths are routed with the others
//! ([`crate::ingest::Route`]).

use crate::ingest::answer::Answer;
use crate::ingest::auth::WriteKeys;
use serde_json::{json, Value};

/// Most dead letters listed or replayed by one request.
pub const MAX_PAGE: usize = 100;
/// Dead letters listed when the request does not say.
pub const DEFAULT_PAGE: usize = 50;

/// Whether an `Authorization` header carries the admin key (`Bearer <key>`; `ADMIN_KEY` read
/// with [`WriteKeys::one`]). No key configured, or no header: no.
pub fn authorized(authorization: Option<&str>, admin_key: &WriteKeys) -> bool {
    let token = authorization.and_then(|h| {
        let h = h.trim();
        h.strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
    });
    token.is_some_and(|t| admin_key.accepts(t.trim()))
}

/// A listing's page size (1 to [`MAX_PAGE`]) and cursor, from the URL's query
/// (`limit=N&cursor=C`, URL-encoded).
pub fn list_query(url: &str) -> (usize, Option<String>) {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let (mut limit, mut cursor) = (None, None);
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "limit" => limit = value.trim().parse::<usize>().ok(),
            "cursor" if !value.is_empty() => cursor = Some(value.into_owned()),
            _ => {}
        }
    }
    (limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE), cursor)
}

/// Longest dead-letter id: the 15-digit time, a dash, and a queue message id with room to
/// spare (KV keys may be 512 bytes).
pub const MAX_ID_BYTES: usize = 256;

/// Whether `id` is one the dead-letter store could hold: [`super::dead_letter::key`]'s shape
/// (15 digits, `-`, then letters, digits, `-`, `_` or `.`), at most [`MAX_ID_BYTES`]. Anything
/// else (`..`, `""`, 600 bytes…) names no dead letter, so it is refused before the store is
/// asked.
pub fn is_dead_letter_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() > 16
        && bytes.len() <= MAX_ID_BYTES
        && bytes[..15].iter().all(u8::is_ascii_digit)
        && bytes[15] == b'-'
        && bytes[16..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Which dead letters a replay request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These ids (at most [`MAX_PAGE`]), and those that cannot be dead-letter ids.
    Ids {
        /// Ids of the store's shape ([`is_dead_letter_id`]).
        valid: Vec<String>,
        /// The others, answered `invalid`.
        invalid: Vec<String>,
    },
    /// The oldest ones, this many.
    Oldest(usize),
}

/// What became of one dead letter a replay named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayEnd {
    /// Enqueued again and removed from the store.
    Replayed,
    /// Not in the store.
    Missing,
    /// Stored, but it cannot be replayed (why).
    NotReplayable(String),
    /// The queue did not take it (why): trying again may help.
    QueueFailed(String),
    /// Enqueued, but not removed from the store (why): it may be replayed twice.
    NotRemoved(String),
}

/// The answer to a replay: what became of each id, and of the ids that were invalid. 503 only
/// when the queue failed (trying again may help); 400 when some ids were invalid (the others
/// were still replayed); otherwise 200.
pub fn replay_answer(ends: &[(String, ReplayEnd)], invalid: &[String], more: bool) -> Answer {
    let mut replayed = Vec::new();
    let mut missing = Vec::new();
    let mut not_replayed = Vec::new();
    let mut queue_failed = false;
    for (id, end) in ends {
        let reason = match end {
            ReplayEnd::Replayed => {
                replayed.push(id);
                continue;
            }
            ReplayEnd::Missing => {
                missing.push(id);
                continue;
            }
            ReplayEnd::NotReplayable(why) => why.clone(),
            ReplayEnd::QueueFailed(why) => {
                queue_failed = true;
                format!("the queue did not take it: {why}")
            }
            ReplayEnd::NotRemoved(why) => {
                format!("enqueued, but not removed from the store: {why}")
            }
        };
        not_replayed.push(json!({"id": id, "reason": reason}));
    }
    let invalid: Vec<String> = invalid.iter().map(|id| crate::text::quoted(id)).collect();
    Answer {
        status: if queue_failed {
            503
        } else if !invalid.is_empty() {
            400
        } else {
            200
        },
        body: json!({
            "success": not_replayed.is_empty() && invalid.is_empty(),
            "replayed": replayed,
            "not_replayed": not_replayed,
            "missing": missing,
            "invalid": invalid,
            "more": more,
        }),
    }
}

/// Reads a replay request's body: empty, `{}`, `{"limit": n}` or `{"ids": [...]}`.
pub fn replay_selection(body: &[u8]) -> Result<Selection, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Selection::Oldest(MAX_PAGE));
    }
    let doc: Value =
        serde_json::from_slice(body).map_err(|e| format!("body is not valid JSON: {e}"))?;
    let Value::Object(doc) = doc else {
        return Err("body must be a JSON object".into());
    };
    match (doc.get("ids"), doc.get("limit")) {
        (Some(Value::Array(ids)), _) => {
            let ids: Option<Vec<String>> =
                ids.iter().map(|v| v.as_str().map(String::from)).collect();
            match ids {
                Some(ids) if ids.len() <= MAX_PAGE => {
                    let (valid, invalid) = ids.into_iter().partition(|id| is_dead_letter_id(id));
                    Ok(Selection::Ids { valid, invalid })
                }
                Some(_) => Err(format!("at most {MAX_PAGE} ids per replay")),
                None => Err("`ids` must be an array of strings".into()),
            }
        }
        (Some(_), _) => Err("`ids` must be an array of strings".into()),
        (None, Some(limit)) => match limit.as_u64() {
            Some(n) if n >= 1 => Ok(Selection::Oldest((n as usize).min(MAX_PAGE))),
            _ => Err("`limit` must be a whole number of at least 1".into()),
        },
        (None, None) => Ok(Selection::Oldest(MAX_PAGE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_admin_key_lets_in() {
        let key = &WriteKeys::one("adm-secret");
        assert!(authorized(Some("Bearer adm-secret"), key));
        assert!(authorized(Some(" bearer  adm-secret "), key));
        assert!(!authorized(Some("Bearer adm-secre"), key));
        assert!(!authorized(Some("adm-secret"), key));
        assert!(!authorized(Some("Basic adm-secret"), key));
        assert!(!authorized(None, key));
        assert!(
            !authorized(Some("Bearer "), &WriteKeys::one("")),
            "an empty key lets nobody in"
        );
    }

    #[test]
    fn pages_and_selections() {
        let base = "https://w.example/admin/dead-letters";
        assert_eq!(list_query(base), (DEFAULT_PAGE, None));
        assert_eq!(list_query(&format!("{base}?limit=1000")), (MAX_PAGE, None));
        assert_eq!(list_query(&format!("{base}?limit=0&cursor=")), (1, None));
        assert_eq!(
            list_query(&format!("{base}?limit=x&cursor=a%2Bb%3D%3D#frag")),
            (DEFAULT_PAGE, Some("a+b==".into()))
        );
        assert_eq!(replay_selection(b""), Ok(Selection::Oldest(MAX_PAGE)));
        assert_eq!(replay_selection(b"{}"), Ok(Selection::Oldest(MAX_PAGE)));
        assert_eq!(
            replay_selection(br#"{"limit": 3}"#),
            Ok(Selection::Oldest(3))
        );
        let good = "001747207800000-5d54ab";
        assert_eq!(
            replay_selection(
                format!(
                    r#"{{"ids": ["{good}", "..", ".", "", "{}"]}}"#,
                    "a".repeat(600)
                )
                .as_bytes()
            ),
            Ok(Selection::Ids {
                valid: vec![good.into()],
                invalid: vec!["..".into(), ".".into(), "".into(), "a".repeat(600)]
            })
        );
        assert!(replay_selection(br#"{"ids": [1]}"#).is_err());
        assert!(replay_selection(br#"{"limit": 0}"#).is_err());
        assert!(replay_selection(b"[").is_err());
        assert!(replay_selection(b"[]").is_err());
    }

    #[test]
    fn dead_letter_ids_have_the_store_keys_shape() {
        use crate::queue::dead_letter::key;
        assert!(is_dead_letter_id(&key(1_747_207_800_110, "5d54e1c0a9")));
        assert!(is_dead_letter_id(&key(0, "m-1")));
        for bad in [
            "",
            ".",
            "..",
            "001747207800110-",
            "00174720780011-x",
            "001747207800110-../x",
            "001747207800110-a/b",
        ] {
            assert!(!is_dead_letter_id(bad), "{bad:?}");
        }
        assert!(!is_dead_letter_id(&key(0, &"a".repeat(MAX_ID_BYTES))));
    }

    #[test]
    fn replays_answer_per_id_and_ask_for_a_retry_only_when_the_queue_failed() {
        let ends = vec![
            ("a".to_string(), ReplayEnd::Replayed),
            ("b".to_string(), ReplayEnd::Missing),
            (
                "c".to_string(),
                ReplayEnd::NotReplayable("it is not a delivery message".into()),
            ),
        ];
        let mixed = replay_answer(&ends, &["..".into()], false);
        assert_eq!(mixed.status, 400, "an invalid id is the caller's to fix");
        assert_eq!(mixed.body["replayed"], json!(["a"]));
        assert_eq!(mixed.body["missing"], json!(["b"]));
        assert_eq!(mixed.body["invalid"], json!([".."]));
        assert_eq!(mixed.body["not_replayed"][0]["id"], "c");
        assert_eq!(mixed.body["success"], false);
        let ok = replay_answer(&ends[..1], &[], true);
        assert_eq!(
            (
                ok.status,
                ok.body["success"].clone(),
                ok.body["more"].clone()
            ),
            (200, json!(true), json!(true))
        );
        let down = replay_answer(
            &[("a".into(), ReplayEnd::QueueFailed("busy".into()))],
            &[".".into()],
            false,
        );
        assert_eq!(down.status, 503);
    }
}
