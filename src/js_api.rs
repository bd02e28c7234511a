//! The npm package's shell: the core's functions exported through `wasm-bindgen`.
//!
//! Arguments cross the boundary as JSON text (`JSON.stringify` on the JS side; a BigInt becomes
//! the number it rounds to, which is all the core would make of its digits since it holds every
//! number as JavaScript does; ±Infinity and NaN become `null`, as in the text every Segment SDK
//! sends, while `planText` reads a `1e400` in its text as JavaScript's Infinity) and results come back through `JSON.parse`, which keeps
//! numbers, `null`, unicode and key order exactly as JSON has them and is cheaper than walking
//! JS objects from wasm. Errors are JS `Error`s whose message is the core's message, with a
//! `path`, `position` or `errors` property where one helps.

use crate::config::ConfigErrors;
use crate::config::{Config, ConfigMemo};
use crate::event::Event;
use crate::mapping::MappingError;
use crate::plan::{Planner, Status};
use crate::subscription::Subscription;
use crate::subscription::SubscriptionError;
use serde_json::Value;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
function bigIntAsNumber(_key, v) {
  if (typeof v !== 'bigint') return v;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    throw new RangeError(`a BigInt of ${v.toString().length} digits is beyond the range of a number`);
  }
  return n;
}
// Text crosses into wasm encoded by V8 straight into wasm memory (TextEncoder.encodeInto):
// wasm-bindgen's own string passing copies ASCII one character at a time in JavaScript first,
// a fifth of planText's time for a 500 KB batch of ASCII events.
const encoder = new TextEncoder();
export function utf8Into(text, view) {
  return encoder.encodeInto(text, view).written;
}
export function toJson(value) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    // A BigInt makes plain JSON.stringify throw a TypeError (so does a cycle, which then throws
    // again). A replacer is slow, so it is only the fallback; it changes BigInts and nothing
    // else, so no string, key or other value can be mistaken for one.
    if (!(e instanceof TypeError)) throw e;
    text = JSON.stringify(value, bigIntAsNumber);
  }
  return text === undefined ? 'null' : text;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = toJson, catch)]
    fn to_json_string(value: &JsValue) -> Result<js_sys::JsString, JsValue>;
    #[wasm_bindgen(js_name = utf8Into)]
    fn utf8_into(text: &js_sys::JsString, view: &js_sys::Uint8Array) -> u32;
}

/// A JS string as Rust text, encoded by V8 into wasm memory in one pass ([`utf8_into`]). Lone
/// surrogates become U+FFFD, as wasm-bindgen's own string passing makes them.
fn text_of(text: &js_sys::JsString) -> String {
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    let capacity = (text.length() as usize).saturating_mul(3);
    let mut bytes: Vec<u8> = Vec::with_capacity(capacity);
    // SAFETY: the view covers the vector's spare capacity and lives only for the one call,
    // which writes into it and allocates nothing in wasm memory (so the view's buffer stays the
    // memory's); `set_len` keeps only the bytes `encodeInto` says it wrote, at most the view's.
    unsafe {
        let view = js_sys::Uint8Array::view_mut_raw(bytes.as_mut_ptr(), capacity);
        let written = utf8_into(text, &view) as usize;
        bytes.set_len(written.min(capacity));
    }
    // encodeInto writes UTF-8, so the check never fails.
    String::from_utf8(bytes).unwrap_or_default()
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("../js/types.d.ts");

/// A JS value as JSON text.
fn json_text(value: &JsValue, what: &str) -> Result<String, JsValue> {
    to_json_string(value)
        .map(|text| text_of(&text))
        .map_err(|e| {
            let reason = e
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_default();
            error(&format!("{what} cannot be turned into JSON: {reason}"), &[])
        })
}

fn parse_text(text: &str, what: &str) -> Result<Value, JsValue> {
    crate::json::read::tree(text).map_err(|e| error(&format!("{what} is not valid JSON: {e}"), &[]))
}

/// A JS value as JSON.
fn from_js(value: &JsValue, what: &str) -> Result<Value, JsValue> {
    parse_text(&json_text(value, what)?, what)
}

/// JSON text as a plain JS value.
fn to_js_text(text: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(text)
}

/// A list as a JSON array, each item written by `write`.
fn write_list<T>(items: &[T], out: &mut String, write: impl Fn(&T, &mut String)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(item, out);
    }
    out.push(']');
}

/// Configuration problems as a JSON array.
fn config_errors_json(errors: &[crate::config::ConfigError]) -> String {
    let mut out = String::new();
    write_list(errors, &mut out, crate::config::ConfigError::write_json);
    out
}

