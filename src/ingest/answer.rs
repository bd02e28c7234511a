//! What the Worker answers, decided here: status and JSON body for every outcome, bounded in
//! size whatever the request, and saying nothing about the configuration to a caller without a
//! valid write key (the details go to the log and to authenticated callers).

use super::auth::HeaderAuth;
use super::IngestError;
use crate::config::ConfigError;
use crate::delivery::report::{self, Settlement};
use crate::plan::{Plan, Request};
use crate::text::{clip_chars, quoted as clip};
use serde_json::{json, Value};

/// Most bytes of planned requests a `/v1/validate` answer shows.
pub const MAX_PLAN_BYTES: usize = 256 * 1024;

/// A status and a JSON body (`Value::Null`: no body).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

/// A refusal: `success: false`, a stable `code` for programs, a `message` for people.
pub fn failure(status: u16, code: &str, message: impl Into<String>) -> Answer {
    Answer {
        status,
        body: json!({"success": false, "code": code, "message": message.into()}),
    }
}

/// 401: no accepted write key.
pub fn unauthorized() -> Answer {
    failure(401, "unauthorized", "missing or unknown write key")
}

/// A body that cannot be taken. Without a Basic header, a body that cannot be read (not JSON,
/// broken gzip) proves no key, so it is answered 401; limits, types and encodings are
/// answered as what they are (they say nothing about the configuration).
pub fn refused(error: &IngestError, header: HeaderAuth) -> Answer {
    if matches!(error, IngestError::Malformed(_)) && header != HeaderAuth::Accepted {
        return unauthorized();
    }
    failure(error.status(), error.code(), error.message())
}

/// 404 for a path no route has.
pub fn not_found(method: &str, path: &str) -> Answer {
    failure(
        404,
        "not_found",
        format!("no route for {} {}", clip(method), clip(path)),
    )
}

/// 405 for a known path with another method.
pub fn method_not_allowed(method: &str, path: &str) -> Answer {
    failure(
        405,
        "method_not_allowed",
        format!("{} is not allowed on {}", clip(method), clip(path)),
    )
}

/// analytics.js's telemetry about itself: taken, nothing to do with it.
pub fn sdk_metrics() -> Answer {
    Answer {
        status: 204,
        body: Value::Null,
    }
}

/// `GET /health`: 200 when the deployment can serve, else 500. Only an authenticated caller
/// learns the number of mappings or what is wrong.
pub fn health(problems: &[ConfigError], mappings: usize, authenticated: bool) -> Answer {
    match (problems.is_empty(), authenticated) {
        (true, true) => Answer {
            status: 200,
            body: json!({"ok": true, "mappings": mappings}),
        },
        (true, false) => Answer {
            status: 200,
            body: json!({"ok": true}),
        },
        (false, true) => Answer {
            status: 500,
            body: json!({"ok": false, "message": "unhealthy", "errors": shown(problems)}),
        },
        (false, false) => Answer {
            status: 500,
            body: json!({"ok": false, "message": "unhealthy"}),
        },
    }
}

/// 500 for a request the deployment cannot serve (bad `MAPPINGS`, missing secret); the
/// problems only to an authenticated caller.
pub fn misconfigured(problems: &[ConfigError], authenticated: bool) -> Answer {
    let mut answer = failure(
        500,
        "misconfigured",
        "the destination is misconfigured; nothing was forwarded",
    );
    if authenticated {
        answer.body["errors"] = json!(shown(problems));
    }
    answer
}

/// Most characters of one configuration problem's message an answer shows (a message can
/// quote a whole subscription; the log line has it all).
const MAX_PROBLEM_CHARS: usize = 300;

fn shown(problems: &[ConfigError]) -> Vec<ConfigError> {
    problems
        .iter()
        .map(|p| ConfigError {
            path: p.path.clone(),
            message: match clip_chars(&p.message, MAX_PROBLEM_CHARS) {
                cut if cut.len() < p.message.len() => format!("{cut}…"),
                whole => whole,
            },
        })
        .collect()
}

/// `/v1/validate`: whether every event is valid, the counts, and the plan with the API key
/// redacted: its requests up to [`MAX_PLAN_BYTES`], its results as
/// [`report::listed_results`] lists them; `omitted` says what was left out.
pub fn validated(plan: Plan, events: usize) -> Answer {
    let counts = report::counts(&plan.results, events);
    let valid = plan.all_valid();
    let plan = plan.redacted();
    let mut bytes = 0;
    let shown = plan
        .requests
        .iter()
        .take_while(|r| {
            bytes += serde_json::to_vec(r).map_or(0, |b| b.len());
            bytes <= MAX_PLAN_BYTES
        })
        .count();
    let (results, omitted_results) = report::listed_results(&plan.results);
    // Built as values in place: `json!` would copy every request's tree once more.
    let mut shown_plan = serde_json::Map::new();
    shown_plan.insert(
        "requests".into(),
        Value::Array(
            plan.requests[..shown]
                .iter()
                .map(Request::to_shown_value)
                .collect(),
        ),
    );
    shown_plan.insert("results".into(), json!(results));
    let mut body = serde_json::Map::new();
    body.insert("valid".into(), Value::Bool(valid));
    body.insert("counts".into(), counts);
    body.insert("plan".into(), Value::Object(shown_plan));
    let mut body = Value::Object(body);
    let omitted_requests = plan.requests.len() - shown;
    if omitted_requests + omitted_results > 0 {
        body["omitted"] = json!({"requests": omitted_requests, "results": omitted_results});
    }
    Answer { status: 200, body }
}

