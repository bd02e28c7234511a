//! The Event Tester (`POST /admin/test`): one event through the front door and the planner
//! exactly as the Worker takes it (timestamps, `messageId`), for one mapping or all, showing
//! the Nudge requests it makes with the API key redacted and each field's problems; and, when
//! asked, what Nudge answered to each request sent once for real. What is sent this way is not
//! de-duplicated or counted in the overview: it is a test.

use crate::delivery::nudge::Outcome;
use crate::ingest::events::Envelope;
use crate::ingest::Route;
use crate::plan::{Plan, Planner, Status};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// What the tester is asked.
#[derive(Debug, Deserialize)]
pub struct TestRequest {
    /// The event (a JSON object, kept as its text).
    event: Box<RawValue>,
    /// One mapping's name, or every mapping.
    #[serde(default)]
    pub mapping: Option<String>,
    /// Whether to send the requests to Nudge for real.
    #[serde(default)]
    pub send: bool,
}

impl TestRequest {
    /// Reads a tester request's body: `{"event": {...}, "mapping"?: NAME, "send"?: bool}`.
    pub fn read(body: &[u8]) -> Result<TestRequest, String> {
        serde_json::from_slice(body).map_err(|e| {
            format!(
                "the body must be {{\"event\": {{…}}, \"mapping\"?: name, \"send\"?: bool}}: {e}"
            )
        })
    }

    /// The event's plan, as the Worker makes it at `now_ms`, kept to the chosen mapping.
    pub fn plan(&self, planner: &Planner, now_ms: i64) -> Result<Plan, String> {
        let envelope = Envelope::parse(self.event.get().as_bytes(), Route::Validate)
            .map_err(|e| e.message())?;
        let events = envelope
            .into_identified_events(now_ms, Some("tester"))
            .map_err(|e| e.message())?;
        let mut plan = planner.plan_events(&events.read());
        if let Some(name) = &self.mapping {
            plan.requests.retain(|r| &r.mapping == name);
            plan.results
                .retain(|r| r.mapping.is_none() || r.mapping.as_ref() == Some(name));
        }
        Ok(plan)
    }
}

/// The tester's answer: `{"valid", "results", "requests", "nudge"?}`, the requests with the
/// API key redacted; `nudge` holds what Nudge answered to each request, when they were sent.
pub fn answer(plan: &Plan, nudge: Option<&[Outcome]>) -> Value {
    let redacted = plan.clone().redacted();
    let mut body = json!({
        "valid": plan.results.iter().all(|r| r.status != Status::Invalid),
        "results": plan.results,
        "requests": redacted.requests.iter().map(|r| r.to_shown_value()).collect::<Vec<_>>(),
    });
    if let Some(outcomes) = nudge {
        body["nudge"] = outcomes
            .iter()
            .map(|o| match o {
                Outcome::Answered { status, detail, .. } => {
                    json!({"status": status, "answer": detail})
                }
                Outcome::NoAnswer(why) => json!({"status": null, "answer": "", "error": why}),
                Outcome::TimedOut(ms) => {
                    json!({"status": null, "answer": "", "error": format!("no answer within {ms} ms")})
                }
            })
            .collect();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn planner() -> Planner {
        Planner::new(Config::with_presets("secret-api-key"))
    }

    #[test]
    fn plans_one_event_as_the_worker_would_for_the_chosen_mapping() {
        let t = TestRequest::read(
            br#"{"event": {"type": "track", "userId": "u1", "event": "Signed Up"}, "mapping": "Track Event"}"#,
        )
        .unwrap();
        let plan = t.plan(&planner(), 1_747_207_800_000).unwrap();
        let v = answer(&plan, None);
        assert_eq!(v["valid"], true);
        assert_eq!(v["requests"][0]["headers"]["apikey"], "[redacted]");
        assert_eq!(
            v["requests"][0]["body"][0]["occurred_at"], "2025-05-14T07:30:00.000Z",
            "no timestamp: the time received, as the front door sets it"
        );
        assert!(!v.to_string().contains("secret-api-key"));
        assert_eq!(v.get("nudge"), None);
        let other = TestRequest::read(br#"{"event": {"type": "track", "userId": "u1", "event": "E"}, "mapping": "Identify User"}"#)
            .unwrap()
            .plan(&planner(), 0)
            .unwrap();
        assert!(other.requests.is_empty());
    }

    #[test]
    fn shows_each_fields_problem_and_what_nudge_answered() {
        let t = TestRequest::read(br#"{"event": {"type": "identify"}, "send": true}"#).unwrap();
        assert!(t.send);
        let plan = t.plan(&planner(), 0).unwrap();
        let v = answer(
            &plan,
            Some(&[Outcome::Answered {
                status: 400,
                retry_after: None,
                detail: "bad".into(),
            }]),
        );
        assert_eq!(v["valid"], false);
        assert_eq!(v["results"][0]["errors"][0]["field"], "ext_id");
        assert_eq!(v["nudge"][0], json!({"status": 400, "answer": "bad"}));
        assert!(TestRequest::read(b"[]").is_err());
        assert!(TestRequest::read(br#"{"event": 5}"#)
            .unwrap()
            .plan(&planner(), 0)
            .is_err());
    }
}
