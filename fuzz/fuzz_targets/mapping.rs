//! Mappings: two JSON documents, a mapping and a payload, checked and run (Segment's
//! `transform`), then the mapping as a configured mapping on an event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nudge_edge::{transform, Mapping};
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let mut values = serde_json::Deserializer::from_slice(data).into_iter::<Value>();
    let Some(Ok(mapping)) = values.next() else {
        return;
    };
    let payload = match values.next() {
        Some(Ok(payload)) => payload,
        _ => {
            json!({"userId": "u", "event": "e", "properties": {"a": 1, "s": "a.b", "l": [1, {"x": null}]}})
        }
    };
    let _ = transform(&mapping, &payload, 0.0);
    if let Ok(checked) = Mapping::parse(mapping) {
        if let Ok(Some(out)) = checked.apply(&json!({"properties": payload}), 0.0) {
            let _ = serde_json::to_string(&out);
        }
    }
});
