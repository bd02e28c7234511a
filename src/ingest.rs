//! Segment's HTTP Tracking API as the Worker accepts it: routes, bodies, limits and write keys.
//!
//! `POST /v1/track|identify|page|screen|group|alias` carry one event (the path gives the type
//! when the body has none), `POST /v1/batch` carries `{"batch": [...]}`, `POST /v1/validate`
//! takes the same bodies for a dry run. Limits are Segment's: 32 KB per event, 500 KB per
//! request. Pure functions: the Worker shell only moves bytes.

use base64::Engine;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// Largest accepted event, serialised.
pub const MAX_EVENT_BYTES: usize = 32 * 1024;
/// Largest accepted request body.
pub const MAX_REQUEST_BYTES: usize = 500 * 1024;

/// The single-event endpoints and the event type each stands for.
pub const EVENT_TYPES: [&str; 6] = ["track", "identify", "page", "screen", "group", "alias"];

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/{type}`: one event.
    Event(&'static str),
    /// `POST /v1/batch`.
    Batch,
    /// `POST /v1/validate`: plan only, nothing sent.
    Validate,
    /// `GET /health`.
    Health,
    /// `OPTIONS` on any path: CORS preflight.
    Preflight,
    /// A known path with the wrong method.
    MethodNotAllowed,
    /// Anything else.
    NotFound,
}

/// Routes a request by method and path (trailing `/` ignored).
pub fn route(method: &str, path: &str) -> Route {
    let path = path.trim_end_matches('/');
    if method.eq_ignore_ascii_case("OPTIONS") {
        return Route::Preflight;
    }
    let post = method.eq_ignore_ascii_case("POST");
    let target = match path {
        "/health" => {
            return if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
                Route::Health
            } else {
                Route::MethodNotAllowed
            }
        }
        "/v1/batch" | "/v1/import" => Route::Batch,
        "/v1/validate" => Route::Validate,
        other => match other
            .strip_prefix("/v1/")
            .and_then(|t| EVENT_TYPES.iter().find(|e| **e == t))
        {
            Some(t) => Route::Event(t),
            None => return Route::NotFound,
        },
    };
    if post {
        target
    } else {
        Route::MethodNotAllowed
    }
}

/// Why a request body cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestError {
    /// The whole body is over [`MAX_REQUEST_BYTES`].
    RequestTooLarge(usize),
    /// One event is over [`MAX_EVENT_BYTES`].
    EventTooLarge {
        /// Its position in the request.
        index: usize,
        /// Its size in bytes.
        size: usize,
    },
    /// The content type is not JSON.
    UnsupportedContentType(String),
    /// The body is not JSON, or not the shape the route expects.
    Malformed(String),
}

impl IngestError {
    /// The HTTP status that answers it.
    pub fn status(&self) -> u16 {
        match self {
            IngestError::RequestTooLarge(_) | IngestError::EventTooLarge { .. } => 413,
            IngestError::UnsupportedContentType(_) => 415,
            IngestError::Malformed(_) => 400,
        }
    }

    /// A sentence for the response body.
    pub fn message(&self) -> String {
        match self {
            IngestError::RequestTooLarge(size) => format!("request body is {size} bytes; the limit is {MAX_REQUEST_BYTES} bytes (500 KB)"),
            IngestError::EventTooLarge { index, size } => format!("event {index} is {size} bytes; the limit is {MAX_EVENT_BYTES} bytes (32 KB) per event"),
            IngestError::UnsupportedContentType(t) => format!("content-type {t:?} is not supported; send application/json"),
            IngestError::Malformed(m) => m.clone(),
        }
    }
}

/// The events of an accepted request, and the write key its body carried, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    /// The events, in order.
    pub events: Vec<Value>,
    /// `writeKey` from the body (Segment accepts it there as well as in Basic auth).
    pub body_write_key: Option<String>,
}

/// Checks size and content type, parses the body and lists its events.
pub fn ingest(
    route: Route,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Ingested, IngestError> {
    if body.len() > MAX_REQUEST_BYTES {
        return Err(IngestError::RequestTooLarge(body.len()));
    }
    if let Some(ct) = content_type {
        let media = ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        // analytics.js sends text/plain when it uses navigator.sendBeacon.
        if !(media == "application/json" || media == "text/plain" || media.ends_with("+json")) {
            return Err(IngestError::UnsupportedContentType(ct.to_string()));
        }
    }
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| IngestError::Malformed(format!("body is not valid JSON: {e}")))?;
    let Value::Object(mut doc) = doc else {
        return Err(IngestError::Malformed("body must be a JSON object".into()));
    };
    let body_write_key = match doc.remove("writeKey") {
        Some(Value::String(k)) => Some(k),
        _ => None,
    };
    let events = match route {
        Route::Event(event_type) => {
            doc.entry("type")
                .or_insert_with(|| Value::String(event_type.to_string()));
            vec![Value::Object(doc)]
        }
        Route::Batch | Route::Validate => batch_events(doc)?,
        _ => Vec::new(),
    };
    for (index, event) in events.iter().enumerate() {
        let size = serde_json::to_vec(event).map_or(0, |b| b.len());
        if size > MAX_EVENT_BYTES {
            return Err(IngestError::EventTooLarge { index, size });
        }
    }
    Ok(Ingested {
        events,
        body_write_key,
    })
}

/// `{"batch": [...]}`, with batch-level `context` and `integrations` given to events that
/// lack them. For `/v1/validate` a single event object is accepted too.
fn batch_events(mut doc: Map<String, Value>) -> Result<Vec<Value>, IngestError> {
    let items = match doc.remove("batch") {
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(IngestError::Malformed(
                "`batch` must be an array of events".into(),
            ))
        }
        None if doc.contains_key("type") => return Ok(vec![Value::Object(doc)]),
        None => {
            return Err(IngestError::Malformed(
                "body must have a `batch` array of events".into(),
            ))
        }
    };
    let shared: Vec<(String, Value)> = ["context", "integrations"]
        .iter()
        .filter_map(|k| doc.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    Ok(items
        .into_iter()
        .map(|item| match item {
            Value::Object(mut event) => {
                for (k, v) in &shared {
                    event.entry(k.clone()).or_insert_with(|| v.clone());
                }
                Value::Object(event)
            }
            other => other,
        })
        .collect())
}

/// The user name of an `Authorization: Basic …` header (Segment's write key).
pub fn basic_auth_user(header: &str) -> Option<String> {
    let encoded = header
        .trim()
        .strip_prefix("Basic ")
        .or_else(|| header.trim().strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let user = text.split_once(':').map_or(text.as_str(), |(u, _)| u);
    (!user.is_empty()).then(|| user.to_string())
}

/// Accepted write keys from the `WRITE_KEYS` secret: separated by commas, spaces or newlines.
pub fn parse_write_keys(secret: &str) -> Vec<String> {
    secret
        .split([',', ' ', '\n', '\r', '\t'])
        .filter(|k| !k.is_empty())
        .map(String::from)
        .collect()
}

/// Whether `candidate` is one of `accepted`, comparing every key in constant time.
pub fn write_key_accepted(candidate: &str, accepted: &[String]) -> bool {
    accepted
        .iter()
        .fold(subtle::Choice::from(0), |found, key| {
            found | key.as_bytes().ct_eq(candidate.as_bytes())
        })
        .into()
}

/// CORS headers for a request from `origin`, given `ALLOWED_ORIGINS` (`*`, or origins separated
/// by commas); none when the origin is not allowed. Preflights also get methods, headers and a
/// max age.
pub fn cors_headers(
    origin: Option<&str>,
    allowed_origins: &str,
    preflight: bool,
) -> Vec<(&'static str, String)> {
    let Some(origin) = origin else {
        return Vec::new();
    };
    let allowed: Vec<&str> = allowed_origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .collect();
    let allow = if allowed.contains(&"*") {
        "*".to_string()
    } else if allowed.iter().any(|a| a.trim_end_matches('/') == origin) {
        origin.to_string()
    } else {
        return Vec::new();
    };
    let mut headers = vec![
        ("access-control-allow-origin", allow),
        ("vary", "Origin".to_string()),
    ];
    if preflight {
        headers.push(("access-control-allow-methods", "GET, POST, OPTIONS".into()));
        headers.push((
            "access-control-allow-headers",
            "authorization, content-type".into(),
        ));
        headers.push(("access-control-max-age", "86400".into()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_segment_paths() {
        assert_eq!(route("POST", "/v1/track"), Route::Event("track"));
        assert_eq!(route("POST", "/v1/alias/"), Route::Event("alias"));
        assert_eq!(route("POST", "/v1/batch"), Route::Batch);
        assert_eq!(route("POST", "/v1/validate"), Route::Validate);
        assert_eq!(route("GET", "/health"), Route::Health);
        assert_eq!(route("GET", "/v1/track"), Route::MethodNotAllowed);
        assert_eq!(route("OPTIONS", "/v1/batch"), Route::Preflight);
        assert_eq!(route("POST", "/v1/nope"), Route::NotFound);
    }

    #[test]
    fn single_events_get_their_type_from_the_path() {
        let got = ingest(
            Route::Event("page"),
            Some("application/json"),
            br#"{"name": "Home", "writeKey": "wk"}"#,
        )
        .unwrap();
        assert_eq!(got.events, vec![json!({"name": "Home", "type": "page"})]);
        assert_eq!(got.body_write_key.as_deref(), Some("wk"));
        let kept = ingest(Route::Event("track"), None, br#"{"type": "identify"}"#).unwrap();
        assert_eq!(kept.events[0]["type"], "identify");
    }

    #[test]
    fn batches_share_context_and_integrations() {
        let body = json!({"batch": [{"type": "track"}, {"type": "page", "context": {"x": 1}}], "context": {"ip": "1"}, "integrations": {"All": false}});
        let got = ingest(
            Route::Batch,
            Some("application/json; charset=utf-8"),
            body.to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(got.events[0]["context"], json!({"ip": "1"}));
        assert_eq!(got.events[1]["context"], json!({"x": 1}));
        assert_eq!(got.events[1]["integrations"], json!({"All": false}));
    }

    #[test]
    fn rejects_what_segment_rejects() {
        assert_eq!(
            ingest(Route::Batch, None, b"{nope").unwrap_err().status(),
            400
        );
        assert_eq!(
            ingest(Route::Batch, None, b"[1]").unwrap_err().status(),
            400
        );
        assert_eq!(
            ingest(Route::Batch, None, br#"{"events": []}"#)
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            ingest(
                Route::Batch,
                Some("application/x-www-form-urlencoded"),
                b"{}"
            )
            .unwrap_err()
            .status(),
            415
        );
        let big = json!({"batch": [{"type": "track", "properties": {"blob": "x".repeat(MAX_EVENT_BYTES)}}]});
        let too_large = ingest(Route::Batch, None, big.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(too_large, IngestError::EventTooLarge { index: 0, size } if size > MAX_EVENT_BYTES),
            "{too_large:?}"
        );
        assert_eq!(too_large.status(), 413);
        let huge = vec![b' '; MAX_REQUEST_BYTES + 1];
        assert_eq!(ingest(Route::Batch, None, &huge).unwrap_err().status(), 413);
    }

    #[test]
    fn cors_follows_allowed_origins() {
        assert!(cors_headers(None, "*", false).is_empty());
        assert_eq!(
            cors_headers(Some("https://a.example"), "*", false)[0].1,
            "*"
        );
        assert_eq!(
            cors_headers(
                Some("https://a.example"),
                "https://b.example, https://a.example/",
                true
            )
            .len(),
            5
        );
        assert!(cors_headers(Some("https://c.example"), "https://a.example", true).is_empty());
        assert!(cors_headers(Some("https://a.example"), "", false).is_empty());
    }

    #[test]
    fn write_keys() {
        assert_eq!(basic_auth_user("Basic d2stMTo="), Some("wk-1".into()));
        assert_eq!(basic_auth_user("Basic d2stMQ=="), Some("wk-1".into()));
        assert_eq!(basic_auth_user("Bearer x"), None);
        assert_eq!(basic_auth_user("Basic !!!"), None);
        let keys = parse_write_keys("wk-1, wk-2\nwk-3");
        assert_eq!(keys.len(), 3);
        assert!(write_key_accepted("wk-2", &keys));
        assert!(!write_key_accepted("wk-", &keys));
        assert!(!write_key_accepted("", &[]));
    }
}
