//! Nudge's two actions, `identifyUser` and `trackEvent`: their fields and defaults, the
//! changes Nudge's destination makes before sending, and the HTTP requests it sends.

use crate::fields::{FieldError, FieldErrorCode, FieldSpec, FieldType, Payload};
use crate::js::PROTO_KEY;
use crate::json::read;
use crate::json::RawJson;
use crate::value::{ObjectMap, Resolved};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Nudge's API base when the settings name none.
pub const DEFAULT_ENDPOINT: &str = "https://main-api.nudgenow.com/api/integration/segment";
/// The platform header Nudge expects from Segment.
pub const PLATFORM: &str = "17";
/// Events per `events/batch` request when batching and no size is given.
pub const DEFAULT_BATCH_SIZE: usize = 100;
/// Largest `batch_size` a configuration may ask for: a hundred times the default, far above
/// what one request to Nudge should carry, and a number every target's `usize` holds (wasm32's
/// is 32 bits).
pub const MAX_BATCH_SIZE: usize = 10_000;

/// A Nudge action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// `identifyUser`: `PUT {endpoint}/identify` with one user.
    #[serde(rename = "identifyUser")]
    IdentifyUser,
    /// `trackEvent`: `POST {endpoint}/events/batch` with an array of events.
    #[serde(rename = "trackEvent")]
    TrackEvent,
}

/// `ext_id`, the same in both actions.
const USER_ID: FieldSpec = FieldSpec::new("ext_id", "User ID", FieldType::String, true, "$.userId");

const IDENTIFY_FIELDS: &[FieldSpec] = &[
    USER_ID,
    FieldSpec::new(
        "name",
        "User Name",
        FieldType::String,
        false,
        "$.traits.name",
    ),
    FieldSpec::new(
        "phone",
        "Phone Number",
        FieldType::String,
        false,
        "$.traits.phone",
    ),
    FieldSpec::new("email", "Email", FieldType::String, false, "$.traits.email"),
    FieldSpec::new(
        "tz",
        "Timezone",
        FieldType::String,
        false,
        "$.context.timezone",
    ),
    FieldSpec::new("props", "Properties", FieldType::Object, false, "$.traits"),
];

const TRACK_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("name", "Event Name", FieldType::String, true, "$.event"),
    USER_ID,
    FieldSpec::new(
        "occurred_at",
        "Event Timestamp",
        FieldType::Datetime,
        true,
        "$.timestamp",
    ),
    FieldSpec::new(
        "props",
        "Properties",
        FieldType::Object,
        false,
        "$.properties",
    ),
];

impl Action {
    /// Every action, in the order presets are listed.
    pub const ALL: [Action; 2] = [Action::IdentifyUser, Action::TrackEvent];

