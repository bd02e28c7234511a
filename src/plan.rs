//! The pure centre: a [`Planner`] (a checked configuration with its requests' URLs and
//! headers prepared) takes events and returns each valid payload plus a result for every event
//! and mapping ([`Planned`]); [`crate::batching`] groups the payloads into the Nudge requests
//! of a [`Plan`]. No I/O: the Worker delivers what this returns, the npm package and the CLI
//! show it.
//!
//! Events are read in place from their JSON text ([`Event`]): only the members mappings and
//! subscriptions ask for are looked at, pass-through objects (`properties`, `traits`) are
//! copied as text, and each valid payload is written straight to JSON as it is prepared.

use crate::actions::Action;
use crate::batching::{self, Destination, Endpoints, Payload, Payloads};
use crate::config::{Config, MappingConfig};
use crate::event::{self, Event};
use crate::fields::{self, FieldError, FieldErrorCode};
use crate::json::write::write_str;
use crate::mapping::Budget;
use crate::property::Root;
use crate::value::{ObjectMap, Resolved};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

pub use crate::batching::Request;

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
    /// Valid and held by the delivery queue (queue mode): Nudge has not answered yet.
    Queued,
    /// Valid, and a copy of a `messageId` Nudge already took for this mapping: not sent again.
    Duplicate,
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

impl Status {
    /// The status as its JSON name (`"sent"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Invalid => "invalid",
            Status::Unmatched => "unmatched",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Queued => "queued",
            Status::Duplicate => "duplicate",
        }
    }
}

impl EventResult {
    /// Appends the result as JSON, as serde writes it.
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"index\":");
        out.push_str(itoa::Buffer::new().format(self.index));
        out.push_str(",\"mapping\":");
        match &self.mapping {
            Some(name) => write_str(name, out),
            None => out.push_str("null"),
        }
        out.push_str(",\"action\":");
        match self.action {
            Some(action) => {
                out.push('"');
                out.push_str(action.key());
                out.push('"');
            }
            None => out.push_str("null"),
        }
        out.push_str(",\"status\":\"");
        out.push_str(self.status.as_str());
        out.push('"');
        if !self.errors.is_empty() {
            out.push_str(",\"errors\":[");
            for (i, error) in self.errors.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                error.write_json(out);
            }
            out.push(']');
        }
        out.push('}');
    }
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

    /// The same plan with its events numbered from `first` (results' `index`, requests'
    /// `events`): one part of a stream planned a chunk at a time.
    pub fn numbered_from(mut self, first: usize) -> Plan {
        for r in &mut self.results {
            r.index = r.index.saturating_add(first);
        }
        for request in &mut self.requests {
            for event in &mut request.events {
                *event = event.saturating_add(first);
            }
        }
        self
    }

    /// Whether every event that matched a mapping is valid.
    pub fn all_valid(&self) -> bool {
        self.results.iter().all(|r| r.status != Status::Invalid)
    }

    /// The plan as JSON text, written in one buffer (request bodies are copied as they are).
    pub fn to_json(&self) -> String {
        let body_len: usize = self.requests.iter().map(|r| r.body.len() + 256).sum();
        let mut out = String::with_capacity(body_len + 96 * self.results.len() + 32);
        out.push_str("{\"requests\":[");
        for (i, request) in self.requests.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            request.write_json(&mut out);
        }
        out.push_str("],\"results\":[");
        for (i, result) in self.results.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            result.write_json(&mut out);
        }
        out.push_str("]}");
        out
    }
}

/// Where a planner's time comes from, in milliseconds since the epoch: what `@liquid`'s
/// `"now"` is in each call. The core reads no clock; each shell gives its own
/// ([`Planner::with_clock`]). Without one it is [`NO_CLOCK`].
pub type Clock = fn() -> f64;

/// The clock of a planner no shell gave one: always the epoch, so that plans stay
/// reproducible where nothing says what time it is.
pub const NO_CLOCK: Clock = || 0.0;

