//! [`plan`]: events + configuration in, Nudge requests + one result per event and mapping out.
//! No I/O: the Worker sends what this returns, the npm package and the CLI show it.

use crate::actions::{Action, PLATFORM};
use crate::config::{Config, MappingConfig, Settings};
use crate::event::{event_list, excluded_by_integrations, shape_problem};
use crate::fields::{self, ErrorCode, FieldError};
use crate::mapping::{json_size, Budget};
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

/// What will happen, or happened, to one event for one mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Valid; carried by a request in the plan.
    Sent,
    /// Not sent: the mapped payload failed validation (see `errors`).
    Invalid,
    /// No enabled mapping's subscription matches the event.
    Unmatched,
    /// The event's `integrations` object keeps it from this destination.
    Skipped,
    /// Sent, and Nudge did not accept it (set by the Worker after sending).
    Failed,
}

/// The outcome for one (event, mapping) pair, or for an event no mapping took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventResult {
    /// Position of the event in the input.
    pub index: usize,
    /// The mapping's name (`null` when unmatched or skipped).
    pub mapping: Option<String>,
    /// The mapping's action (`null` when unmatched or skipped).
    pub action: Option<Action>,
    /// What happens to it.
    pub status: Status,
    /// Every problem found, when `invalid` (or why Nudge refused it, when `failed`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Position of the mapping in the configuration (names need not be unique).
    #[serde(skip)]
    pub mapping_position: Option<usize>,
}

/// One HTTP request to Nudge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// The action it performs.
    pub action: Action,
    /// The mapping that produced it.
    pub mapping: String,
    /// `PUT` or `POST`.
    pub method: &'static str,
    /// Full URL.
    pub url: String,
    /// `apikey`, `p` and `content-type`.
    pub headers: IndexMap<String, String>,
    /// JSON body.
    pub body: Value,
    /// Indexes of the events it carries.
    pub events: Vec<usize>,
    /// Position of the mapping in the configuration (names need not be unique).
    #[serde(skip)]
    pub mapping_position: usize,
}

/// Everything to send and what becomes of each event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Requests, in mapping order, then event order.
    pub requests: Vec<Request>,
    /// Results, in event order, then mapping order.
    pub results: Vec<EventResult>,
}

/// What stands in for the API key in a redacted plan.
pub const REDACTED: &str = "[redacted]";

impl Plan {
    /// The same plan with the API key replaced by `[redacted]`, for showing to callers.
    pub fn redacted(mut self) -> Plan {
        for r in &mut self.requests {
            if let Some(key) = r.headers.get_mut("apikey") {
                *key = REDACTED.to_string();
            }
        }
        self
    }

    /// Whether every event that matched a mapping is valid.
    pub fn all_valid(&self) -> bool {
        self.results.iter().all(|r| r.status != Status::Invalid)
    }
}

/// Plans the delivery of one event (a JSON object) or an array of events.
pub fn plan(events: &Value, config: &Config) -> Plan {
    plan_events(&event_list(events), config)
}

/// Plans the delivery of a list of events.
pub fn plan_events(events: &[&Value], config: &Config) -> Plan {
    let mut results: Vec<(usize, usize, EventResult)> = Vec::new();
    let mut requests = Vec::new();
    // Events that reach the mappings at all: objects not kept away by `integrations`.
    let mut eligible = vec![true; events.len()];
    for (index, event) in events.iter().enumerate() {
        if let Some(problem) = shape_problem(event) {
            let error = FieldError {
                field: String::new(),
                code: ErrorCode::Event,
                message: problem,
            };
            results.push((index, 0, unassigned(index, Status::Invalid, vec![error])));
            eligible[index] = false;
        } else if excluded_by_integrations(event) {
            results.push((index, 0, unassigned(index, Status::Skipped, Vec::new())));
            eligible[index] = false;
        }
    }
    // What every mapping together may build for these events: a request's worth of input
    // cannot make the Worker run out of memory however its mappings multiply it.
    let input: usize = events.iter().map(|e| json_size(e)).sum::<usize>()
        + config
            .mappings
            .iter()
            .map(|m| m.mapping.size())
            .sum::<usize>();
    let budget = Budget::for_input(input);
    let mut matched = vec![false; events.len()];
    for (order, mapping) in config
        .mappings
        .iter()
        .enumerate()
        .filter(|(_, m)| m.enabled)
    {
        let mut valid: Vec<(usize, Map<String, Value>)> = Vec::new();
        for (index, event) in events.iter().enumerate() {
            if !eligible[index] || !mapping.subscription.matches(event) {
                continue;
            }
            matched[index] = true;
            let (status, errors) = match payload_for(mapping, event, &budget) {
                Ok(payload) => {
                    valid.push((index, payload));
                    (Status::Sent, Vec::new())
                }
                Err(errors) => (Status::Invalid, errors),
            };
            let result = EventResult {
                index,
                mapping: Some(mapping.name.clone()),
                action: Some(mapping.action),
                status,
                errors,
                mapping_position: Some(order),
            };
            results.push((index, order + 1, result));
        }
        requests.extend(requests_for(order, mapping, valid, config));
    }
    for index in (0..events.len()).filter(|i| eligible[*i] && !matched[*i]) {
        results.push((index, 0, unassigned(index, Status::Unmatched, Vec::new())));
    }
    results.sort_by_key(|(index, order, _)| (*index, *order));
    Plan {
        requests,
        results: results.into_iter().map(|(_, _, r)| r).collect(),
    }
}

fn unassigned(index: usize, status: Status, errors: Vec<FieldError>) -> EventResult {
    EventResult {
        index,
        mapping: None,
        action: None,
        status,
        errors,
        mapping_position: None,
    }
}