/// The answer after delivery: [`report::response_body`] with the settlement's status.
pub fn delivered(settlement: &Settlement, events: usize) -> Answer {
    Answer {
        status: settlement.status,
        body: report::response_body(settlement, events),
    }
}

/// Queue mode's answer once the queue has taken what it would: [`report::response_body`]
/// with the enqueue settlement's status (each taken event `queued`, counted under `queued`;
/// `sent` is left for events Nudge accepted) and a sentence that says so.
pub fn queued(settlement: &Settlement, events: usize) -> Answer {
    let mut body = report::response_body(settlement, events);
    body["message"] = json!(match settlement.status {
        200 => "accepted: queued for delivery to Nudge",
        400 => "some events were not queued: see results (the others were)",
        _ => "the delivery queue did not take some events; retry the request",
    });
    Answer {
        status: settlement.status,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::plan::plan;

    fn problems() -> Vec<ConfigError> {
        vec![ConfigError {
            path: "/mappings/0/subscription".into(),
            message: "unexpected end in `type = `".into(),
        }]
    }

    #[test]
    fn a_plan_nested_deeper_than_a_tree_is_answered_not_a_panic() {
        let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
        let text = format!(
            r#"[{{"type":"track","userId":"u","event":"e","timestamp":"2025-01-01T00:00:00Z","properties":{{"d":{deep}}}}}]"#
        );
        let plan = crate::plan::Planner::new(Config::with_presets("k"))
            .plan_text(&text)
            .unwrap();
        let answer = validated(plan, 1);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body["plan"]["requests"][0]["body_is_text"], true);
    }

    #[test]
    fn configuration_problems_only_to_authenticated_callers() {
        let open = health(&problems(), 3, false);
        assert_eq!(open.status, 500);
        assert_eq!(open.body, json!({"ok": false, "message": "unhealthy"}));
        let told = health(&problems(), 3, true);
        assert_eq!(told.body["errors"][0]["path"], "/mappings/0/subscription");
        assert_eq!(health(&[], 3, false).body, json!({"ok": true}));
        assert_eq!(
            health(&[], 3, true).body,
            json!({"ok": true, "mappings": 3})
        );
        let hidden = misconfigured(&problems(), false);
        assert_eq!(hidden.status, 500);
        assert!(hidden.body.get("errors").is_none());
        assert!(!hidden.body.to_string().contains("type ="));
        assert_eq!(
            misconfigured(&problems(), true).body["errors"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn unreadable_bodies_without_a_key_are_401() {
        let not_json = IngestError::Malformed("body is not valid JSON".into());
        assert_eq!(refused(&not_json, HeaderAuth::Absent).status, 401);
        assert_eq!(refused(&not_json, HeaderAuth::Accepted).status, 400);
        let big = IngestError::RequestTooLarge(Some(3_000_000));
        let answer = refused(&big, HeaderAuth::Absent);
        assert_eq!(answer.status, 413);
        assert_eq!(answer.body["code"], "request_too_large");
    }

    #[test]
    fn quoted_request_text_is_bounded() {
        let path = format!("/{}", "a".repeat(20_000));
        assert!(not_found("POST", &path).body.to_string().len() < 300);
        assert!(
            method_not_allowed(&"X".repeat(5000), "/v1/track")
                .body
                .to_string()
                .len()
                < 300
        );
    }

    #[test]
    fn queue_mode_says_queued() {
        let config = Config::with_presets("k");
        let p = plan(
            &json!([{"type": "track", "userId": "u", "event": "e", "timestamp": 0}, {"type": "track"}]),
            &config,
        );
        let settle = |status| Settlement {
            results: p.results.clone(),
            status,
            retry_after_secs: None,
        };
        let partly = queued(&settle(400), 2);
        assert_eq!(partly.status, 400);
        assert_eq!(partly.body["counts"]["sent"], 1);
        assert_eq!(partly.body["counts"]["invalid"], 1);
        assert!(partly.body["message"]
            .as_str()
            .unwrap()
            .contains("not queued"));
        let down = queued(&settle(503), 2);
        assert_eq!(
            down.body["message"],
            "the delivery queue did not take some events; retry the request"
        );
        assert_eq!(
            queued(&settle(200), 2).body["message"],
            "accepted: queued for delivery to Nudge"
        );
    }

    #[test]
    fn validate_answers_are_bounded() {
        let config = Config::with_presets("secret-key");
        let small = validated(
            plan(
                &json!({"type": "track", "userId": "u", "event": "e", "timestamp": 0}),
                &config,
            ),
            1,
        );
        assert_eq!(small.body["valid"], true);
        assert_eq!(
            small.body["plan"]["requests"][0]["headers"]["apikey"],
            "[redacted]"
        );
        assert!(small.body.get("omitted").is_none());
        // 5,000 identifies, each its own request: the answer shows what fits.
        let events: Vec<Value> = (0..5000)
            .map(|i| json!({"type": "identify", "userId": format!("user {i}"), "traits": {"bio": "x".repeat(200)}}))
            .collect();
        let many = validated(plan(&Value::Array(events), &config), 5000);
        let text = many.body.to_string();
        assert!(
            text.len() < MAX_PLAN_BYTES + 80 * 1024,
            "{} bytes",
            text.len()
        );
        assert!(!text.contains("secret-key"));
        assert_eq!(many.body["counts"]["sent"], 5000);
        let shown = many.body["plan"]["requests"].as_array().unwrap().len();
        assert_eq!(many.body["omitted"]["requests"], 5000 - shown);
        assert_eq!(many.body["omitted"]["results"], 5000);
    }
}