/// A configuration made ready to plan: checked, with its requests' endpoints and its
/// mappings' destinations built once.
#[derive(Debug, Clone)]
pub struct Planner {
    config: Config,
    endpoints: Endpoints,
    /// One per mapping, in configuration order.
    destinations: Vec<Destination>,
    clock: Clock,
}

/// What the planner makes of events before batching: each valid payload, and a result for
/// every event and mapping. Direct mode and the queue both deliver from here; [`Planned::plan`]
/// groups the payloads into the requests the npm package and the CLI show.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The valid payloads, in event order, then mapping order; one destination per mapping.
    pub payloads: Payloads,
    /// Results, in event order, then mapping order.
    pub results: Vec<EventResult>,
}

impl Planner {
    /// Prepares `config` for planning.
    pub fn new(config: Config) -> Planner {
        let destinations = config
            .mappings
            .iter()
            .enumerate()
            .map(|(position, m)| Destination {
                action: m.action,
                mapping: m.name.clone(),
                mapping_position: position,
                batch_size: m.batch_size,
            })
            .collect();
        Planner {
            endpoints: Endpoints::new(&config.settings),
            config,
            destinations,
            clock: NO_CLOCK,
        }
    }

    /// The planner reading the time from `clock` once per call.
    pub fn with_clock(mut self, clock: Clock) -> Planner {
        self.clock = clock;
        self
    }

    /// The configuration it plans with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where requests go, with the API key.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Plans the events in a JSON text: an array of events or one event.
    pub fn plan_text(&self, text: &str) -> Result<Plan, serde_json::Error> {
        Ok(self.plan_events(&event::events_in(text)?))
    }

    /// Plans one event (a JSON object) or an array of events held as a tree.
    pub fn plan(&self, events: &Value) -> Plan {
        let text = event::to_text(events);
        // The text was just written by serde_json: it parses.
        self.plan_text(&text).unwrap_or_else(|_| Plan {
            requests: Vec::new(),
            results: Vec::new(),
        })
    }

    /// Plans a list of events, each given as its JSON text.
    pub fn plan_raw(&self, events: &[&RawValue]) -> Plan {
        let events: Vec<Event<'_>> = events.iter().map(|raw| Event::new(raw)).collect();
        self.plan_events(&events)
    }

