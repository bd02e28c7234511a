//! What the sender of a Worker request is told once its events are settled, in both delivery
//! modes: counts of every result, the results themselves within a bounded size, and a status
//! that says whether to send the request again.

use crate::plan::{EventResult, Status};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The end of a request to the Worker: results per event and what to answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    /// Per (event, mapping) results: `sent` (direct mode) or `queued` (queue mode) where the
    /// payload was taken, `failed` where it was not.
    pub results: Vec<EventResult>,
    /// HTTP status for the sender: 200, 400 (invalid or refused events), 500 (Nudge refused the
    /// API key or redirected: nothing taken, retry later) or 503 (Nudge or the queue
    /// unavailable: retry).
    pub status: u16,
    /// Seconds the sender should wait before retrying, when Nudge said so.
    pub retry_after_secs: Option<u64>,
}

/// Where each (event, mapping position) pair's result is in `results`: built once, so that
/// settling stays linear in the events however many of them fail.
pub fn result_positions(results: &[EventResult]) -> HashMap<(usize, usize), usize> {
    results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some(((r.index, r.mapping_position?), i)))
        .collect()
}

/// The status that answers the sender once every result is settled: 503 when some events were
/// not taken but may be on a retry (`unavailable`), else 500 when the deployment's settings
/// were refused (`key_refused`), else 400 when events were invalid or refused for themselves,
/// else 200. Both modes answer with it.
pub fn sender_status(
    results: &[EventResult],
    unavailable: bool,
    key_refused: bool,
    refused: bool,
) -> u16 {
    let invalid = results.iter().any(|r| r.status == Status::Invalid);
    if unavailable {
        503
    } else if key_refused {
        500
    } else if refused || invalid {
        400
    } else {
        200
    }
}

/// Counts of results by status, for the response and the log line.
pub fn counts(results: &[EventResult], events: usize) -> Value {
    let n = |s: Status| results.iter().filter(|r| r.status == s).count();
    json!({
        "events": events,
        "sent": n(Status::Sent),
        "queued": n(Status::Queued),
        "duplicate": n(Status::Duplicate),
        "invalid": n(Status::Invalid),
        "failed": n(Status::Failed),
        "unmatched": n(Status::Unmatched),
        "skipped": n(Status::Skipped),
    })
}

/// Most results an answer lists.
pub const MAX_LISTED_RESULTS: usize = 100;
/// Most bytes of results an answer lists.
const MAX_LISTED_BYTES: usize = 64 * 1024;

/// The results an answer lists, bounded whatever the request's size: every result when there
/// are at most [`MAX_LISTED_RESULTS`], otherwise only the events that were not delivered
/// (`invalid`, `failed`); in both cases at most [`MAX_LISTED_RESULTS`] and 64 KB of them. Also
/// how many were left out (the counts cover every result).
pub fn listed_results(results: &[EventResult]) -> (Vec<&EventResult>, usize) {
    let everything = results.len() <= MAX_LISTED_RESULTS;
    let mut listed = Vec::new();
    let mut bytes = 0;
    for result in results
        .iter()
        .filter(|r| everything || matches!(r.status, Status::Invalid | Status::Failed))
    {
        bytes += serde_json::to_vec(result).map_or(0, |b| b.len());
        if listed.len() == MAX_LISTED_RESULTS || bytes > MAX_LISTED_BYTES {
            break;
        }
        listed.push(result);
    }
    let omitted = results.len() - listed.len();
    (listed, omitted)
}

/// The JSON body answering a Worker request: success, counts and the results
/// ([`listed_results`]).
pub fn response_body(settlement: &Settlement, events: usize) -> Value {
    let message = match settlement.status {
        200 => "accepted",
        400 => "some events were not sent: see results",
        500 => "Nudge refused the deployment's API key or endpoint; nothing was taken, retry after fixing it",
        _ => "Nudge could not take some events; retry the request",
    };
    let (results, omitted) = listed_results(&settlement.results);
    let mut body = json!({
        "success": settlement.status == 200,
        "message": message,
        "counts": counts(&settlement.results, events),
        "results": results,
    });
    if omitted > 0 {
        body["omitted"] = json!(omitted);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::plan::plan;

    #[test]
    fn answers_list_a_bounded_number_of_results() {
        let config = Config::with_presets("k");
        let few = plan(
            &json!([{"type": "track"}, {"type": "identify", "userId": "u"}]),
            &config,
        );
        let (listed, omitted) = listed_results(&few.results);
        assert_eq!(
            (listed.len(), omitted),
            (2, 0),
            "small requests: every result"
        );
        let events: Vec<Value> = (0..5000)
            .map(|i| {
                if i % 1000 == 0 {
                    json!({"type": "track"})
                } else {
                    json!({"type": "identify", "userId": "u"})
                }
            })
            .collect();
        let many = plan(&Value::Array(events), &config);
        let (listed, omitted) = listed_results(&many.results);
        assert_eq!(listed.len(), 5, "only the events that were not sent");
        assert!(listed.iter().all(|r| r.status == Status::Invalid));
        assert_eq!(omitted, 4995);
        let all_bad = plan(&Value::Array(vec![json!(1); 5000]), &config);
        let settled = Settlement {
            status: sender_status(&all_bad.results, false, false, false),
            results: all_bad.results,
            retry_after_secs: None,
        };
        assert_eq!(settled.status, 400);
        let body = response_body(&settled, 5000);
        assert_eq!(
            body["results"].as_array().unwrap().len(),
            MAX_LISTED_RESULTS
        );
        assert_eq!(body["omitted"], 4900);
        assert_eq!(body["counts"]["invalid"], 5000);
        assert_eq!(body["counts"]["queued"], 0);
        assert!(body.to_string().len() < 64 * 1024);
    }
}
