//! The destination configuration: settings plus up to 50 mappings, checked as a whole so that
//! every problem is listed at once.
//!
//! ```json
//! { "settings": { "apikey": "…", "endpoint": "https://…" },
//!   "mappings": [ { "name": "Track Event", "subscription": "type = \"track\"",
//!                   "action": "trackEvent", "mapping": { … },
//!                   "enabled": true, "enable_batching": false, "batch_size": 100 } ] }
//! ```

use crate::actions::{Action, DEFAULT_BATCH_SIZE, DEFAULT_ENDPOINT, MAX_BATCH_SIZE};
use crate::mapping::Mapping;
use crate::subscription::Subscription;
use serde::Serialize;
use serde_json::Value;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// The last configuration a shell built, by what it was built from: a Worker isolate or a page
/// sees the same configuration on every call, and checking it (subscriptions, mappings) is
/// the largest fixed cost of a call. Same input, same configuration: nothing observable is
/// kept.
pub struct ConfigMemo<K, T> {
    last: RefCell<Option<(K, Rc<T>)>>,
}

impl<K: PartialEq, T> ConfigMemo<K, T> {
    /// An empty memo.
    pub const fn new() -> Self {
        ConfigMemo {
            last: RefCell::new(None),
        }
    }

    /// What was built from `key` last time, or what `build` makes of it now (kept unless it
    /// fails).
    pub fn get_or_build<E>(
        &self,
        key: K,
        build: impl FnOnce(&K) -> Result<T, E>,
    ) -> Result<Rc<T>, E> {
        if let Some((_, built)) = self.last.borrow().as_ref().filter(|(k, _)| *k == key) {
            return Ok(Rc::clone(built));
        }
        let built = Rc::new(build(&key)?);
        self.last.replace(Some((key, Rc::clone(&built))));
        Ok(built)
    }
}

impl<K: PartialEq, T> Default for ConfigMemo<K, T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Most mappings one destination may have.
pub const MAX_MAPPINGS: usize = 50;

/// Connection settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Nudge's private Backend API key (secret: never printed).
    pub apikey: String,
    /// Nudge's API base, without a trailing `/`.
    pub endpoint: String,
}

/// One mapping: which events (subscription), which action, how fields are filled.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingConfig {
    /// Name shown in results.
    pub name: String,
    /// Which events it receives.
    pub subscription: Subscription,
    /// What it does with them.
    pub action: Action,
    /// Field mapping, defaults filled in for fields left out.
    pub mapping: Mapping,
    /// Switched-off mappings receive nothing.
    pub enabled: bool,
    /// `Some(n)`: valid events go together, at most `n` per request.
    pub batch_size: Option<usize>,
}

/// A checked destination configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Connection settings.
    pub settings: Settings,
    /// Mappings, in order.
    pub mappings: Vec<MappingConfig>,
}

/// Collects problems with their JSON-pointer paths.
#[derive(Default)]
struct Problems(Vec<ConfigError>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError {
            path: path.into(),
            message: message.into(),
        });
    }
}

