//! analytics.js's settings (its "CDN settings"), served by the Worker, so that a page can load
//! analytics.js with only `cdnURL` pointing at it: a first-party host that ad blockers leave
//! alone, and no Segment CDN.
//!
//! analytics.js (`@segment/analytics-next`) starts by fetching
//! `{cdnURL}/v1/projects/{writeKey}/settings` and sends its events to
//! `{protocol}://{apiHost}` from `integrations["Segment.io"]` in that document. The document
//! served here names this Worker, as the request reached it, and nothing else: no destination
//! to load in the browser, no middleware, and analytics.js's own telemetry off (it would go to
//! `/v1/m`, which takes and drops it).

use super::answer::{self, Answer};
use super::auth::WriteKeys;
use super::cors::cors_headers;
use serde_json::json;

/// How long browsers and CDNs may keep a document: a removed key is served for at most this
/// long, and its events are refused (401) meanwhile.
pub const MAX_AGE_SECS: u32 = 300;

/// The write key a settings path names: `/v1/projects/{writeKey}/settings` (a trailing `/`
/// ignored).
pub fn key_in_path(path: &str) -> Option<&str> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let key = path
        .strip_prefix("/v1/projects/")?
        .strip_suffix("/settings")?;
    (!key.is_empty() && !key.contains('/')).then_some(key)
}

/// A settings request's answer and all its headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    /// Status and JSON body.
    pub answer: Answer,
    /// Every header the response gets (CORS included).
    pub headers: Vec<(&'static str, String)>,
}

/// The answer to `GET` or `HEAD {path}` at `url` (the request's whole URL, whose scheme and
/// host the document points analytics.js at). An accepted key gets its document, readable by
/// any origin (it holds nothing the caller did not send) and cacheable; any other path is
/// answered as a path no route has, with the usual CORS headers for `origin`, so that the
/// answer says nothing about which keys exist.
pub fn serve(
    method: &str,
    path: &str,
    url: &str,
    keys: &WriteKeys,
    origin: Option<&str>,
    allowed_origins: &str,
) -> Served {
    let document = key_in_path(path)
        .filter(|key| keys.accepts(key))
        .zip(origin_of(url))
        .map(|(key, (protocol, host))| document(key, protocol, host));
    match document {
        Some(body) => Served {
            answer: Answer { status: 200, body },
            headers: vec![
                ("access-control-allow-origin", "*".into()),
                ("cache-control", format!("public, max-age={MAX_AGE_SECS}")),
            ],
        },
        None => Served {
            answer: answer::not_found(method, path),
            headers: cors_headers(origin, allowed_origins, false),
        },
    }
}

/// A settings document for `key`, its events going to `{protocol}://{host}/v1`.
fn document(key: &str, protocol: &str, host: &str) -> serde_json::Value {
    let api_host = format!("{host}/v1");
    json!({
        "integrations": {
            "Segment.io": {
                "apiKey": key,
                "apiHost": api_host,
                "protocol": protocol,
                "unbundledIntegrations": [],
                "addBundledMetadata": true,
                "maybeBundledConfigIds": {},
            }
        },
        "plan": {},
        "edgeFunction": {},
        "analyticsNextEnabled": true,
        "middlewareSettings": {},
        "enabledMiddleware": {},
        "metrics": { "sampleRate": 0, "host": api_host },
        "legacyVideoPluginsEnabled": false,
        "remotePlugins": [],
    })
}

/// The scheme (`http` or `https`) and host (with its port) of an absolute URL.
fn origin_of(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let protocol = ["https", "http"]
        .into_iter()
        .find(|p| scheme.eq_ignore_ascii_case(p))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    (!host.is_empty()).then_some((protocol, host))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &str = "wk-1, wk-2";

    fn serve_at(path: &str, url: &str, origin: Option<&str>) -> Served {
        serve(
            "GET",
            path,
            url,
            &WriteKeys::parse(KEYS),
            origin,
            "https://shop.example",
        )
    }

    #[test]
    fn paths() {
        assert_eq!(key_in_path("/v1/projects/wk-1/settings"), Some("wk-1"));
        assert_eq!(key_in_path("/v1/projects/wk-1/settings/"), Some("wk-1"));
        for path in [
            "/v1/projects//settings",
            "/v1/projects/a/b/settings",
            "/v1/projects/wk-1",
            "/v1/projects/wk-1/integrations",
            "/projects/wk-1/settings",
            "/v1/projects/wk-1/settingsx",
        ] {
            assert_eq!(key_in_path(path), None, "{path}");
        }
    }

    #[test]
    fn an_accepted_key_gets_a_document_naming_this_worker() {
        let served = serve_at(
            "/v1/projects/wk-2/settings",
            "https://t.shop.example/v1/projects/wk-2/settings?x=1",
            Some("https://elsewhere.example"),
        );
        assert_eq!(served.answer.status, 200);
        let segment = &served.answer.body["integrations"]["Segment.io"];
        assert_eq!(segment["apiKey"], "wk-2");
        assert_eq!(segment["apiHost"], "t.shop.example/v1");
        assert_eq!(segment["protocol"], "https");
        assert_eq!(served.answer.body["metrics"]["sampleRate"], 0);
        assert_eq!(
            served.answer.body["integrations"]
                .as_object()
                .map(|o| o.len()),
            Some(1),
            "no destination for analytics.js to load"
        );
        assert_eq!(
            served.headers,
            vec![
                ("access-control-allow-origin", "*".to_string()),
                ("cache-control", "public, max-age=300".to_string()),
            ]
        );
        let local = serve_at(
            "/v1/projects/wk-1/settings",
            "http://127.0.0.1:8787/v1/projects/wk-1/settings",
            None,
        );
        let segment = &local.answer.body["integrations"]["Segment.io"];
        assert_eq!(
            (&segment["apiHost"], &segment["protocol"]),
            (&json!("127.0.0.1:8787/v1"), &json!("http"))
        );
    }

    #[test]
    fn any_other_key_is_a_path_no_route_has() {
        let unknown = serve_at(
            "/v1/projects/wk-3/settings",
            "https://t.shop.example/v1/projects/wk-3/settings",
            Some("https://shop.example"),
        );
        let no_route = answer::not_found("GET", "/v1/projects/wk-3/settings");
        assert_eq!(unknown.answer, no_route);
        assert_eq!(
            unknown.headers,
            cors_headers(Some("https://shop.example"), "https://shop.example", false)
        );
        for (path, url) in [
            // A prefix of a key, and a key with more after it.
            ("/v1/projects/wk-/settings", "https://h/"),
            ("/v1/projects/wk-1x/settings", "https://h/"),
            // No host to point analytics.js at.
            ("/v1/projects/wk-1/settings", "/v1/projects/wk-1/settings"),
            ("/v1/projects/wk-1/settings", "ftp://h/"),
            ("/v1/projects/wk-1/settings", "https:///x"),
        ] {
            assert_eq!(serve_at(path, url, None).answer.status, 404, "{path} {url}");
        }
        let none = serve(
            "GET",
            "/v1/projects/wk-1/settings",
            "https://h/",
            &WriteKeys::parse(""),
            None,
            "*",
        );
        assert_eq!(none.answer.status, 404);
    }
}