/// Maps, prunes, validates and prepares one event's payload for one mapping.
fn payload_for(
    mapping: &MappingConfig,
    event: &Value,
    budget: &Budget,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mapped = mapping.mapping.apply_within(event, budget).map_err(|e| {
        let field = e
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        vec![FieldError {
            field,
            code: ErrorCode::Mapping,
            message: e.to_string(),
        }]
    })?;
    let mut payload = match mapped {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let fields = mapping.action.fields();
    // Segment prunes top-level "" only for events sent one by one, not in batches.
    fields::prune_empty(&mut payload, fields, mapping.batch_size.is_none());
    let payload = fields::validate(payload, fields)?;
    mapping.action.prepare(payload).map_err(|e| vec![e])
}

fn requests_for(
    position: usize,
    mapping: &MappingConfig,
    valid: Vec<(usize, Map<String, Value>)>,
    config: &Config,
) -> Vec<Request> {
    // `Config::from_json` allows 1 to MAX_BATCH_SIZE; a hand-built `Some(0)` means one per request.
    let chunk = mapping.batch_size.unwrap_or(1).max(1);
    let mut out = Vec::with_capacity(valid.len().div_ceil(chunk));
    let mut rest = valid.into_iter().peekable();
    while rest.peek().is_some() {
        let (events, payloads): (Vec<usize>, Vec<Map<String, Value>>) =
            rest.by_ref().take(chunk).unzip();
        out.push(nudge_request(
            mapping.action,
            &mapping.name,
            position,
            &config.settings,
            payloads,
            events,
        ));
    }
    out
}

/// The request carrying `payloads` of one mapping's `action` to Nudge: its route on the
/// settings' endpoint, the API key and platform headers, the action's body. The plan and the
/// queue consumer (which groups payloads from many Worker requests) both build requests here.
pub fn nudge_request(
    action: Action,
    mapping: &str,
    mapping_position: usize,
    settings: &Settings,
    payloads: Vec<Map<String, Value>>,
    events: Vec<usize>,
) -> Request {
    let (method, path) = action.route();
    let headers: IndexMap<String, String> = [
        ("apikey", settings.apikey.as_str()),
        ("p", PLATFORM),
        ("content-type", "application/json"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Request {
        action,
        mapping: mapping.to_string(),
        method,
        url: format!("{}{path}", settings.endpoint),
        headers,
        body: action.body(payloads),
        events,
        mapping_position,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(mappings: Value) -> Config {
        Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": mappings})).unwrap()
    }

    fn track(user: &str, event: &str) -> Value {
        json!({"type": "track", "userId": user, "event": event, "timestamp": "2025-05-14T07:30:00Z", "properties": {"a": 1}})
    }

    #[test]
    fn spec_example_shape() {
        let c = Config::with_presets("key");
        let p = plan(
            &json!([track("user_123", "Product Viewed"), {"type": "track", "userId": "u"}, {"type": "page"}]),
            &c,
        );
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v["requests"][0]["url"],
            "https://main-api.nudgenow.com/api/integration/segment/events/batch"
        );
        assert_eq!(
            v["requests"][0]["headers"],
            json!({"apikey": "key", "p": "17", "content-type": "application/json"})
        );
        assert_eq!(
            v["requests"][0]["body"],
            json!([{"name": "product_viewed", "ext_id": "user_123", "occurred_at": "2025-05-14T07:30:00.000Z", "props": {"a": 1}}])
        );
        assert_eq!(v["requests"][0]["events"], json!([0]));
        assert_eq!(v["results"][1]["status"], "invalid");
        assert_eq!(
            v["results"][1]["errors"][0],
            json!({"field": "name", "code": "required", "message": "Event Name (name) is required"})
        );
        assert_eq!(
            v["results"][2],
            json!({"index": 2, "mapping": null, "action": null, "status": "unmatched"})
        );
    }

    #[test]
    fn batches_by_size_and_never_blocks_on_invalid_events() {
        let c = config(
            json!([{"name": "T", "subscription": "type = \"track\"", "action": "trackEvent", "enable_batching": true, "batch_size": 2}]),
        );
        let events = json!([track("a", "e"), track("b", "e"), {"type": "track"}, track("c", "e")]);
        let p = plan(&events, &c);
        assert_eq!(p.requests.len(), 2);
        assert_eq!(p.requests[0].events, vec![0, 1]);
        assert_eq!(p.requests[1].events, vec![3]);
        assert_eq!(p.results[2].status, Status::Invalid);
    }

    #[test]
    fn several_mappings_and_integrations() {
        let c = config(json!([
            {"name": "Pages", "subscription": "type = \"page\"", "action": "trackEvent", "mapping": {"name": {"@template": "Viewed {{name}}"}, "ext_id": {"@path": "$.userId"}, "occurred_at": {"@path": "$.timestamp"}}},
            {"name": "All", "subscription": "type = \"page\" or type = \"track\"", "action": "trackEvent", "enabled": false},
        ]));
        let page =
            json!({"type": "page", "name": "Home", "userId": "u", "timestamp": "2025-05-14"});
        let skipped = json!({"type": "page", "integrations": {"All": false}});
        let p = plan(&json!([page, skipped]), &c);
        assert_eq!(p.requests.len(), 1);
        assert_eq!(p.requests[0].body[0]["name"], "viewed_home");
        assert_eq!(p.results[1].status, Status::Skipped);
        assert_eq!(
            serde_json::to_value(p.redacted().requests[0].headers.clone()).unwrap()["apikey"],
            REDACTED
        );
    }

    #[test]
    fn non_object_events_are_invalid_not_fatal() {
        let p = plan(&json!([1, "x", null]), &Config::with_presets("k"));
        assert!(p
            .results
            .iter()
            .all(|r| r.status == Status::Invalid && r.errors[0].code == ErrorCode::Event));
    }
}
