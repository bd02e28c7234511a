//! Direct mode: the Worker sends a request's payloads to Nudge within the request and answers
//! with each event's delivery (retried within the request as [`super::backoff`] says). How
//! what became of each payload ([`super::dispatch`]) becomes each event's result, so that an
//! accepted event is either taken by Nudge or reported back, never silently dropped.

use super::dispatch::{Ended, Fate};
use super::nudge::{refusal_reason, refuses_the_deployment, TIMEOUT_HOLD_MS};
use super::report::{result_positions, sender_status, Settlement};
use crate::batching::Payloads;
use crate::fields::{FieldError, FieldErrorCode};
use crate::ledger::claims::Settle as LedgerSettle;
use crate::ledger::dedupe::Verdict;
use crate::plan::{EventResult, Status};

/// Merges what became of each payload into the plan's results: `duplicate` where the ledger
/// found Nudge took it already (`verdicts`; empty when there is no ledger), `failed` with the
/// reason where Nudge did not take it or another request is delivering it, and the status that
/// answers the sender. `budget` is the subrequests the request had, for the reason of what it
/// could not send.
pub fn settle(
    mut results: Vec<EventResult>,
    payloads: &Payloads,
    ended: &[Ended],
    budget: u32,
    verdicts: &[Verdict],
) -> Settlement {
    let mut retry_after_ms = None;
    let (mut unavailable, mut key_refused, mut refused) = (false, false, false);
    let mut carried_by = None;
    for (p, verdict) in verdicts.iter().enumerate() {
        let (status, error) = match verdict {
            Verdict::Send => continue,
            Verdict::Duplicate => (Status::Duplicate, None),
            Verdict::InFlight { .. } => {
                unavailable = true;
                (
                    Status::Failed,
                    Some(FieldError {
                        field: String::new(),
                        code: FieldErrorCode::Unavailable,
                        message: "another request is delivering this messageId; retry the request"
                            .into(),
                    }),
                )
            }
        };
        let by_event = carried_by.get_or_insert_with(|| result_positions(&results));
        let Some(payload) = payloads.items.get(p) else {
            continue;
        };
        let position = payloads.destinations[payload.destination].mapping_position;
        if let Some(&i) = by_event.get(&(payload.event, position)) {
            results[i].status = status;
            results[i].errors = error.into_iter().collect();
        }
    }
    for part in ended {
        let error = match &part.fate {
            Fate::Delivered { .. } => continue,
            Fate::Refused { status, detail, .. } => {
                // A refused key or a redirect: the deployment's settings, not the events.
                if refuses_the_deployment(*status) {
                    key_refused = true;
                } else {
                    refused = true;
                }
                rejected(refusal_reason(*status, detail))
            }
            Fate::NotSent {
                split_from: Some((status, detail)),
            } => {
                refused = true;
                rejected(format!(
                    "{} (sent with other events; not retried alone within the Worker's subrequest budget)",
                    refusal_reason(*status, detail)
                ))
            }
            Fate::NotSent { split_from: None } => {
                unavailable = true;
                FieldError {
                    field: String::new(),
                    code: FieldErrorCode::Unavailable,
                    message: format!(
                        "not sent: over the {budget} subrequests this request had for Nudge"
                    ),
                }
            }
            Fate::Unavailable {
                status,
                attempts,
                detail,
                retry_after_ms: after,
                ..
            } => {
                unavailable = true;
                retry_after_ms = retry_after_ms.max(*after);
                let answered =
                    status.map_or_else(|| "no answer".to_string(), |s| format!("last status {s}"));
                FieldError {
                    field: String::new(),
                    code: FieldErrorCode::Unavailable,
                    message: format!("Nudge did not accept the request after {attempts} attempts ({answered}): {detail}"),
                }
            }
        };
        // Found through an index built once, so settling stays linear in the events however
        // many requests fail (250,000 unbatched events are 250,000 requests).
        let by_event = carried_by.get_or_insert_with(|| result_positions(&results));
        let position = payloads.destinations[part.destination].mapping_position;
        for &member in &part.members {
            let event = payloads.items[member].event;
            if let Some(&i) = by_event.get(&(event, position)) {
                results[i].status = Status::Failed;
                results[i].errors = vec![error.clone()];
            }
        }
    }
    Settlement {
        status: sender_status(&results, unavailable, key_refused, refused),
        results,
        retry_after_secs: retry_after_ms.map(|ms| ms.div_ceil(1000)),
    }
}

/// What the ledger keeps of each payload of a direct-mode request at `now_ms`: delivered; held
/// for [`TIMEOUT_HOLD_MS`] when Nudge did not answer in time (it may be taking it still, so the
/// sender's retries are put off rather than sent again); or released, so that the sender's
/// retry, or a later copy, may send it. `None` for the payloads the ledger did not let go
/// (`verdicts`).
pub fn ledger_outcomes(
    payloads: usize,
    ended: &[Ended],
    verdicts: &[Verdict],
    now_ms: i64,
) -> Vec<Option<LedgerSettle>> {
    let mut outcomes: Vec<Option<LedgerSettle>> = (0..payloads)
        .map(|p| {
            verdicts
                .get(p)
                .is_none_or(|v| *v == Verdict::Send)
                .then_some(LedgerSettle::Released)
        })
        .collect();
    for part in ended {
        let outcome = match part.fate {
            Fate::Delivered { .. } => LedgerSettle::Delivered,
            Fate::Unavailable {
                timed_out: true, ..
            } => LedgerSettle::Hold {
                until_ms: now_ms.saturating_add(TIMEOUT_HOLD_MS),
            },
            _ => continue,
        };
        for &m in &part.members {
            if let Some(slot @ Some(_)) = outcomes.get_mut(m) {
                *slot = Some(outcome);
            }
        }
    }
    outcomes
}

