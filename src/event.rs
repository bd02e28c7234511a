//! Segment events as they arrive: any JSON object (every key stays reachable by mappings),
//! with the few rules that apply before any mapping sees them.

use serde_json::Value;

/// The destination's name in Segment's `integrations` object.
pub const DESTINATION_NAME: &str = "Nudge (Actions)";

/// One event or an array of events, as a list.
pub fn event_list(events: &Value) -> Vec<&Value> {
    match events {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    }
}

/// Why an event cannot be used at all (it is not a JSON object).
pub fn shape_problem(event: &Value) -> Option<String> {
    (!event.is_object()).then(|| {
        format!(
            "an event must be a JSON object, found {}",
            crate::js::real_type_of(Some(event))
        )
    })
}

/// Whether the event's `integrations` keep it away from this destination:
/// `"Nudge (Actions)": false`, or `"All": false` without `"Nudge (Actions)": true`.
pub fn excluded_by_integrations(event: &Value) -> bool {
    let Some(integrations) = event.get("integrations").and_then(Value::as_object) else {
        return false;
    };
    let enabled = |key: &str| match integrations.get(key) {
        Some(Value::Bool(b)) => Some(*b),
        // An options object (`{"Nudge (Actions)": {…}}`) means enabled, as in Segment.
        Some(Value::Object(_)) => Some(true),
        _ => None,
    };
    match enabled(DESTINATION_NAME) {
        Some(on) => !on,
        None => enabled("All") == Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integrations_object_is_honoured() {
        assert!(!excluded_by_integrations(&json!({"type": "track"})));
        assert!(excluded_by_integrations(
            &json!({"integrations": {"Nudge (Actions)": false}})
        ));
        assert!(excluded_by_integrations(
            &json!({"integrations": {"All": false}})
        ));
        assert!(!excluded_by_integrations(
            &json!({"integrations": {"All": false, "Nudge (Actions)": true}})
        ));
        assert!(!excluded_by_integrations(
            &json!({"integrations": {"All": true, "Other": false}})
        ));
    }

    #[test]
    fn events_come_one_or_many() {
        assert_eq!(event_list(&json!([{"a": 1}, {"b": 2}])).len(), 2);
        assert_eq!(event_list(&json!({"a": 1})).len(), 1);
        assert!(shape_problem(&json!("x")).is_some());
    }
}