impl Config {
    /// The most events one request of this configuration carries: the largest `batch_size`
    /// of an enabled batching mapping, else 1: the chunk a stream of events is planned in, so
    /// that one chunk can fill the largest request.
    pub fn largest_batch_size(&self) -> usize {
        self.mappings
            .iter()
            .filter(|m| m.enabled && m.action.supports_batching())
            .filter_map(|m| m.batch_size)
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// Parses and checks a configuration document; every problem is listed.
    pub fn from_json(doc: &Value) -> Result<Config, ConfigErrors> {
        let mut problems = Problems::default();
        let Some(root) = doc.as_object() else {
            problems.add(
                "",
                format!(
                    "the configuration must be an object, found {}",
                    crate::property::real_type_of(Some(doc))
                ),
            );
            return Err(ConfigErrors(problems.0));
        };
        let settings = parse_settings(root.get("settings"), &mut problems);
        let mappings = match root.get("mappings") {
            None => presets(),
            Some(Value::Array(items)) => {
                if items.len() > MAX_MAPPINGS {
                    problems.add(
                        "/mappings",
                        format!(
                            "at most {MAX_MAPPINGS} mappings are allowed, found {}",
                            items.len()
                        ),
                    );
                }
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, m)| parse_mapping(i, m, &mut problems))
                    .collect()
            }
            Some(other) => {
                problems.add(
                    "/mappings",
                    format!(
                        "must be an array, found {}",
                        crate::property::real_type_of(Some(other))
                    ),
                );
                Vec::new()
            }
        };
        match settings {
            Some(settings) if problems.0.is_empty() => Ok(Config { settings, mappings }),
            _ => Err(ConfigErrors(problems.0)),
        }
    }

    /// The configuration a deployment describes with its environment: the API key secret, an
    /// optional endpoint, and optional `mappings` as JSON text (the presets when absent).
    pub fn from_environment(
        apikey: Option<&str>,
        endpoint: Option<&str>,
        mappings_json: Option<&str>,
    ) -> Result<Config, ConfigErrors> {
        let mut doc = serde_json::json!({ "settings": { "apikey": apikey.unwrap_or_default() } });
        if let Some(endpoint) = endpoint.filter(|e| !e.trim().is_empty()) {
            doc["settings"]["endpoint"] = Value::String(endpoint.trim().to_string());
        }
        let mut unreadable = None;
        if let Some(text) = mappings_json.filter(|m| !m.trim().is_empty()) {
            match crate::json::read::tree(text) {
                // Either the `mappings` array itself or a whole `{ "mappings": [...] }` document.
                Ok(Value::Object(mut o)) if o.contains_key("mappings") => {
                    doc["mappings"] = o.remove("mappings").unwrap_or(Value::Null);
                }
                Ok(mappings) => doc["mappings"] = mappings,
                Err(e) => {
                    unreadable = Some(ConfigError {
                        path: "/mappings".into(),
                        message: format!("MAPPINGS is not valid JSON: {e}"),
                    });
                    // Checked without them, so that the other problems are listed too.
                    doc["mappings"] = Value::Array(Vec::new());
                }
            }
        }
        match (Config::from_json(&doc), unreadable) {
            (result, None) => result,
            (Ok(_), Some(problem)) => Err(ConfigErrors(vec![problem])),
            (Err(mut errors), Some(problem)) => {
                errors.0.push(problem);
                Err(errors)
            }
        }
    }

    /// A configuration with the two presets.
    pub fn with_presets(apikey: impl Into<String>) -> Config {
        Config {
            settings: Settings {
                apikey: apikey.into(),
                endpoint: DEFAULT_ENDPOINT.into(),
            },
            mappings: presets(),
        }
    }
}

fn parse_settings(settings: Option<&Value>, problems: &mut Problems) -> Option<Settings> {
    let Some(Value::Object(settings)) = settings else {
        problems.add(
            "/settings",
            "is required: an object with `apikey` (Nudge's Backend API key)",
        );
        return None;
    };
    let apikey = match settings.get("apikey") {
        Some(Value::String(k)) if !k.trim().is_empty() => Some(k.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            problems.add(
                "/settings/apikey",
                "is required (Nudge's private Backend API key)",
            );
            None
        }
        Some(other) => {
            problems.add(
                "/settings/apikey",
                format!(
                    "must be a string, found {}",
                    crate::property::real_type_of(Some(other))
                ),
            );
            None
        }
    };
    let endpoint = match settings.get("endpoint") {
        None | Some(Value::Null) => Some(DEFAULT_ENDPOINT.to_string()),
        Some(Value::String(e)) if e.starts_with("https://") || e.starts_with("http://") => {
            Some(e.trim_end_matches('/').to_string())
        }
        Some(other) => {
            problems.add(
                "/settings/endpoint",
                format!("must be an http(s) URL, found {}", shown(other)),
            );
            None
        }
    };
    Some(Settings {
        apikey: apikey?,
        endpoint: endpoint?,
    })
}

fn presets() -> Vec<MappingConfig> {
    Action::ALL
        .into_iter()
        .filter_map(|action| {
            Some(MappingConfig {
                name: action.title().to_string(),
                subscription: Subscription::parse(action.default_subscription()).ok()?,
                action,
                mapping: Mapping::parse(Value::Object(action.default_mapping())).ok()?,
                enabled: true,
                batch_size: None,
            })
        })
        .collect()
}

