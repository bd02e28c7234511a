//! The pure centre: a [`Planner`] (a checked configuration with its requests' URLs and
//! headers prepared) takes events and returns the Nudge requests to send plus a result for
//! every event and mapping. No I/O: the Worker sends what this returns, the npm package and the
//! CLI show it.
//!
//! Events are read in place from their JSON text ([`Event`]): only the members mappings and
//! subscriptions ask for are looked at, pass-through objects (`properties`, `traits`) are
//! copied as text, and each valid payload is written straight to JSON as it is prepared.

use crate::actions::{Action, PLATFORM};
use crate::config::{Config, MappingConfig, Settings};
use crate::event::{self, Event};
use crate::fields::{self, ErrorCode, FieldError};
use crate::js::Root;
use crate::json::write::write_str;
use crate::mapping::Budget;
use crate::value::{ObjectMap, Resolved};
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

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

impl Status {
    /// The status as its JSON name (`"sent"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Invalid => "invalid",
            Status::Unmatched => "unmatched",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }
}

impl EventResult {
    /// Appends the result as JSON, as serde writes it.
    fn write_json(&self, out: &mut String) {
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
            out.push_str(",\"errors\":");
            // Field errors hold strings and a unit enum: serialising them cannot fail.
            out.push_str(&serde_json::to_string(&self.errors).unwrap_or_else(|_| "[]".into()));
        }
        out.push('}');
    }
}

/// One HTTP request to Nudge.
#[derive(Debug, Clone, PartialEq)]
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
    /// The JSON body, exactly as it is sent (written by the planner, so valid JSON).
    pub body: String,
    /// Indexes of the events it carries.
    pub events: Vec<usize>,
    /// Position of the mapping in the configuration (names need not be unique).
    pub mapping_position: usize,
}

impl Request {
    /// The body as a JSON tree.
    pub fn body_json(&self) -> Value {
        crate::json::read::tree(&self.body).unwrap_or(Value::Null)
    }

    /// Appends the request as JSON (the body as it is, not re-read).
    fn write_json(&self, out: &mut String) {
        out.push_str("{\"action\":\"");
        out.push_str(self.action.key());
        out.push_str("\",\"mapping\":");
        write_str(&self.mapping, out);
        out.push_str(",\"method\":\"");
        out.push_str(self.method);
        out.push_str("\",\"url\":");
        write_str(&self.url, out);
        out.push_str(",\"headers\":{");
        for (i, (name, value)) in self.headers.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(name, out);
            out.push(':');
            write_str(value, out);
        }
        out.push_str("},\"body\":");
        out.push_str(&self.body);
        out.push_str(",\"events\":[");
        for (i, index) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(itoa::Buffer::new().format(*index));
        }
        out.push_str("]}");
    }
}

/// The same JSON as [`Plan::to_json`] writes, for serde callers (the body is re-read).
impl Serialize for Request {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeStruct};
        let body = RawValue::from_string(self.body.clone()).map_err(S::Error::custom)?;
        let mut out = s.serialize_struct("Request", 7)?;
        out.serialize_field("action", &self.action)?;
        out.serialize_field("mapping", &self.mapping)?;
        out.serialize_field("method", self.method)?;
        out.serialize_field("url", &self.url)?;
        out.serialize_field("headers", &self.headers)?;
        out.serialize_field("body", &body)?;
        out.serialize_field("events", &self.events)?;
        out.end()
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

/// Where one action's requests go and what they carry besides the body: built once per
/// configuration by the planner, and by the queue consumer for the payloads it groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    action: Action,
    url: String,
    headers: IndexMap<String, String>,
}

