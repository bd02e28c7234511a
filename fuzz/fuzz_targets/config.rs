//! Configuration checking, as a document and as a deployment's `MAPPINGS` text, then a plan
//! with whatever configuration passes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nudge_edge::{plan, Config};
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Config::from_environment(Some("k"), None, Some(text));
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return;
    };
    for config in [
        Config::from_json(&doc),
        Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [doc]})),
    ] {
        if let Ok(config) = config {
            let events = json!([
                {"type": "track", "userId": "u", "event": "e", "timestamp": "2025-05-14T07:30:00Z", "properties": {"a": [1, {"b": "c"}]}},
                {"type": "identify", "userId": "u", "traits": {"name": "N", "email": "e@x.co"}},
                {"type": "page", "name": "Home"},
            ]);
            let _ = serde_json::to_string(&plan(&events, &config));
        }
    }
});