fn parse_mapping(index: usize, entry: &Value, problems: &mut Problems) -> Option<MappingConfig> {
    let at = |key: &str| {
        if key.is_empty() {
            format!("/mappings/{index}")
        } else {
            format!("/mappings/{index}/{key}")
        }
    };
    let Some(entry) = entry.as_object() else {
        problems.add(
            at(""),
            "must be an object with `action`, `subscription` and `mapping`",
        );
        return None;
    };
    let before = problems.0.len();
    let action = match entry.get("action") {
        Some(Value::String(key)) => Action::from_key(key).or_else(|| {
            problems.add(
                at("action"),
                format!(
                    "unknown action {}; expected \"identifyUser\" or \"trackEvent\"",
                    quoted(key)
                ),
            );
            None
        }),
        _ => {
            problems.add(
                at("action"),
                "is required: \"identifyUser\" or \"trackEvent\"",
            );
            None
        }
    };
    let name = match entry.get("name") {
        Some(Value::String(n)) => Some(n.clone()),
        None | Some(Value::Null) => None,
        Some(_) => {
            problems.add(at("name"), "must be a string");
            None
        }
    };
    let subscription_text = match entry.get("subscription") {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => action.map(|a| a.default_subscription().to_string()),
        Some(_) => {
            problems.add(
                at("subscription"),
                "must be a string of FQL, like type = \"track\"",
            );
            None
        }
    };
    let subscription = subscription_text.and_then(|text| {
        Subscription::parse(&text)
            .map_err(|e| problems.add(at("subscription"), format!("{e} in {}", quoted(&text))))
            .ok()
    });
    // A mapping given is used as written (Segment fills no defaults into it); a mapping left
    // out is the action's default mapping.
    let user_mapping = match entry.get("mapping") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => {
            problems.add(at("mapping"), "must be an object of fields");
            None
        }
    };
    let enabled = flag(entry.get("enabled"), true, &at("enabled"), problems);
    // Batching may be set on the entry or, as in Segment, as a field of the mapping.
    let from_mapping = |key: &str| user_mapping.as_ref().and_then(|m| m.get(key));
    let batching = entry
        .get("enable_batching")
        .or_else(|| from_mapping("enable_batching"));
    let batching = flag(batching, false, &at("enable_batching"), problems);
    let batch_size = match entry
        .get("batch_size")
        .or_else(|| from_mapping("batch_size"))
    {
        None | Some(Value::Null) => DEFAULT_BATCH_SIZE,
        Some(v) => match v.as_u64().map(usize::try_from) {
            Some(Ok(n @ 1..=MAX_BATCH_SIZE)) => n,
            _ => {
                problems.add(
                    at("batch_size"),
                    format!(
                        "must be a whole number from 1 to {MAX_BATCH_SIZE}, found {}",
                        shown(v)
                    ),
                );
                DEFAULT_BATCH_SIZE
            }
        },
    };
    let mapping = action.and_then(|action| {
        let mut full = user_mapping
            .clone()
            .unwrap_or_else(|| action.default_mapping());
        full.remove("enable_batching");
        full.remove("batch_size");
        Mapping::parse(Value::Object(full))
            .map_err(|errors| {
                for e in errors {
                    problems.add(format!("{}{}", at("mapping"), e.path()), e.message());
                }
            })
            .ok()
    });
    if problems.0.len() > before {
        return None;
    }
    let action = action?;
    Some(MappingConfig {
        name: name.unwrap_or_else(|| action.title().to_string()),
        subscription: subscription?,
        action,
        mapping: mapping?,
        enabled,
        batch_size: (batching && action.supports_batching()).then_some(batch_size),
    })
}

/// A string as a problem quotes it: as JSON (`JSON.stringify`), by the core's own writer
/// (Rust's `{:?}` would link `str`'s `Debug` and its tables of printable characters into the
/// npm package).
fn quoted(s: &str) -> String {
    let mut out = String::new();
    crate::json::write::write_str(s, &mut out);
    out
}

/// A value as a problem quotes it: scalars as JSON (integers as written, other numbers as
/// JavaScript prints them), arrays and objects by their type (they may be large). Written by
/// the core's own writers: serde_json's (and its float formatting) stay out of the npm package.
fn shown(v: &Value) -> String {
    match v {
        Value::Array(_) | Value::Object(_) => crate::property::real_type_of(Some(v)).to_string(),
        Value::Null => "null".to_string(),
        Value::Bool(b) => (if *b { "true" } else { "false" }).to_string(),
        Value::String(s) => quoted(s),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => itoa::Buffer::new().format(u).to_string(),
            (None, Some(i)) => itoa::Buffer::new().format(i).to_string(),
            _ => crate::js::number_to_string(crate::js::json_number_value(n)),
        },
    }
}