impl Route {
    /// The route of `action` on the settings' endpoint, with the API key and platform headers.
    pub fn new(action: Action, settings: &Settings) -> Route {
        let headers = [
            ("apikey", settings.apikey.as_str()),
            ("p", PLATFORM),
            ("content-type", "application/json"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Route {
            action,
            url: format!("{}{}", settings.endpoint, action.route().1),
            headers,
        }
    }

    /// The request carrying `payloads` (each a payload's JSON text) of one mapping.
    pub fn request(
        &self,
        mapping: &str,
        mapping_position: usize,
        payloads: &[String],
        events: Vec<usize>,
    ) -> Request {
        let body = self.action.body(payloads);
        self.request_with_body(mapping, mapping_position, body, events)
    }

    /// The request carrying a body already written (see [`Action::body`]).
    pub fn request_with_body(
        &self,
        mapping: &str,
        mapping_position: usize,
        body: String,
        events: Vec<usize>,
    ) -> Request {
        Request {
            action: self.action,
            mapping: mapping.to_string(),
            method: self.action.route().0,
            url: self.url.clone(),
            headers: self.headers.clone(),
            body,
            events,
            mapping_position,
        }
    }
}

/// A configuration made ready to plan: checked, with its requests' routes built once.
#[derive(Debug, Clone, PartialEq)]
pub struct Planner {
    config: Config,
    /// One per action, in [`Action::ALL`]'s order.
    routes: Vec<Route>,
}

impl Planner {
    /// Prepares `config` for planning.
    pub fn new(config: Config) -> Planner {
        let routes = Action::ALL
            .into_iter()
            .map(|action| Route::new(action, &config.settings))
            .collect();
        Planner { config, routes }
    }

    /// The configuration it plans with.
    pub fn config(&self) -> &Config {
        &self.config
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

    /// Plans a list of events read in place. Results come in event order, then mapping order;
    /// requests in mapping order, then event order.
    pub fn plan_events(&self, events: &[Event<'_>]) -> Plan {
        let mappings = &self.config.mappings;
        // What every mapping together may build for these events: a request's worth of input
        // cannot make the Worker run out of memory however its mappings multiply it.
        let input = events
            .iter()
            .map(Event::text_len)
            .chain(mappings.iter().map(|m| m.mapping.size()))
            .fold(0usize, usize::saturating_add);
        let budget = Budget::for_input(input);
        let mut results = Vec::with_capacity(events.len());
        let mut batches: Vec<Batches<'_>> = mappings
            .iter()
            .enumerate()
            .map(|(position, mapping)| Batches::new(self.route(mapping.action), mapping, position))
            .collect();
        for (index, event) in events.iter().enumerate() {
            if let Some(problem) = event.shape_problem() {
                let error = FieldError {
                    field: String::new(),
                    code: ErrorCode::Event,
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
            for (position, batch) in batches.iter_mut().enumerate() {
                let mapping = batch.mapping;
                if !mapping.enabled || !mapping.subscription.matches_event(event) {
                    continue;
                }
                let (status, errors) = match batch.add(index, event, &budget) {
                    Ok(()) => (Status::Sent, Vec::new()),
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
        let requests = batches.into_iter().flat_map(Batches::finish).collect();
        Plan { requests, results }
    }

    fn route(&self, action: Action) -> &Route {
        // One route per action, in `Action::ALL`'s order.
        &self.routes[Action::ALL.iter().position(|a| *a == action).unwrap_or(0)]
    }
}

/// One mapping's requests, filled as its valid payloads come: each payload is written straight
/// into the body of the request that will carry it.
struct Batches<'p> {
    route: &'p Route,
    mapping: &'p MappingConfig,
    position: usize,
    /// Payloads per request: `batch_size` when the mapping batches, else one.
    size: usize,
    /// Whether bodies are arrays of payloads (see [`Action::body`]).
    array: bool,
    body: String,
    events: Vec<usize>,
    requests: Vec<Request>,
}

impl<'p> Batches<'p> {
    fn new(route: &'p Route, mapping: &'p MappingConfig, position: usize) -> Batches<'p> {
        let size = mapping.batch_size.unwrap_or(1).max(1);
        Batches {
            route,
            mapping,
            position,
            size,
            array: mapping.action.body_is_array() || size > 1,
            body: String::new(),
            events: Vec::new(),
            requests: Vec::new(),
        }
    }

    /// Maps, validates and writes `event`'s payload into the open request; every problem
    /// when it is invalid (the request is left as it was).
    fn add(
        &mut self,
        index: usize,
        event: &Event<'_>,
        budget: &Budget,
    ) -> Result<(), Vec<FieldError>> {
        let mark = self.body.len();
        match (self.events.is_empty(), self.array) {
            (true, true) => self.body.push('['),
            (false, _) => self.body.push(','),
            (true, false) => {}
        }
        if let Err(errors) = write_payload(self.mapping, event, budget, &mut self.body) {
            self.body.truncate(mark);
            return Err(errors);
        }
        self.events.push(index);
        if self.events.len() == self.size {
            self.close();
        }
        Ok(())
    }

    /// Closes the open request, if it carries anything.
    fn close(&mut self) {
        if self.events.is_empty() {
            return;
        }
        if self.array {
            self.body.push(']');
        }
        let body = std::mem::take(&mut self.body);
        let events = std::mem::take(&mut self.events);
        self.requests.push(self.route.request_with_body(
            &self.mapping.name,
            self.position,
            body,
            events,
        ));
    }

    fn finish(mut self) -> Vec<Request> {
        self.close();
        self.requests
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

/// Maps, prunes, validates and prepares one event's payload for one mapping, and appends it
/// as JSON to `out` (left as it was when the payload is invalid).
fn write_payload(
    mapping: &MappingConfig,
    event: &Event<'_>,
    budget: &Budget,
    out: &mut String,
) -> Result<(), Vec<FieldError>> {
    let mapped = mapping
        .mapping
        .run(Root::Event(event), budget)
        .map_err(|e| {
            vec![FieldError {
                field: e.field().to_string(),
                code: ErrorCode::Mapping,
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
            .all(|r| r.status == Status::Invalid && r.errors[0].code == ErrorCode::Event));
    }
}
