//! Planning straight from JSON text, as the Worker and `planText` do: arbitrary bytes read in
//! place (members found, paths walked into the text, pass-through objects copied and rewritten
//! as JavaScript prints them), with a configuration whose mappings look inside the events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nudge_edge::{Config, Planner};
use serde_json::json;
use std::sync::OnceLock;

fn planner() -> &'static Planner {
    static PLANNER: OnceLock<Planner> = OnceLock::new();
    PLANNER.get_or_init(|| {
        let config = json!({"settings": {"apikey": "k"}, "mappings": [
            {"name": "Identify", "action": "identifyUser"},
            {"name": "Track", "action": "trackEvent", "enable_batching": true, "batch_size": 3},
            {"name": "Everything", "subscription": "type = \"track\" or properties.n > 1", "action": "trackEvent",
             "mapping": {
                "name": {"@template": "{{event}} {{properties.a}} {{context.b.0}}"},
                "ext_id": {"@path": "$.userId"},
                "occurred_at": {"@path": "$.timestamp"},
                "props": {"@merge": {"direction": "right", "objects": [
                    {"@path": "$.properties"},
                    {"t": {"@flatten": {"value": {"@path": "$.traits"}, "separator": "."}}},
                    {"w": {"@json": {"mode": "encode", "value": {"@path": "$."}}}}]}}}}
        ]});
        Planner::new(Config::from_json(&config).expect("a valid configuration"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(plan) = planner().plan_text(text) {
        let written = plan.to_json();
        // What the planner writes is JSON, and its requests' bodies too.
        assert!(serde_json::from_str::<serde_json::Value>(&written).is_ok());
        for request in &plan.requests {
            assert!(serde_json::from_str::<serde_json::Value>(&request.body).is_ok());
        }
    }
});