fn flag(value: Option<&Value>, default: bool, path: &str, problems: &mut Problems) -> bool {
    match value {
        None | Some(Value::Null) => default,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            problems.add(path, "must be true or false");
            default
        }
    }
}

/// One problem with a destination configuration; `path` locates it in the config document
/// (`/mappings/2/subscription`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    /// JSON-pointer location in the configuration.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl ConfigError {
    /// Appends the error as JSON, as its `Serialize` writes it (without serde's serialiser,
    /// which the npm package does not carry).
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"path\":");
        crate::json::write::write_str(&self.path, out);
        out.push_str(",\"message\":");
        crate::json::write::write_str(&self.message, out);
        out.push('}');
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a configuration (never just the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid configuration: ")?;
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn largest_batch_size_counts_enabled_batching_mappings() {
        let config = |mappings: Value| {
            Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": mappings})).unwrap()
        };
        assert_eq!(
            config(json!([{"action": "identifyUser"}])).largest_batch_size(),
            1
        );
        let mixed = config(json!([
            {"action": "trackEvent", "enable_batching": true, "batch_size": 40},
            {"action": "trackEvent", "enable_batching": true, "batch_size": 900, "enabled": false},
            {"action": "trackEvent", "enable_batching": true, "batch_size": 70},
        ]));
        assert_eq!(mixed.largest_batch_size(), 70);
    }

    #[test]
    fn presets_apply_without_mappings() {
        let c = Config::from_json(&json!({"settings": {"apikey": "k"}})).unwrap();
        assert_eq!(c.mappings.len(), 2);
        assert_eq!(c.mappings[1].name, "Track Event");
        assert_eq!(c.settings.endpoint, DEFAULT_ENDPOINT);
    }

    #[test]
    fn a_mapping_left_out_is_the_default_one() {
        let c = Config::from_json(&json!({"settings": {"apikey": "k", "endpoint": "http://127.0.0.1:9/"},
            "mappings": [{"action": "trackEvent", "enable_batching": true, "batch_size": 2},
                         {"action": "trackEvent", "mapping": {"name": "Fixed", "enable_batching": true}}]}))
        .unwrap();
        assert_eq!(
            c.mappings[0].mapping.document()["ext_id"],
            json!({"@path": "$.userId"})
        );
        assert_eq!(c.mappings[0].batch_size, Some(2));
        assert_eq!(c.mappings[1].mapping.document(), &json!({"name": "Fixed"}));
        assert_eq!(c.mappings[1].batch_size, Some(DEFAULT_BATCH_SIZE));
        assert_eq!(c.settings.endpoint, "http://127.0.0.1:9");
    }

    #[test]
    fn the_memo_builds_once_per_input() {
        let memo = ConfigMemo::new();
        let builds = std::cell::Cell::new(0);
        let build = |text: &String| {
            builds.set(builds.get() + 1);
            Config::from_json(&serde_json::from_str(text).unwrap())
        };
        let a = r#"{"settings": {"apikey": "a"}}"#.to_string();
        let first = memo.get_or_build(a.clone(), build).unwrap();
        let again = memo.get_or_build(a, build).unwrap();
        assert!(Rc::ptr_eq(&first, &again));
        assert_eq!(
            memo.get_or_build(r#"{"settings": {}}"#.to_string(), build)
                .map(|_| ())
                .unwrap_err()
                .0[0]
                .path,
            "/settings/apikey"
        );
        assert_eq!(
            memo.get_or_build(r#"{"settings": {"apikey": "b"}}"#.to_string(), build)
                .unwrap()
                .settings
                .apikey,
            "b"
        );
        assert_eq!(builds.get(), 3);
    }

    #[test]
    fn reads_a_deployment_environment() {
        let c = Config::from_environment(Some("k"), Some("http://127.0.0.1:8788"), None).unwrap();
        assert_eq!(
            (c.mappings.len(), c.settings.endpoint.as_str()),
            (2, "http://127.0.0.1:8788")
        );
        let m = r#"[{"action": "trackEvent", "subscription": "type = \"page\""}]"#;
        assert_eq!(
            Config::from_environment(Some("k"), None, Some(m))
                .unwrap()
                .mappings
                .len(),
            1
        );
        let wrapped = format!(r#"{{"mappings": {m}}}"#);
        assert_eq!(
            Config::from_environment(Some("k"), None, Some(&wrapped))
                .unwrap()
                .mappings
                .len(),
            1
        );
        let bad = Config::from_environment(None, None, Some("[{")).unwrap_err();
        let paths: Vec<&str> = bad.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/settings/apikey", "/mappings"],
            "every problem, not just the first"
        );
        let missing = Config::from_environment(None, None, None).unwrap_err();
        assert_eq!(missing.0[0].path, "/settings/apikey");
    }

    #[test]
    fn batch_sizes_are_bounded_on_every_target() {
        let size = |n: Value| {
            Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [
                {"action": "trackEvent", "enable_batching": true, "batch_size": n}]}))
            .map(|c| c.mappings[0].batch_size)
            .map_err(|e| e.0[0].to_string())
        };
        assert_eq!(size(json!(MAX_BATCH_SIZE)), Ok(Some(MAX_BATCH_SIZE)));
        // 2³² is 0 as a wasm32 `usize`: it once made planning divide by zero there.
        for absurd in [
            json!(4_294_967_296u64),
            json!(MAX_BATCH_SIZE + 1),
            json!(u64::MAX),
        ] {
            assert_eq!(
                size(absurd.clone()),
                Err(format!(
                    "/mappings/0/batch_size: must be a whole number from 1 to 10000, found {absurd}"
                ))
            );
        }
        for wrong in [json!(0), json!(-1), json!(2.5), json!("5"), json!([1])] {
            assert!(size(wrong).is_err());
        }
        assert_eq!(
            size(json!({"deep": [1]})),
            Err(
                "/mappings/0/batch_size: must be a whole number from 1 to 10000, found object"
                    .into()
            )
        );
    }

    #[test]
    fn lists_every_problem_without_the_key() {
        let mut mappings: Vec<Value> = vec![
            json!({"action": "sendEmail"}),
            json!({"action": "trackEvent", "subscription": "type = "}),
            json!({"action": "trackEvent", "mapping": {"name": {"@case": {"value": 1}}}}),
        ];
        mappings.extend(std::iter::repeat_n(json!({"action": "trackEvent"}), 48));
        let errors = Config::from_json(&json!({"settings": {"apikey": ""}, "mappings": mappings}))
            .unwrap_err()
            .0;
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/settings/apikey",
                "/mappings",
                "/mappings/0/action",
                "/mappings/1/subscription",
                "/mappings/2/mapping/name/@case/value"
            ]
        );
        let secret = Config::from_json(&json!({"settings": {"apikey": "s3cret", "endpoint": 5}}))
            .unwrap_err();
        assert!(!secret.to_string().contains("s3cret"));
    }

    #[test]
    fn problems_written_by_the_own_writer_as_serde_writes_them() {
        let errors = Config::from_json(
            &json!({"settings": {"apikey": 1, "endpoint": "ftp:\"x\"\n"},
            "mappings": [{"action": "trackEvent", "batch_size": 2.5, "enable_batching": "yes"}]}),
        )
        .unwrap_err()
        .0;
        assert!(errors.len() >= 3);
        for error in &errors {
            let mut own = String::new();
            error.write_json(&mut own);
            assert_eq!(own, serde_json::to_string(error).unwrap());
        }
    }

    #[test]
    fn problems_quote_scalars_as_json() {
        let found = |v: Value| {
            let errors = Config::from_json(&json!({"settings": {"apikey": "k", "endpoint": v}}))
                .unwrap_err()
                .0;
            errors[0]
                .message
                .rsplit("found ")
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(found(json!("ftp://\"x\"")), r#""ftp://\"x\"""#);
        assert_eq!(found(json!(true)), "true");
        assert_eq!(found(json!(u64::MAX)), "18446744073709551615");
        assert_eq!(found(json!(i64::MIN)), "-9223372036854775808");
        assert_eq!(found(json!(2.5)), "2.5");
        assert_eq!(found(json!(1e21)), "1e+21");
        assert_eq!(found(json!([1])), "array");
        let problems = |mapping: Value| {
            Config::from_json(&json!({"settings": {"apikey": "k"}, "mappings": [mapping]}))
                .unwrap_err()
                .to_string()
        };
        assert!(problems(json!({"action": "send\"\u{1}"}))
            .contains(r#"unknown action "send\"\u0001"; expected"#));
        assert!(
            problems(json!({"action": "trackEvent", "subscription": "type = \"a\n"}))
                .contains(r#" in "type = \"a\n""#)
        );
    }
}