fn error(message: &str, props: &[(&str, JsValue)]) -> JsValue {
    let err = js_sys::Error::new(message);
    for (key, value) in props {
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str(key), value);
    }
    err.into()
}

fn config_error(errors: &ConfigErrors) -> JsValue {
    let list = to_js_text(&config_errors_json(&errors.0)).unwrap_or(JsValue::NULL);
    error(&errors.to_string(), &[("errors", list)])
}

fn mapping_error(e: &MappingError) -> JsValue {
    error(
        &format!("invalid mapping: {e}"),
        &[("path", JsValue::from_str(&e.path()))],
    )
}

fn subscription_error(e: &SubscriptionError) -> JsValue {
    error(
        &format!("invalid subscription: {e}"),
        &[
            ("position", JsValue::from_f64(e.position() as f64)),
            ("code", JsValue::from_str(e.code().as_str())),
        ],
    )
}

thread_local! {
    /// The planner of the last configuration checked, by its JSON text.
    static LAST_PLANNER: ConfigMemo<String, Planner> = const { ConfigMemo::new() };
}

fn load_planner(config: &JsValue) -> Result<Rc<Planner>, JsValue> {
    let text = json_text(config, "config")?;
    LAST_PLANNER.with(|memo| {
        memo.get_or_build(text, |text| {
            Config::from_json(&parse_text(text, "config")?)
                .map(|config| Planner::new(config).with_clock(js_sys::Date::now))
                .map_err(|e| config_error(&e))
        })
    })
}

/// Plans the events in a JSON text with a cached planner.
fn plan_text(planner: &Planner, events: &JsValue, what: &str) -> Result<crate::Plan, JsValue> {
    let text = json_text(events, what)?;
    planner
        .plan_text(&text)
        .map_err(|e| error(&format!("{what} is not valid JSON: {e}"), &[]))
}

/// A configuration compiled once: plans events with no per-call checking of the config.
#[wasm_bindgen(js_name = Planner)]
pub struct JsPlanner {
    planner: Planner,
}

/// Compiles a configuration into a planner (throws with every problem when it is invalid).
#[wasm_bindgen(js_name = createPlanner)]
pub fn create_planner(
    #[wasm_bindgen(unchecked_param_type = "Config")] config: JsValue,
) -> Result<JsPlanner, JsValue> {
    let doc = from_js(&config, "config")?;
    let config = Config::from_json(&doc).map_err(|e| config_error(&e))?;
    Ok(JsPlanner {
        planner: Planner::new(config).with_clock(js_sys::Date::now),
    })
}

#[wasm_bindgen(js_class = Planner)]
impl JsPlanner {
    /// Plans one event or an array of events: requests in mapping order then event order, results
    /// in event order then mapping order.
    #[wasm_bindgen(unchecked_return_type = "Plan")]
    pub fn plan(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SegmentEvent | SegmentEvent[]")] events: JsValue,
    ) -> Result<JsValue, JsValue> {
        to_js_text(&plan_text(&self.planner, &events, "events")?.to_json())
    }

    /// Plans the events in a JSON text (an array or one event) and returns the plan as JSON
    /// text: no objects are built on either side of the boundary.
    #[wasm_bindgen(js_name = planText)]
    pub fn plan_json_text(&self, events: js_sys::JsString) -> Result<String, JsValue> {
        if !events.is_string() {
            return Err(error("events must be a string of JSON text", &[]));
        }
        self.planner
            .plan_text(&text_of(&events))
            .map(|plan| plan.to_json())
            .map_err(|e| error(&format!("events are not valid JSON: {e}"), &[]))
    }

    /// Checks one event against every mapping it matches: `{valid, results}`.
    #[wasm_bindgen(js_name = validateEvent, unchecked_return_type = "EventValidation")]
    pub fn validate_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SegmentEvent")] event: JsValue,
    ) -> Result<JsValue, JsValue> {
        event_validation(&self.planner, &event)
    }
}

/// Plans the delivery of one event or an array of events: requests in mapping order then event
/// order, results in event order then mapping order.
#[wasm_bindgen(unchecked_return_type = "Plan")]
pub fn plan(
    #[wasm_bindgen(unchecked_param_type = "SegmentEvent | SegmentEvent[]")] events: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Config")] config: JsValue,
) -> Result<JsValue, JsValue> {
    let planner = load_planner(&config)?;
    to_js_text(&plan_text(&planner, &events, "events")?.to_json())
}

