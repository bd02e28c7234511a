//! Property tests of reading events in place: however an event's JSON text is written (white
//! space, escapes, number forms, repeated keys), planning it gives what planning the value
//! JavaScript's `JSON.parse` reads from it gives, and pass-through objects come out exactly as
//! JavaScript's `JSON.stringify` would print them.

use nudge_edge::json::write::ProtoMember;
use nudge_edge::value::write_js;
use nudge_edge::{Config, Planner, Resolved};
use proptest::prelude::*;
use serde_json::{json, Value};

/// A JSON value and a text for it written in one of the many ways JSON allows.
#[derive(Debug, Clone)]
struct Written {
    value: Value,
    text: String,
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{0,6}",
        Just("é\u{1F600}/\"\\".to_string()),
        Just("\u{1}\u{1f}\n\t".to_string()),
        any::<String>(),
    ]
}

/// A string literal: plain, or with some characters escaped as `\uXXXX` (either case) or `\/`.
fn write_string(s: &str, escape_every: usize, upper: bool) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        let escape = escape_every > 0 && i % escape_every == 0;
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape => out.push_str("\\/"),
            c if (c as u32) < 0x20 || escape => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if upper {
                        out.push_str(&format!("\\u{unit:04X}"));
                    } else {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn arb_written() -> impl Strategy<Value = Written> {
    let leaf = prop_oneof![
        Just(Written {
            value: Value::Null,
            text: "null".into()
        }),
        any::<bool>().prop_map(|b| Written {
            value: Value::Bool(b),
            text: b.to_string()
        }),
        // Integers, written plainly or as `n.0`, `nE0`, `-0`.
        (-100_000i64..100_000, 0..4usize).prop_map(|(n, form)| {
            let text = match form {
                0 => n.to_string(),
                1 => format!("{n}.0"),
                2 => format!("{n}E0"),
                _ if n == 0 => "-0".to_string(),
                _ => format!("{n}.000"),
            };
            Written {
                value: json!(n),
                text,
            }
        }),
        // Doubles, written by serde_json (shortest) or with an exponent.
        (
            any::<f64>().prop_filter("finite", |f| f.is_finite()),
            any::<bool>()
        )
            .prop_map(|(f, exp)| Written {
                value: json!(f),
                text: if exp {
                    format!("{f:e}")
                } else {
                    json!(f).to_string()
                },
            }),
        (arb_string(), 0..4usize, any::<bool>()).prop_map(|(s, every, upper)| Written {
            text: write_string(&s, every, upper),
            value: Value::String(s),
        }),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        let space = prop_oneof![Just(""), Just(" "), Just("\n  ")];
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..5), space.clone()).prop_map(|(items, ws)| {
                let texts: Vec<String> = items
                    .iter()
                    .map(|w| format!("{ws}{}{ws}", w.text))
                    .collect();
                Written {
                    value: Value::Array(items.into_iter().map(|w| w.value).collect()),
                    text: format!("[{}]", texts.join(",")),
                }
            }),
            // Objects, keys sometimes repeated (the last value wins at the first key's place)
            // and sometimes array indexes (listed first by JavaScript).
            (
                prop::collection::vec(
                    (
                        prop_oneof!["[a-d]", "[0-9]{1,2}", Just("__proto__".to_string())],
                        inner
                    ),
                    0..5
                ),
                space
            )
                .prop_map(|(members, ws)| {
                    let mut value = serde_json::Map::new();
                    let mut texts = Vec::new();
                    for (key, w) in members {
                        texts.push(format!(
                            "{ws}{}{ws}:{ws}{}",
                            write_string(&key, 0, false),
                            w.text
                        ));
                        value.insert(key, w.value);
                    }
                    Written {
                        value: Value::Object(value),
                        text: format!("{{{}}}", texts.join(",")),
                    }
                }),
        ]
    })
}

/// `JSON.stringify(JSON.parse(text))`, computed from the parsed value by the tree writer.
fn stringify(value: &Value) -> String {
    let mut out = String::new();
    Resolved::from(value).write_json(&mut out).unwrap();
    out
}

fn planner() -> Planner {
    Planner::new(
        Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [
            {"name": "Identify User", "action": "identifyUser"},
            {"name": "Track Event", "action": "trackEvent", "enable_batching": true},
            {"name": "Everything", "subscription": "type = \"track\"", "action": "trackEvent",
             "mapping": {"name": {"@template": "{{event}} {{properties.a}}"},
                         "ext_id": {"@path": "$.userId"},
                         "occurred_at": {"@path": "$.timestamp"},
                         "props": {"@merge": {"direction": "right", "objects": [
                             {"@path": "$.properties"}, {"t": {"@path": "$.traits"}}]}}}}
        ]}))
        .expect("valid config"),
    )
}

proptest! {

    /// Text written any way JSON allows is printed as JavaScript prints what it parses to.
    #[test]
    fn text_is_written_as_javascript_prints_its_value(w in arb_written()) {
        let mut out = String::new();
        // Unwritable only past serde_json's depth, which these values never reach.
        write_js(&w.text, &mut out, ProtoMember::Drop).unwrap();
        prop_assert_eq!(out, stringify(&w.value));
    }

    /// An event planned from any way of writing it gives the plan of its value.
    #[test]
    fn events_written_any_way_plan_alike(props in arb_written(), traits in arb_written(), kind in 0..2usize) {
        let event_type = ["identify", "track"][kind];
        let text = format!(
            r#" {{ "type" : "{event_type}", "userId" : "U 1", "event": "E", "timestamp": "2025-05-14T07:30:00+05:30",
                  "properties" : {}, "traits": {} }} "#,
            props.text, traits.text
        );
        let value = json!({"type": event_type, "userId": "U 1", "event": "E",
                           "timestamp": "2025-05-14T07:30:00+05:30",
                           "properties": props.value, "traits": traits.value});
        let planner = planner();
        let plan = planner.plan_text(&text).unwrap();
        let from_text = plan.to_json();
        prop_assert_eq!(&from_text, &serde_json::to_string(&plan).unwrap(), "the plan's writer and serde agree");
        let from_value = planner.plan(&value).to_json();
        prop_assert_eq!(from_text, from_value);
    }
}