    /// Parses an action's key (`identifyUser`, `trackEvent`).
    pub fn from_key(key: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.key() == key)
    }

    /// The action's key.
    pub fn key(self) -> &'static str {
        match self {
            Action::IdentifyUser => "identifyUser",
            Action::TrackEvent => "trackEvent",
        }
    }

    /// Segment's title, used as the mapping name of presets.
    pub fn title(self) -> &'static str {
        match self {
            Action::IdentifyUser => "Identify User",
            Action::TrackEvent => "Track Event",
        }
    }

    /// The subscription of the preset.
    pub fn default_subscription(self) -> &'static str {
        match self {
            Action::IdentifyUser => "type = \"identify\"",
            Action::TrackEvent => "type = \"track\"",
        }
    }

    /// Input fields.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Action::IdentifyUser => IDENTIFY_FIELDS,
            Action::TrackEvent => TRACK_FIELDS,
        }
    }

    /// Whether valid events may share one request.
    pub fn supports_batching(self) -> bool {
        self == Action::TrackEvent
    }

    /// The default field mapping: each field read from its event path.
    pub fn default_mapping(self) -> Map<String, Value> {
        // Built by hand: `json!` would unwrap a serialisation, linking the `Debug` of
        // serde_json's errors (and `str`'s, with its tables) into the npm package.
        let path = |p: &str| {
            let mut directive = Map::new();
            directive.insert("@path".to_string(), Value::String(p.to_string()));
            Value::Object(directive)
        };
        self.fields()
            .iter()
            .filter_map(|f| f.default_path.map(|p| (f.key.to_string(), path(p))))
            .collect()
    }

    /// What Nudge's destination does to a validated payload before sending it: user IDs and
    /// event names get `_` for spaces and lower case, identify `props` lose `name`, `phone`
    /// and `email` (`occurred_at` has been in UTC `toISOString` form since validation).
    ///
    /// Fails only for an `occurred_at` that passed Segment's schema but is no time at all (a
    /// number beyond the ±8.64e15 ms a date can hold).
    pub fn prepare(self, mut payload: Payload) -> Result<Payload, FieldError> {
        let sanitize_keys: &[&str] = match self {
            Action::IdentifyUser => &["ext_id"],
            Action::TrackEvent => &["ext_id", "name"],
        };
        for key in sanitize_keys {
            if let Some(Resolved::String(s)) = payload.get_mut(key) {
                *s = sanitize(s);
            }
        }
        match self {
            Action::IdentifyUser => {
                // Taken out and put back: `props` goes last, as the destination sets it.
                let props = payload.take("props").map_or(
                    Resolved::Object(ObjectMap::default()),
                    without_contact_traits,
                );
                payload.set("props", props);
            }
            Action::TrackEvent => {
                // Validation gave dates their ISO form; a number left is beyond any date.
                if let Some(Resolved::Number(_)) = payload.get("occurred_at") {
                    return Err(FieldError {
                        field: "occurred_at".into(),
                        code: FieldErrorCode::Format,
                        message:
                            "Event Timestamp (occurred_at) is beyond the times a date can hold"
                                .into(),
                    });
                }
            }
        }
        Ok(payload)
    }

    /// HTTP method and path (below the endpoint) of the action's request.
    pub fn route(self) -> (&'static str, &'static str) {
        match self {
            Action::IdentifyUser => ("PUT", "/identify"),
            Action::TrackEvent => ("POST", "/events/batch"),
        }
    }

    /// Whether requests carry an array of payloads (track) rather than one payload (identify,
    /// which is never batched).
    pub fn body_is_array(self) -> bool {
        self == Action::TrackEvent
    }

    /// The request body for `count` prepared payloads, each given as its JSON text (identify:
    /// the one payload; track: an array of them).
    pub fn body<'a>(self, count: usize, texts: impl Iterator<Item = &'a str> + Clone) -> String {
        if !self.body_is_array() && count == 1 {
            return texts.clone().next().unwrap_or("{}").to_string();
        }
        let len = texts.clone().map(|t| t.len() + 1).sum::<usize>() + 2;
        let mut out = String::with_capacity(len);
        out.push('[');
        for (i, text) in texts.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(text);
        }
        out.push(']');
        out
    }
}

/// Identify `props` as the destination's `modifyProps` copies them with `for…in`, without
/// `name`, `phone` and `email` (Nudge takes those as fields); `{}` when they are not an object.
/// Objects still in their text are filtered as text.
///
/// `for…in` also lists inherited members: where `props` has an own `__proto__` member holding
/// an object or array (as `JSON.parse` makes one), Segment's `removeUndefined` has made that
/// value the prototype, so its members not seen yet follow the own ones (an array's by index).
/// (They are the prototype's own, uncopied values, which Segment prints with any `__proto__`
/// members of their own; here those are left out as everywhere in a payload.)
fn without_contact_traits(props: Resolved) -> Resolved {
    const CONTACT: [&str; 3] = ["name", "phone", "email"];
    match props {
        Resolved::Object(map) => {
            let mut out = ObjectMap::default();
            let mut prototype = Resolved::Undefined;
            let copy = |out: &mut ObjectMap, k: String, v: Resolved| {
                if !v.is_undefined() && !CONTACT.contains(&k.as_str()) && !out.contains_key(&k) {
                    out.insert(k, v);
                }
            };
            for (k, v) in map {
                if k == PROTO_KEY {
                    prototype = v;
                } else {
                    copy(&mut out, k, v);
                }
            }
            match prototype.materialize() {
                Resolved::Object(members) => {
                    for (k, v) in members {
                        if k != PROTO_KEY {
                            copy(&mut out, k, v);
                        }
                    }
                }
                Resolved::Array(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        copy(&mut out, i.to_string(), item);
                    }
                }
                _ => {}
            }
            Resolved::Object(out)
        }
        Resolved::Raw(raw) => {
            let Some(members) = read::members(&raw) else {
                return Resolved::Object(ObjectMap::default());
            };
            if members.iter().any(|(k, _)| k == PROTO_KEY) {
                return without_contact_traits(Resolved::Raw(raw).materialize());
            }
            if !members.iter().any(|(k, _)| CONTACT.contains(&k.as_ref())) {
                return Resolved::Raw(raw);
            }
            let kept = members
                .iter()
                .filter(|(k, _)| !CONTACT.contains(&k.as_ref()))
                .map(|(k, v)| (k.as_ref(), *v));
            RawJson::object(kept).map_or(Resolved::Undefined, Resolved::Raw)
        }
        _ => Resolved::Object(ObjectMap::default()),
    }
}

