use nudge_edge::{plan, Config};
use serde_json::{json, Value};
fn main() {
    let events: Vec<Value> = (0..1000).map(|i| json!({
        "type": "track", "messageId": format!("m-{i}"), "userId": format!("User {i}"), "anonymousId": "anon-1",
        "event": "Order Completed", "timestamp": "2025-05-14T07:30:00+05:30",
        "properties": {"order_id": format!("o-{i}"), "total": 99.5, "currency": "EUR",
                       "products": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}]},
        "context": {"library": {"name": "analytics.js", "version": "2.11.1"}, "timezone": "Europe/Paris",
                    "page": {"url": "https://example.com/checkout"}}
    })).collect();
    let text = Value::Array(events).to_string();
    let config = Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [
        {"name": "Track Event", "action": "trackEvent", "enable_batching": true, "batch_size": 100}]})).unwrap();
    for _ in 0..5 {
        let events: Value = serde_json::from_str(&text).unwrap();
        let out = serde_json::to_string(&plan(&events, &config)).unwrap();
        std::hint::black_box(out);
    }
}
