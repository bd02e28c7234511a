//! Subscriptions: parsing any text, then matching events and printing the AST.
//!
//! Recursion bugs need deep nesting, and a fuzzer seldom writes a thousand `(` in a row: an
//! input `\x01` N PREFIX `\0` MIDDLE `\0` SUFFIX stands for PREFIX repeated 16·N times, MIDDLE,
//! then SUFFIX as often. Any other input is the text itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nudge_edge::Subscription;
use serde_json::json;

fn text(data: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(data).ok()?;
    let Some(rest) = text.strip_prefix('\u{1}') else {
        return Some(text.to_string());
    };
    let mut chars = rest.chars();
    let times = 16 * (chars.next()? as usize % 256);
    let mut parts = chars.as_str().splitn(3, '\0');
    let (prefix, middle, suffix) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
    Some(format!(
        "{}{middle}{}",
        prefix.repeat(times),
        suffix.repeat(times)
    ))
}

fuzz_target!(|data: &[u8]| {
    let Some(text) = text(data) else {
        return;
    };
    let Ok(subscription) = Subscription::parse(&text) else {
        return;
    };
    let _ = serde_json::to_string(subscription.condition());
    for event in [
        json!({"type": "track", "event": "Order Completed", "userId": "u1", "name": "n",
               "properties": {"total": 12, "s": "12", "a": {"b": [1, "x", null]}},
               "traits": {"vip": true, "email": "a@b.co"}, "context": {"page": {"path": "/p"}}}),
        json!({"type": 5, "properties": "text", "traits": [true], "context": null}),
        json!({}),
    ] {
        let _ = subscription.matches(&event);
    }
});
