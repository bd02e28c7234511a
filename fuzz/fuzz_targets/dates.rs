//! Dates: any text or number as a timestamp (dayjs' and V8's leniency), through the
//! `occurred_at` field of a planned track event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nudge_edge::{datetime, plan, Config};
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = datetime::parse_text(&text);
    let mut values = vec![Value::String(text.to_string())];
    if let Ok(n) = text.trim().parse::<f64>() {
        values.extend(serde_json::Number::from_f64(n).map(Value::Number));
    }
    if let Ok(n) = text.trim().parse::<i64>() {
        values.push(Value::from(n));
    }
    for value in values {
        if let Some(ms) = datetime::parse_timestamp(&value) {
            let _ = datetime::to_iso_string(ms);
        }
        let _ = datetime::normalize(&value);
        let event = json!({"type": "track", "userId": "u", "event": "e", "timestamp": value});
        let _ = plan(&event, &Config::with_presets("k"));
    }
});
