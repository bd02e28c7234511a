//! Which endpoint a request is for, by method and path.
//!
//! Every Segment SDK's paths: the server SDKs and the HTTP API use the long forms
//! (`/v1/track`, `/v1/batch`), analytics.js posts single events to one-letter paths
//! (`{apiHost}/t`, `/i`, `/p`, `/s`, `/g`, `/a`) and batches to `{apiHost}/b`, as the mobile SDKs
//! do; `apiHost` is `<worker>/v1`, as Segment's own default (`api.segment.io/v1`) is.
//! analytics.js's settings (`/v1/projects/{writeKey}/settings`, [`super::cdn_settings`]) and the
//! admin routes over queue mode's dead letters ([`crate::queue::admin`]) are routed here too.

use super::cdn_settings;

/// The single-event endpoints: the long path, analytics.js's one-letter path, and the event
/// type each stands for.
pub const EVENT_PATHS: [(&str, &str); 6] = [
    ("track", "t"),
    ("identify", "i"),
    ("page", "p"),
    ("screen", "s"),
    ("group", "g"),
    ("alias", "a"),
];

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/{type}` or `/v1/{t|i|p|s|g|a}`: one event of that type.
    Event(&'static str),
    /// `POST /v1/batch`, `/v1/import` or `/v1/b`: `{"batch": [...]}`.
    Batch,
    /// `POST /v1/validate`: plan only, nothing sent.
    Validate,
    /// `POST /v1/m`: analytics.js's own telemetry about itself (no events): taken and dropped,
    /// so that it is not answered 404.
    SdkMetrics,
    /// `GET` or `HEAD /health`.
    Health,
    /// `GET` or `HEAD /v1/projects/{writeKey}/settings`: analytics.js's settings.
    Settings,
    /// `GET /admin/dead-letters`: the stored dead letters (`ADMIN_KEY`).
    DeadLetters,
    /// `POST /admin/replay`: dead letters enqueued again (`ADMIN_KEY`).
    Replay,
    /// `GET /admin/overview`: the Delivery Overview (`ADMIN_KEY`).
    Overview,
    /// `POST /admin/test`: the Event Tester (`ADMIN_KEY`).
    Tester,
    /// `GET` or `HEAD /admin` and `/admin/assets/<name>`: the operator's page
    /// ([`crate::admin_page`]), served without the key (it holds no data).
    AdminPage,
    /// `OPTIONS` on any path but the admin ones: CORS preflight.
    Preflight,
    /// A known path with the wrong method.
    MethodNotAllowed,
    /// Anything else.
    NotFound,
}

impl Route {
    /// Whether the request carries events in its body.
    pub fn takes_events(self) -> bool {
        matches!(self, Route::Event(_) | Route::Batch | Route::Validate)
    }

    /// Whether it is an admin route: not for browsers (no CORS), `ADMIN_KEY` instead of write
    /// keys.
    pub fn is_admin(self) -> bool {
        matches!(
            self,
            Route::DeadLetters | Route::Replay | Route::Overview | Route::Tester | Route::AdminPage
        )
    }

    /// The path as a log line may show it (at most 200 characters): a settings path names a
    /// write key, which no log line may hold.
    pub fn log_path(self, path: &str) -> String {
        match self {
            Route::Settings => "/v1/projects/{writeKey}/settings".into(),
            _ => crate::text::clip_chars(path, 200),
        }
    }
}

/// Routes a request by method and path (a trailing `/` is ignored; methods are matched
/// exactly, as HTTP defines them). The admin paths have no preflight.
pub fn route(method: &str, path: &str) -> Route {
    let path = path.strip_suffix('/').unwrap_or(path);
    let (target, methods): (Route, &[&str]) = match path {
        "/admin/dead-letters" => (Route::DeadLetters, &["GET"]),
        "/admin/replay" => (Route::Replay, &["POST"]),
        "/admin/overview" => (Route::Overview, &["GET"]),
        "/admin/test" => (Route::Tester, &["POST"]),
        other if crate::admin_page::serves(other) => (Route::AdminPage, &["GET", "HEAD"]),
        _ if method == "OPTIONS" => return Route::Preflight,
        "/health" => (Route::Health, &["GET", "HEAD"]),
        "/v1/batch" | "/v1/import" | "/v1/b" => (Route::Batch, &["POST"]),
        "/v1/validate" => (Route::Validate, &["POST"]),
        "/v1/m" => (Route::SdkMetrics, &["POST"]),
        other if cdn_settings::key_in_path(other).is_some() => (Route::Settings, &["GET", "HEAD"]),
        other => match other.strip_prefix("/v1/").and_then(event_type) {
            Some(event_type) => (Route::Event(event_type), &["POST"]),
            None => return Route::NotFound,
        },
    };
    if methods.contains(&method) {
        target
    } else {
        Route::MethodNotAllowed
    }
}

/// The event type a single-event path segment stands for (`track` or `t`).
fn event_type(segment: &str) -> Option<&'static str> {
    EVENT_PATHS
        .iter()
        .find(|(long, short)| segment == *long || segment == *short)
        .map(|(long, _)| *long)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overview_tester_and_page_paths() {
        assert_eq!(route("GET", "/admin/overview"), Route::Overview);
        assert_eq!(route("POST", "/admin/test"), Route::Tester);
        assert_eq!(route("GET", "/admin/"), Route::AdminPage);
        assert_eq!(route("HEAD", "/admin/assets/admin.js"), Route::AdminPage);
        assert_eq!(route("GET", "/admin/assets/nope.js"), Route::NotFound);
        assert_eq!(route("OPTIONS", "/admin/overview"), Route::MethodNotAllowed);
        assert_eq!(route("POST", "/admin"), Route::MethodNotAllowed);
        assert!(Route::Overview.is_admin() && Route::AdminPage.is_admin());
    }

    #[test]
    fn long_paths() {
        assert_eq!(route("POST", "/v1/track"), Route::Event("track"));
        assert_eq!(route("POST", "/v1/alias/"), Route::Event("alias"));
        assert_eq!(route("POST", "/v1/batch"), Route::Batch);
        assert_eq!(route("POST", "/v1/import"), Route::Batch);
        assert_eq!(route("POST", "/v1/validate"), Route::Validate);
        assert_eq!(route("GET", "/health"), Route::Health);
        assert_eq!(route("HEAD", "/health/"), Route::Health);
    }

    #[test]
    fn settings_of_analytics_js() {
        assert_eq!(route("GET", "/v1/projects/wk/settings"), Route::Settings);
        assert_eq!(route("HEAD", "/v1/projects/wk/settings/"), Route::Settings);
        assert_eq!(
            route("POST", "/v1/projects/wk/settings"),
            Route::MethodNotAllowed
        );
        assert_eq!(
            route("OPTIONS", "/v1/projects/wk/settings"),
            Route::Preflight
        );
        assert_eq!(route("GET", "/v1/projects/wk"), Route::NotFound);
        assert_eq!(
            Route::Settings.log_path("/v1/projects/secret-key/settings"),
            "/v1/projects/{writeKey}/settings"
        );
        assert_eq!(Route::NotFound.log_path(&"x".repeat(300)).len(), 200);
        assert!(!Route::Settings.takes_events() && !Route::Settings.is_admin());
    }

    #[test]
    fn one_letter_paths_of_analytics_js_and_the_mobile_sdks() {
        for (long, short) in EVENT_PATHS {
            assert_eq!(
                route("POST", &format!("/v1/{short}")),
                Route::Event(long),
                "{short}"
            );
            assert_eq!(route("POST", &format!("/v1/{long}")), Route::Event(long));
        }
        assert_eq!(route("POST", "/v1/b"), Route::Batch);
        assert_eq!(route("POST", "/v1/m"), Route::SdkMetrics);
    }

    #[test]
    fn admin_paths() {
        assert_eq!(route("GET", "/admin/dead-letters"), Route::DeadLetters);
        assert_eq!(route("POST", "/admin/replay/"), Route::Replay);
        assert_eq!(route("GET", "/admin/replay"), Route::MethodNotAllowed);
        assert_eq!(route("OPTIONS", "/admin/replay"), Route::MethodNotAllowed);
        assert_eq!(route("GET", "/admin/nothing"), Route::NotFound);
        assert!(Route::Replay.is_admin() && !Route::Replay.takes_events());
        assert!(!Route::Batch.is_admin() && !Route::Preflight.is_admin());
    }

    #[test]
    fn everything_else() {
        assert_eq!(route("GET", "/v1/track"), Route::MethodNotAllowed);
        assert_eq!(route("GET", "/v1/t"), Route::MethodNotAllowed);
        assert_eq!(route("POST", "/health"), Route::MethodNotAllowed);
        assert_eq!(route("post", "/v1/track"), Route::MethodNotAllowed);
        assert_eq!(route("OPTIONS", "/v1/batch"), Route::Preflight);
        assert_eq!(route("OPTIONS", "/anything"), Route::Preflight);
        for path in [
            "/v1/nope",
            "/v1/x",
            "/v1/",
            "/v1",
            "/track",
            "/t",
            "/b",
            "/v2/track",
            "/v1/t/x",
            "/v1//t",
            "",
            "/",
        ] {
            assert_eq!(route("POST", path), Route::NotFound, "{path:?}");
        }
        assert!(Route::Event("track").takes_events() && Route::Validate.takes_events());
        assert!(!Route::Health.takes_events() && !Route::SdkMetrics.takes_events());
    }
}
