//! One batching rule for both delivery modes: which payloads share a Nudge request, and the
//! request that carries them.
//!
//! The planner hands over payloads (one per valid event and mapping, each already written as
//! JSON); direct mode groups a Worker request's payloads with [`group`], the queue consumer
//! groups a queue batch's payloads with the same function, and the npm package and the CLI show
//! the requests it makes. A payload's text is written once, by the planner, and copied into a
//! request body as it is: no body is written and then parsed again.

use crate::actions::{Action, PLATFORM};
use crate::config::Settings;
use crate::json::write::write_str;
use indexmap::IndexMap;
use serde::ser::{Error, SerializeStruct};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// Where a payload goes and with whom it may travel: payloads of one destination share a
/// request, at most [`Destination::capacity`] of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The mapping's action.
    pub action: Action,
    /// The mapping's name.
    pub mapping: String,
    /// The mapping's position in the configuration (names need not be unique, and a mapping
    /// moved or renamed between two deployments is not mixed with its old self).
    pub mapping_position: usize,
    /// `Some(n)`: the mapping batches, `n` payloads per request at most.
    pub batch_size: Option<usize>,
}

impl Destination {
    /// Payloads one request may carry: the batch size of a batching `trackEvent` mapping,
    /// otherwise one.
    pub fn capacity(&self) -> usize {
        match self.batch_size {
            Some(n) if self.action.supports_batching() => n.max(1),
            _ => 1,
        }
    }
}

/// One valid event's payload for one destination, written as Nudge receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Index into the destinations it was planned with.
    pub destination: usize,
    /// The event's position in its input (the request, or the consumer's batch).
    pub event: usize,
    /// The payload's JSON text.
    pub json: String,
}

/// Payloads and the destinations they go to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payloads {
    /// Distinct destinations, indexed by [`Payload::destination`].
    pub destinations: Vec<Destination>,
    /// The payloads, in the order they were planned.
    pub items: Vec<Payload>,
}

/// Payloads that travel in one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Their destination.
    pub destination: usize,
    /// Positions of the payloads in [`Payloads::items`], in that order.
    pub members: Vec<usize>,
}

/// Groups payloads into requests: by destination (in destination order), then in payload
/// order, at most the destination's capacity per request.
pub fn group(payloads: &Payloads) -> Vec<Group> {
    group_where(payloads, |_| true)
}

/// [`group`] for the payloads `keep` keeps (by position), the others left out before
/// grouping, so that the requests are as full as the rule allows.
pub fn group_where(payloads: &Payloads, keep: impl Fn(usize) -> bool) -> Vec<Group> {
    let mut by_destination: Vec<Vec<usize>> = vec![Vec::new(); payloads.destinations.len()];
    for (i, p) in payloads.items.iter().enumerate().filter(|(i, _)| keep(*i)) {
        if let Some(members) = by_destination.get_mut(p.destination) {
            members.push(i);
        }
    }
    let mut groups = Vec::new();
    for (destination, members) in by_destination.into_iter().enumerate() {
        let capacity = payloads.destinations[destination].capacity();
        for chunk in members.chunks(capacity) {
            groups.push(Group {
                destination,
                members: chunk.to_vec(),
            });
        }
    }
    groups
}

/// Two halves of a group's members (the first the smaller), for finding which of them Nudge
/// refuses; `None` when there is one member or none.
pub fn halves(members: &[usize]) -> Option<(Vec<usize>, Vec<usize>)> {
    (members.len() > 1).then(|| {
        let (a, b) = members.split_at(members.len() / 2);
        (a.to_vec(), b.to_vec())
    })
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
    /// The JSON body, exactly as it is sent (written from the payloads, so valid JSON).
    pub body: String,
    /// Positions of the events it carries in their input.
    pub events: Vec<usize>,
    /// Position of the mapping in the configuration (names need not be unique).
    pub mapping_position: usize,
}

impl Request {
    /// The body as a JSON tree.
    pub fn body_json(&self) -> Value {
        crate::json::read::tree(&self.body).unwrap_or(Value::Null)
    }

