//! Segment events as they arrive: any JSON object (every key stays reachable by mappings),
//! read in place from the request's text, with the few rules that apply before any mapping
//! sees them.

use crate::json::read::{self, Kind};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;

/// The destination's name in Segment's `integrations` object.
pub const DESTINATION_NAME: &str = "Nudge (Actions)";

/// One event, kept as its JSON text with its top-level members found once: the paths
/// mappings and subscriptions read are looked up without building a tree of the event.
pub struct Event<'a> {
    raw: &'a RawValue,
    members: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Event<'a> {
    /// Reads `raw` (any JSON value; only objects are usable events).
    pub fn new(raw: &'a RawValue) -> Event<'a> {
        Event {
            raw,
            members: read::members(raw).unwrap_or_default(),
        }
    }

    /// The event's text.
    pub fn raw(&self) -> &'a RawValue {
        self.raw
    }

    /// `event[key]`, the last one when a key is repeated (as `JSON.parse` keeps it).
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        read::find(&self.members, key)
    }

    /// Why the event cannot be used at all (it is not a JSON object).
    pub fn shape_problem(&self) -> Option<String> {
        (read::kind(self.raw) != Kind::Object).then(|| {
            let found = match read::kind(self.raw) {
                Kind::Null => "null",
                Kind::Bool => "boolean",
                Kind::Number => "number",
                Kind::String => "string",
                Kind::Array => "array",
                Kind::Object => "object",
            };
            format!("an event must be a JSON object, found {found}")
        })
    }

    /// Whether the event's `integrations` keep it away from this destination:
    /// `"Nudge (Actions)": false`, or `"All": false` without `"Nudge (Actions)": true`.
    pub fn excluded_by_integrations(&self) -> bool {
        let Some(integrations) = self.get("integrations").and_then(read::members) else {
            return false;
        };
        let enabled = |key: &str| {
            let value = read::find(&integrations, key)?;
            match read::kind(value) {
                Kind::Bool => Some(value.get() == "true"),
                // An options object (`{"Nudge (Actions)": {…}}`) means enabled, as in Segment.
                Kind::Object => Some(true),
                _ => None,
            }
        };
        match enabled(DESTINATION_NAME) {
            Some(on) => !on,
            None => enabled("All") == Some(false),
        }
    }
}

/// The events in a JSON text: the items of an array, or the one value otherwise.
pub fn events_in(text: &str) -> Result<Vec<&RawValue>, serde_json::Error> {
    let raw: &RawValue = serde_json::from_str(text)?;
    Ok(read::items(raw).unwrap_or_else(|| vec![raw]))
}

/// The JSON text of one event or an array of events, for callers that hold a tree.
pub fn to_text(events: &Value) -> String {
    // Serialising a `Value` cannot fail: its keys are strings.
    serde_json::to_string(events).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(text: &str) -> bool {
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        Event::new(raw).excluded_by_integrations()
    }

    #[test]
    fn integrations_object_is_honoured() {
        assert!(!excluded(r#"{"type": "track"}"#));
        assert!(excluded(r#"{"integrations": {"Nudge (Actions)": false}}"#));
        assert!(excluded(r#"{"integrations": {"All": false}}"#));
        assert!(!excluded(
            r#"{"integrations": {"All": false, "Nudge (Actions)": true}}"#
        ));
        assert!(!excluded(
            r#"{"integrations": {"All": false, "Nudge (Actions)": {"x": 1}}}"#
        ));
        assert!(!excluded(
            r#"{"integrations": {"All": true, "Other": false}}"#
        ));
    }

    #[test]
    fn events_come_one_or_many() {
        assert_eq!(events_in(r#"[{"a": 1}, {"b": 2}]"#).unwrap().len(), 2);
        assert_eq!(events_in(r#"{"a": 1}"#).unwrap().len(), 1);
        let raw = events_in(r#""x""#).unwrap()[0];
        assert!(Event::new(raw).shape_problem().is_some());
        assert!(events_in("{").is_err());
    }

    #[test]
    fn repeated_keys_read_as_json_parse_keeps_them() {
        let raw: &RawValue =
            serde_json::from_str(r#"{"type": "identify", "type": "track"}"#).unwrap();
        assert_eq!(
            Event::new(raw).get("type").map(RawValue::get),
            Some("\"track\"")
        );
    }
}