/// Checks one event against every mapping it matches: `{valid, results}`.
#[wasm_bindgen(js_name = validateEvent, unchecked_return_type = "EventValidation")]
pub fn validate_event(
    #[wasm_bindgen(unchecked_param_type = "SegmentEvent")] event: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Config")] config: JsValue,
) -> Result<JsValue, JsValue> {
    event_validation(&*load_planner(&config)?, &event)
}

fn event_validation(planner: &Planner, event: &JsValue) -> Result<JsValue, JsValue> {
    let plan = plan_text(planner, event, "event")?;
    let results: Vec<_> = plan
        .results
        .into_iter()
        .filter(|r| r.mapping.is_some() || r.status == Status::Invalid)
        .collect();
    let valid = results.iter().all(|r| r.status != Status::Invalid);
    to_js_text(&validation_json(valid, "results", |out| {
        write_list(&results, out, crate::plan::EventResult::write_json)
    }))
}

// The answers of `validateEvent`, `validateConfig` and `parseSubscription` are written
// straight to text by the core's own writers, as the CLI's `Serialize` impls would write them:
// serde_json's serialiser (and its float formatting) stays out of the package.

/// `{"valid":…,"<list>":…}`, the list written by `write_list`.
fn validation_json(valid: bool, list: &str, write_list: impl FnOnce(&mut String)) -> String {
    let mut out = String::from(if valid {
        "{\"valid\":true,\""
    } else {
        "{\"valid\":false,\""
    });
    out.push_str(list);
    out.push_str("\":");
    write_list(&mut out);
    out.push('}');
    out
}

/// Checks a whole configuration: `{valid, errors}`, every problem listed.
#[wasm_bindgen(js_name = validateConfig, unchecked_return_type = "ConfigValidation")]
pub fn validate_config(
    #[wasm_bindgen(unchecked_param_type = "unknown")] config: JsValue,
) -> Result<JsValue, JsValue> {
    let doc = from_js(&config, "config")?;
    let errors = Config::from_json(&doc)
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
    to_js_text(&validation_json(errors.is_empty(), "errors", |out| {
        write_list(&errors, out, crate::config::ConfigError::write_json)
    }))
}

/// Runs a mapping on a payload; `undefined` when nothing resolves. The payload is read in
/// place, so it may nest as deep as `JSON.stringify` can follow.
#[wasm_bindgen(unchecked_return_type = "unknown")]
pub fn transform(
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] mapping: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] payload: JsValue,
) -> Result<JsValue, JsValue> {
    let mapping = from_js(&mapping, "mapping")?;
    let text = json_text(&payload, "payload")?;
    let payload = event_in(&text, "payload")?;
    let resolved = crate::mapping::transform_event(&mapping, &payload, js_sys::Date::now())
        .map_err(|e| mapping_error(&e))?;
    let mut out = String::new();
    match resolved.write_json(&mut out) {
        Ok(true) => to_js_text(&out),
        Ok(false) => Ok(JsValue::UNDEFINED),
        Err(e) => Err(error(&format!("cannot serialise the result: {e}"), &[])),
    }
}

/// One JSON text read in place as an event (or payload).
fn event_in<'a>(text: &'a str, what: &str) -> Result<Event<'a>, JsValue> {
    crate::event::event_in(text).map_err(|e| error(&format!("{what} is not valid JSON: {e}"), &[]))
}

/// A subscription argument. Taken as any JS value and checked here: wasm-bindgen's own
/// conversion to `&str` trusts the caller and, given a number, writes outside its buffer.
fn subscription(fql: &JsValue) -> Result<Subscription, JsValue> {
    let Some(text) = fql.as_string() else {
        return Err(error(
            "the subscription must be a string of FQL, like type = \"track\"",
            &[],
        ));
    };
    Subscription::parse(&text).map_err(|e| subscription_error(&e))
}

/// Parses FQL into Segment's AST shape.
#[wasm_bindgen(js_name = parseSubscription, unchecked_return_type = "SubscriptionGroup")]
pub fn parse_subscription(
    #[wasm_bindgen(unchecked_param_type = "string")] fql: JsValue,
) -> Result<JsValue, JsValue> {
    let mut out = String::new();
    subscription(&fql)?.condition().write_json(&mut out);
    to_js_text(&out)
}

/// Whether an event matches a subscription.
#[wasm_bindgen(js_name = matchesSubscription)]
pub fn matches_subscription(
    #[wasm_bindgen(unchecked_param_type = "string")] fql: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SegmentEvent")] event: JsValue,
) -> Result<bool, JsValue> {
    let sub = subscription(&fql)?;
    let text = json_text(&event, "event")?;
    Ok(sub.matches_event(&event_in(&text, "event")?))
}
