//! CORS for browsers (analytics.js): which origins may call the Worker, and the preflight
//! answer. analytics.js sends `Authorization` (so every request is preflighted) and, when it
//! retries, `X-Retry-Count`; a preflight that left either out would make the browser drop
//! the request.

/// Request headers a browser may send.
pub const ALLOWED_HEADERS: &str = "authorization, content-type, content-encoding, x-retry-count";

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
        headers.push((
            "access-control-allow-methods",
            "GET, HEAD, POST, OPTIONS".into(),
        ));
        headers.push(("access-control-allow-headers", ALLOWED_HEADERS.into()));
        headers.push(("access-control-max-age", "86400".into()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_allowed_origins() {
        assert!(cors_headers(None, "*", false).is_empty());
        assert_eq!(
            cors_headers(Some("https://a.example"), "*", false)[0].1,
            "*"
        );
        let preflight = cors_headers(
            Some("https://a.example"),
            "https://b.example, https://a.example/",
            true,
        );
        assert_eq!(preflight.len(), 5);
        assert_eq!(preflight[0].1, "https://a.example");
        assert!(cors_headers(Some("https://c.example"), "https://a.example", true).is_empty());
        assert!(cors_headers(Some("https://a.example"), "", false).is_empty());
    }

    #[test]
    fn preflight_allows_what_analytics_js_sends() {
        let preflight = cors_headers(Some("https://a.example"), "*", true);
        let allowed = &preflight
            .iter()
            .find(|(name, _)| *name == "access-control-allow-headers")
            .unwrap()
            .1;
        for header in [
            "authorization",
            "content-type",
            "x-retry-count",
            "content-encoding",
        ] {
            assert!(allowed.split(", ").any(|h| h == header), "{header}");
        }
    }
}