    /// The request as a JSON tree, for answers built as trees. A body nested deeper than a tree
    /// may be ([`crate::json::read::MAX_TREE_DEPTH`]) is shown as its JSON text, a string, with
    /// `"body_is_text": true`, rather than lost.
    pub fn to_shown_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| {
            serde_json::json!({
                "action": self.action.key(),
                "mapping": self.mapping,
                "method": self.method,
                "url": self.url,
                "headers": self.headers,
                "body": self.body,
                "body_is_text": true,
                "events": self.events,
            })
        })
    }

    /// Appends the request as JSON (the body as it is, not re-read).
    pub(crate) fn write_json(&self, out: &mut String) {
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

/// The same JSON as [`Request::write_json`] writes, for serde callers (the body is re-read).
impl Serialize for Request {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
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

/// Where each action's requests go and the headers they carry: built once per configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoints {
    /// Per action, in [`Action::ALL`]'s order: URL and headers.
    routes: Vec<(String, IndexMap<String, String>)>,
}

impl Endpoints {
    /// The routes of every action on the settings' endpoint, with the API key and platform
    /// headers.
    pub fn new(settings: &Settings) -> Endpoints {
        let headers: IndexMap<String, String> = [
            ("apikey", settings.apikey.as_str()),
            ("p", PLATFORM),
            ("content-type", "application/json"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let routes = Action::ALL
            .into_iter()
            .map(|action| {
                (
                    format!("{}{}", settings.endpoint, action.route().1),
                    headers.clone(),
                )
            })
            .collect();
        Endpoints { routes }
    }

    /// The request carrying `members` of `payloads` to their destination (all members share
    /// it: they come from one [`Group`], or a part of one).
    pub fn request(&self, payloads: &Payloads, destination: usize, members: &[usize]) -> Request {
        let d = &payloads.destinations[destination];
        let texts = members.iter().map(|&m| payloads.items[m].json.as_str());
        let (url, headers) =
            &self.routes[Action::ALL.iter().position(|a| *a == d.action).unwrap_or(0)];
        Request {
            action: d.action,
            mapping: d.mapping.clone(),
            method: d.action.route().0,
            url: url.clone(),
            headers: headers.clone(),
            body: d.action.body(members.len(), texts),
            events: members.iter().map(|&m| payloads.items[m].event).collect(),
            mapping_position: d.mapping_position,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn destination(
        action: Action,
        mapping: &str,
        position: usize,
        batch: Option<usize>,
    ) -> Destination {
        Destination {
            action,
            mapping: mapping.into(),
            mapping_position: position,
            batch_size: batch,
        }
    }

    fn payloads(destinations: Vec<Destination>, of: &[usize]) -> Payloads {
        Payloads {
            destinations,
            items: of
                .iter()
                .enumerate()
                .map(|(event, &d)| Payload {
                    destination: d,
                    event,
                    json: json!({"ext_id": format!("u{event}")}).to_string(),
                })
                .collect(),
        }
    }

    fn settings() -> Settings {
        Settings {
            apikey: "k".into(),
            endpoint: "https://nudge.example".into(),
        }
    }

    #[test]
    fn groups_by_destination_then_payload_order_within_the_capacity() {
        let p = payloads(
            vec![
                destination(Action::IdentifyUser, "Identify", 0, None),
                destination(Action::TrackEvent, "Track", 1, Some(2)),
                destination(Action::TrackEvent, "Pages", 2, None),
            ],
            &[1, 0, 1, 2, 1, 0, 2],
        );
        let groups: Vec<(usize, Vec<usize>)> = group(&p)
            .into_iter()
            .map(|g| (g.destination, g.members))
            .collect();
        assert_eq!(
            groups,
            [
                (0, vec![1]),
                (0, vec![5]),
                (1, vec![0, 2]),
                (1, vec![4]),
                (2, vec![3]),
                (2, vec![6]),
            ]
        );
    }

    #[test]
    fn identify_is_never_batched_and_its_body_is_one_payload() {
        let p = payloads(
            vec![destination(Action::IdentifyUser, "I", 0, Some(100))],
            &[0, 0],
        );
        let groups = group(&p);
        assert_eq!(groups.len(), 2);
        let r = Endpoints::new(&settings()).request(&p, 0, &groups[1].members);
        assert_eq!(
            (r.method, r.url.as_str()),
            ("PUT", "https://nudge.example/identify")
        );
        assert_eq!(r.body_json(), json!({"ext_id": "u1"}));
        assert_eq!(r.headers["apikey"], "k");
        assert_eq!(r.events, [1]);
    }

    #[test]
    fn track_bodies_are_arrays_of_the_payload_texts_as_written() {
        let p = payloads(
            vec![destination(Action::TrackEvent, "T", 3, Some(100))],
            &[0; 100],
        );
        let groups = group(&p);
        assert_eq!(groups.len(), 1);
        let r = Endpoints::new(&settings()).request(&p, 0, &groups[0].members);
        assert_eq!(r.url, "https://nudge.example/events/batch");
        assert_eq!(r.body_json().as_array().map(Vec::len), Some(100));
        assert!(r.body.starts_with(r#"[{"ext_id":"u0"},{"ext_id":"u1"}"#));
        assert_eq!(r.mapping_position, 3);
        let one = Endpoints::new(&settings()).request(&p, 0, &[7]);
        assert_eq!(
            one.body, r#"[{"ext_id":"u7"}]"#,
            "a track request of one is an array"
        );
    }

    #[test]
    fn a_body_too_deep_for_a_tree_is_shown_as_its_text() {
        let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
        let p = Payloads {
            destinations: vec![destination(Action::TrackEvent, "T", 0, None)],
            items: vec![Payload {
                destination: 0,
                event: 0,
                json: format!("{{\"props\":{deep}}}"),
            }],
        };
        let r = Endpoints::new(&settings()).request(&p, 0, &[0]);
        let shown = r.to_shown_value();
        assert_eq!(shown["body_is_text"], true);
        assert_eq!(shown["body"], r.body);
        let shallow =
            Endpoints::new(&settings()).request(&payloads(p.destinations.clone(), &[0]), 0, &[0]);
        assert_eq!(shallow.to_shown_value()["body"], json!([{"ext_id": "u0"}]));
    }

    #[test]
    fn halves_split_until_one_is_left() {
        assert_eq!(halves(&[]), None);
        assert_eq!(halves(&[4]), None);
        assert_eq!(halves(&[4, 5]), Some((vec![4], vec![5])));
        assert_eq!(halves(&[1, 2, 3]), Some((vec![1], vec![2, 3])));
        // Finding one refused payload among n takes about 2·log2(n) requests.
        let (mut members, mut requests) = ((0..61).collect::<Vec<usize>>(), 0);
        while let Some((a, b)) = halves(&members) {
            requests += 2;
            members = if a.contains(&60) { a } else { b };
        }
        assert_eq!(members, [60]);
        assert!(requests <= 2 * 6, "{requests}");
    }
}