fn rejected(message: String) -> FieldError {
    FieldError {
        field: String::new(),
        code: FieldErrorCode::Rejected,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::delivery::backoff::RetryPolicy;
    use crate::delivery::dispatch::{run_with, Dispatch};
    use crate::delivery::nudge::Outcome;
    use crate::event;
    use crate::plan::{Planned, Planner};
    use serde_json::{json, Value};

    fn planned(config: &Config, events: &Value) -> Planned {
        let text = event::to_text(events);
        let events = event::events_in(&text).unwrap();
        Planner::new(config.clone()).payloads(&events)
    }

    /// Plans `events`, delivers them to `nudge` as the Worker would in direct mode, settles.
    fn deliver(
        config: &Config,
        events: &Value,
        budget: u32,
        nudge: impl FnMut(&str) -> Outcome,
    ) -> Settlement {
        let planned = planned(config, events);
        let groups = crate::batching::group(&planned.payloads);
        let endpoints = crate::batching::Endpoints::new(&config.settings);
        let mut nudge = nudge;
        let ended = run_with(
            Dispatch::new(groups, budget, Some(RetryPolicy::default()), 5000, 0),
            |part| {
                let request = endpoints.request(&planned.payloads, part.destination, &part.members);
                nudge(&request.body)
            },
        );
        settle(planned.results, &planned.payloads, &ended, budget, &[])
    }

    fn answered(status: u16) -> Outcome {
        Outcome::Answered {
            status,
            retry_after: None,
            detail: format!("answer {status}"),
        }
    }

    fn track(n: usize, name: &str) -> Value {
        json!({"type": "track", "userId": "u", "event": name, "timestamp": "2025-05-14", "properties": {"n": n}})
    }

    #[test]
    fn a_refused_event_fails_alone_and_its_batch_is_delivered() {
        let config = Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [
            {"action": "trackEvent", "enable_batching": true, "batch_size": 100}]}))
        .unwrap();
        let mut events: Vec<Value> = (0..60).map(|n| track(n, "good")).collect();
        events.insert(17, track(60, "poison"));
        let mut requests = 0;
        let s = deliver(&config, &Value::Array(events), 50, |body| {
            requests += 1;
            if body.contains("\"poison\"") {
                answered(400)
            } else {
                answered(200)
            }
        });
        assert_eq!(s.status, 400);
        let failed: Vec<usize> = s
            .results
            .iter()
            .filter(|r| r.status == Status::Failed)
            .map(|r| r.index)
            .collect();
        assert_eq!(failed, [17]);
        assert_eq!(
            s.results[17].errors[0].message,
            "Nudge refused the request (400): answer 400"
        );
        assert_eq!(
            s.results
                .iter()
                .filter(|r| r.status == Status::Sent)
                .count(),
            60
        );
        assert!(requests <= 1 + 15, "{requests}");
    }

    #[test]
    fn mappings_with_the_same_name_are_told_apart() {
        let config = Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [
            {"action": "trackEvent"}, {"action": "trackEvent"}]}))
        .unwrap();
        let mut calls = 0;
        let s = deliver(
            &config,
            &json!({"type": "track", "userId": "a", "event": "e", "timestamp": 0}),
            50,
            |_| {
                calls += 1;
                answered(if calls == 1 { 200 } else { 400 })
            },
        );
        assert_eq!(
            s.results.iter().map(|r| r.status).collect::<Vec<_>>(),
            [Status::Sent, Status::Failed]
        );
    }

    #[test]
    fn settles_results_and_status() {
        let config = Config::with_presets("k");
        let events = json!([
            {"type": "track", "userId": "a", "event": "e", "timestamp": "2025-05-14"},
            {"type": "identify", "userId": "b"},
            {"type": "track"},
        ]);
        let ok = deliver(&config, &events, 50, |_| answered(200));
        assert_eq!(ok.status, 400, "event 2 is invalid");
        assert_eq!(ok.results[0].status, Status::Sent);
        // Nudge down for track only (identify goes first: mapping order).
        let down = deliver(&config, &events, 50, |body| {
            if body.starts_with('[') {
                Outcome::Answered {
                    status: 503,
                    retry_after: Some("2".into()),
                    detail: "busy".into(),
                }
            } else {
                answered(200)
            }
        });
        assert_eq!(down.status, 503);
        assert_eq!(down.retry_after_secs, Some(2));
        assert_eq!(down.results[1].status, Status::Sent);
        assert_eq!(down.results[0].status, Status::Failed);
        assert_eq!(down.results[0].errors[0].code, FieldErrorCode::Unavailable);
        let key = deliver(&config, &events, 50, |body| {
            answered(if body.starts_with('[') { 200 } else { 401 })
        });
        assert_eq!(key.status, 500);
        let body = crate::delivery::report::response_body(&key, 3);
        assert_eq!(body["counts"]["failed"], 1);
        assert_eq!(body["success"], false);
        let over = deliver(&config, &events, 1, |_| answered(200));
        assert_eq!(over.status, 503, "over the budget: the sender retries");
        assert_eq!(over.results[0].status, Status::Failed);
    }

    #[test]
    fn a_redirect_is_never_sent() {
        let config = Config::with_presets("k");
        let moved = deliver(
            &config,
            &json!({"type": "track", "userId": "a", "event": "e", "timestamp": 0}),
            50,
            |_| answered(302),
        );
        assert_eq!(
            moved.status, 500,
            "the sender keeps the events and retries later"
        );
        assert_eq!(moved.results[0].status, Status::Failed);
    }
}
