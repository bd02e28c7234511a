//! The admin routes over the dead letters, and who may use them.
//!
//! `GET /admin/dead-letters[?limit=N&cursor=C]` lists stored dead letters, oldest first;
//! `POST /admin/replay` enqueues them again (`{"ids": [...]}`, or the oldest `limit`, 100 at
//! most, when no ids are given) and removes those it enqueued. Both need
//! `Authorization: Bearer <ADMIN_KEY>`, compared as write keys are (SHA-256 digests, constant
//! time); without the secret set, nobody is let in. The paths are routed with the others
//! ([`crate::ingest::Route`]).

use crate::ingest::auth::WriteKeys;
use serde_json::Value;

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

/// Which dead letters a replay request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These ids (at most [`MAX_PAGE`]).
    Ids(Vec<String>),
    /// The oldest ones, this many.
    Oldest(usize),
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
                Some(ids) if ids.len() <= MAX_PAGE => Ok(Selection::Ids(ids)),
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
        assert_eq!(
            replay_selection(br#"{"ids": ["a", "b"]}"#),
            Ok(Selection::Ids(vec!["a".into(), "b".into()]))
        );
        assert!(replay_selection(br#"{"ids": [1]}"#).is_err());
        assert!(replay_selection(br#"{"limit": 0}"#).is_err());
        assert!(replay_selection(b"[").is_err());
        assert!(replay_selection(b"[]").is_err());
    }
}