/// Spaces become `_`, then lower case (Nudge's user ID and event name rule).
pub fn sanitize(s: &str) -> String {
    if s.is_ascii() {
        return s
            .bytes()
            .map(|b| {
                if b == b' ' {
                    '_'
                } else {
                    char::from(b.to_ascii_lowercase())
                }
            })
            .collect();
    }
    crate::host::to_lower(&s.replace(' ', "_"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A validated payload of `action` from a JSON object.
    fn payload(action: Action, v: Value) -> Payload {
        let Resolved::Object(map) = Resolved::from(v) else {
            panic!("an object")
        };
        crate::fields::validate(map, action.fields(), false).expect("a valid payload")
    }

    fn json(payload: Payload) -> Value {
        let mut text = String::new();
        payload.write_json(&mut text).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn identify_cleans_ids_and_props() {
        let out = Action::IdentifyUser.prepare(payload(Action::IdentifyUser, json!({"ext_id": "MiXeD CaSe Id", "props": {"name": "A", "phone": "1", "email": "e", "plan": 1}}))).unwrap();
        assert_eq!(
            json(out),
            json!({"ext_id": "mixed_case_id", "props": {"plan": 1}})
        );
        assert_eq!(
            json(
                Action::IdentifyUser
                    .prepare(payload(Action::IdentifyUser, json!({"ext_id": "u"})))
                    .unwrap()
            ),
            json!({"ext_id": "u", "props": {}})
        );
        let raw = RawJson::from_text(r#"{"name": "A", "plan": [1], "email": "e"}"#.into());
        let mut raw_props = payload(Action::IdentifyUser, json!({"ext_id": "u"}));
        raw_props.set("props", Resolved::Raw(raw.unwrap()));
        assert_eq!(
            Action::IdentifyUser
                .prepare(raw_props)
                .unwrap()
                .get("props"),
            Some(&Resolved::Raw(
                RawJson::from_text(r#"{"plan":[1]}"#.into()).unwrap()
            ))
        );
    }

    #[test]
    fn identify_props_copy_inherited_members_as_for_in_does() {
        // `props` with an own `__proto__` object: removeUndefined makes it the prototype, and
        // the destination's for…in copies its members after the own ones.
        let props = |text: &str| {
            let mut p = payload(Action::IdentifyUser, json!({"ext_id": "u"}));
            p.set(
                "props",
                Resolved::Raw(RawJson::from_text(text.into()).unwrap()),
            );
            json(Action::IdentifyUser.prepare(p).unwrap())["props"].clone()
        };
        assert_eq!(
            props(r#"{"__proto__": {"x": 1, "a": 9, "name": "n", "__proto__": {"z": 1}}, "a": 2}"#),
            json!({"a": 2, "x": 1})
        );
        assert_eq!(
            props(r#"{"__pro\u0074o__": ["i"], "b": 1}"#),
            json!({"b": 1, "0": "i"})
        );
        assert_eq!(props(r#"{"__proto__": 5, "b": 1}"#), json!({"b": 1}));
        assert_eq!(props(r#"{"__proto__": null}"#), json!({}));
    }

    #[test]
    fn track_cleans_names() {
        let out = Action::TrackEvent.prepare(payload(Action::TrackEvent, json!({"name": "Product Viewed", "ext_id": "U 1", "occurred_at": "2025-05-14T02:00:00.000Z"}))).unwrap();
        assert_eq!(
            json(out),
            json!({"name": "product_viewed", "ext_id": "u_1", "occurred_at": "2025-05-14T02:00:00.000Z"})
        );
        assert_eq!(sanitize("ÉVÉNEMENT Spécial"), "événement_spécial");
    }

    #[test]
    fn a_number_beyond_any_date_cannot_be_prepared() {
        let err = Action::TrackEvent
            .prepare(payload(
                Action::TrackEvent,
                json!({"name": "n", "ext_id": "u", "occurred_at": 1e21}),
            ))
            .unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.code),
            ("occurred_at", FieldErrorCode::Format)
        );
    }

    #[test]
    fn default_mappings_read_the_spec_paths() {
        assert_eq!(
            Value::Object(Action::TrackEvent.default_mapping())["occurred_at"],
            json!({"@path": "$.timestamp"})
        );
        assert_eq!(Action::IdentifyUser.default_mapping().len(), 6);
    }
}