    /// Plans a list of events read in place, into requests (see [`Planner::payloads`]).
    pub fn plan_events(&self, events: &[Event<'_>]) -> Plan {
        self.payloads(events).plan(&self.endpoints)
    }

    /// Maps, validates and writes each event's payload for each mapping that takes it.
    /// Results come in event order, then mapping order.
    pub fn payloads(&self, events: &[Event<'_>]) -> Planned {
        let mappings = &self.config.mappings;
        // What every mapping together may build for these events: a request's worth of input
        // cannot make the Worker run out of memory however its mappings multiply it.
        let input = events
            .iter()
            .map(Event::text_len)
            .chain(mappings.iter().map(|m| m.mapping.size()))
            .fold(0usize, usize::saturating_add);
        let budget = Budget::for_input(input);
        let now_ms = (self.clock)();
        let mut results = Vec::with_capacity(events.len());
        let mut items = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            if let Some(problem) = event.shape_problem() {
                let error = FieldError {
                    field: String::new(),
                    code: FieldErrorCode::Event,
                    message: problem,
                };
                results.push(unassigned(index, Status::Invalid, vec![error]));
                continue;
            }
            if event.excluded_by_integrations() {
                results.push(unassigned(index, Status::Skipped, Vec::new()));
                continue;
            }
            let before = results.len();
            for (position, mapping) in mappings.iter().enumerate() {
                if !mapping.enabled || !mapping.subscription.matches_event(event) {
                    continue;
                }
                // Sized for the event up front: growing each payload's text from nothing
                // reallocates it several times, which costs most in the wasm builds.
                let mut json = String::with_capacity(event.text_len().min(4096));
                let (status, errors) =
                    match write_payload(mapping, event, &budget, now_ms, &mut json) {
                        Ok(()) => {
                            items.push(Payload {
                                destination: position,
                                event: index,
                                json,
                            });
                            (Status::Sent, Vec::new())
                        }
                        Err(errors) => (Status::Invalid, errors),
                    };
                results.push(EventResult {
                    index,
                    mapping: Some(mapping.name.clone()),
                    action: Some(mapping.action),
                    status,
                    errors,
                    mapping_position: Some(position),
                });
            }
            if results.len() == before {
                results.push(unassigned(index, Status::Unmatched, Vec::new()));
            }
        }
        Planned {
            payloads: Payloads {
                destinations: self.destinations.clone(),
                items,
            },
            results,
        }
    }
}

impl Planned {
    /// The requests that carry the payloads ([`batching::group`]): in mapping order, then
    /// event order.
    pub fn plan(self, endpoints: &Endpoints) -> Plan {
        let requests = batching::group(&self.payloads)
            .iter()
            .map(|g| endpoints.request(&self.payloads, g.destination, &g.members))
            .collect();
        Plan {
            requests,
            results: self.results,
        }
    }
}

/// Plans the delivery of one event (a JSON object) or an array of events.
pub fn plan(events: &Value, config: &Config) -> Plan {
    Planner::new(config.clone()).plan(events)
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

/// Maps (within `budget`, at `now_ms`), prunes, validates and prepares one event's payload for
/// one mapping, and appends it as JSON to `out` (left as it was when the payload is invalid).
fn write_payload(
    mapping: &MappingConfig,
    event: &Event<'_>,
    budget: &Budget,
    now_ms: f64,
    out: &mut String,
) -> Result<(), Vec<FieldError>> {
    let mapped = mapping
        .mapping
        .run(Root::Event(event), budget, now_ms)
        .map_err(|e| {
            vec![FieldError {
                field: e.field().to_string(),
                code: FieldErrorCode::Mapping,
                message: e.to_string(),
            }]
        })?;
    let mapped = match mapped.materialize() {
        Resolved::Object(map) => map,
        _ => ObjectMap::default(),
    };
    // Segment prunes top-level "" only for events sent one by one, not in batches.
    let payload = fields::validate(
        mapped,
        mapping.action.fields(),
        mapping.batch_size.is_none(),
    )?;
    let payload = mapping.action.prepare(payload).map_err(|e| vec![e])?;
    payload.write_json(out).map_err(|e| vec![e])
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
        assert_eq!(
            p.to_json(),
            serde_json::to_string(&p).unwrap(),
            "the plan's own writer and serde agree"
        );
        assert_eq!(
            p.requests[0].body,
            r#"[{"name":"product_viewed","ext_id":"user_123","occurred_at":"2025-05-14T07:30:00.000Z","props":{"a":1}}]"#
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
    fn now_is_the_time_the_shell_gives() {
        let c = config(
            json!([{"name": "T", "subscription": "type = \"track\"", "action": "trackEvent",
            "mapping": {"name": {"@liquid": "{{ 'now' | date: '%Y-%m-%d %H:%M' }}"}, "ext_id": {"@path": "$.userId"}, "occurred_at": {"@path": "$.timestamp"}}}]),
        );
        let events = json!([track("a", "e")]);
        let name = |planner: &Planner| {
            let plan = planner.plan(&events);
            let body: Value = serde_json::from_str(&plan.requests[0].body).unwrap();
            body[0]["name"].clone()
        };
        // 2024-03-05T14:07:00Z, and no clock at all: the epoch, the same on every run.
        let at = Planner::new(c.clone()).with_clock(|| 1_709_647_620_000.0);
        assert_eq!(
            name(&at),
            "2024-03-05_14:07",
            "Nudge's names have no spaces"
        );
        assert_eq!(name(&Planner::new(c)), "1970-01-01_00:00");
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
        assert_eq!(p.requests[0].body_json()[0]["name"], "viewed_home");
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
            .all(|r| r.status == Status::Invalid && r.errors[0].code == FieldErrorCode::Event));
    }
}
