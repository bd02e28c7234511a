//! What the Worker's environment configures, read for each request and each queue batch; the
//! parts that cost something to build (the planner with its compiled mappings, key digests)
//! are built once per isolate and kept while the environment stays the same.

use crate::config::{Config, ConfigMemo};
use crate::config::{ConfigError, ConfigErrors};
use crate::delivery::settings::DeliveryMode;
use crate::delivery::settings::DeliverySettings;
use crate::ingest::auth::WriteKeys;
use crate::plan::Planner;
use std::convert::Infallible;
use std::rc::Rc;
use worker::Env;

/// The deliveries queue's producer binding.
pub(super) const DELIVERIES: &str = "DELIVERIES";
/// The KV namespace keeping dead letters.
pub(super) const DEAD_LETTER_STORE: &str = "DEAD_LETTER_STORE";

/// The deployment a request is served by.
pub struct Deployment {
    planner: Rc<Result<Planner, ConfigErrors>>,
    /// Accepted write keys (secret `WRITE_KEYS`).
    pub write_keys: Rc<WriteKeys>,
    /// `ALLOWED_ORIGINS`.
    pub allowed_origins: String,
    /// How events are delivered: the mode, retries, budget, back-off (bounded by the core).
    pub delivery: DeliverySettings,
    /// `DELIVERY`, checked against the bindings it needs.
    mode: Result<DeliveryMode, ConfigError>,
    /// The admin routes' bearer key (secret `ADMIN_KEY`), as a digest; none set: nobody.
    pub admin_key: Rc<WriteKeys>,
    /// Every key the deployment holds (write keys, the API key, the admin key), to take out
    /// of the overview's samples.
    pub secrets: Rc<Vec<String>>,
}

/// What a deployment's configuration is built from: `NUDGE_API_KEY`, `NUDGE_ENDPOINT`,
/// `MAPPINGS`.
type EnvironmentText = (Option<String>, Option<String>, Option<String>);

thread_local! {
    /// An isolate serves many requests with the same environment: its configuration is checked
    /// and compiled into a planner once, not per request.
    static LAST_PLANNER: ConfigMemo<EnvironmentText, Result<Planner, ConfigErrors>> =
        const { ConfigMemo::new() };
    /// The write keys' digests, likewise.
    static LAST_KEYS: ConfigMemo<String, WriteKeys> = const { ConfigMemo::new() };
    /// The admin key's digest, likewise.
    static LAST_ADMIN_KEY: ConfigMemo<String, WriteKeys> = const { ConfigMemo::new() };
    /// The keys to take out of samples, likewise.
    static LAST_SECRETS: ConfigMemo<[String; 3], Vec<String>> = const { ConfigMemo::new() };
}

fn built<K: PartialEq, T>(
    memo: &'static std::thread::LocalKey<ConfigMemo<K, T>>,
    key: K,
    build: impl FnOnce(&K) -> T,
) -> Rc<T> {
    let Ok(value) = memo.with(|memo| memo.get_or_build(key, |k| Ok::<_, Infallible>(build(k))));
    value
}

fn text(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
}

impl Deployment {
    /// Reads the environment.
    pub fn from_env(env: &Env) -> Deployment {
        let planner = built(
            &LAST_PLANNER,
            (
                text(env, "NUDGE_API_KEY"),
                text(env, "NUDGE_ENDPOINT"),
                text(env, "MAPPINGS"),
            ),
            |(apikey, endpoint, mappings)| {
                Config::from_environment(
                    apikey.as_deref(),
                    endpoint.as_deref(),
                    mappings.as_deref(),
                )
                .map(|config| Planner::new(config).with_clock(js_sys::Date::now))
            },
        );
        let write_keys = built(
            &LAST_KEYS,
            text(env, "WRITE_KEYS").unwrap_or_default(),
            |k| WriteKeys::parse(k),
        );
        let admin_key = built(
            &LAST_ADMIN_KEY,
            text(env, "ADMIN_KEY").unwrap_or_default(),
            |k| WriteKeys::one(k),
        );
        let delivery = DeliverySettings::from_vars(|name| text(env, name));
        let secrets = built(
            &LAST_SECRETS,
            ["WRITE_KEYS", "NUDGE_API_KEY", "ADMIN_KEY"]
                .map(|name| text(env, name).unwrap_or_default()),
            |[write_keys, api_key, admin_key]| {
                write_keys
                    .split(',')
                    .chain([api_key.as_str(), admin_key.as_str()])
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_string)
                    .collect()
            },
        );
        Deployment {
            planner,
            write_keys,
            allowed_origins: text(env, "ALLOWED_ORIGINS").unwrap_or_default(),
            mode: delivery_mode(env, &delivery),
            delivery,
            admin_key,
            secrets,
        }
    }

    /// The planner and the delivery mode, or every problem that keeps the deployment from
    /// serving requests (a bad configuration, no write keys, a bad `DELIVERY`).
    pub fn planner(&self) -> Result<(&Planner, DeliveryMode), Vec<ConfigError>> {
        let mut problems = match &*self.planner {
            Ok(_) => Vec::new(),
            Err(errors) => errors.0.clone(),
        };
        problems.extend(self.mode.as_ref().err().cloned());
        if self.write_keys.is_empty() {
            problems.push(ConfigError {
                path: "WRITE_KEYS".into(),
                message: "no write keys are configured (secret WRITE_KEYS)".into(),
            });
        }
        match (&*self.planner, &self.mode) {
            (Ok(planner), Ok(mode)) if problems.is_empty() => Ok((planner, *mode)),
            _ => Err(problems),
        }
    }

    /// The configuration alone: what the queue consumer needs to reach Nudge (it takes no
    /// requests, so write keys and `DELIVERY` do not matter to it).
    pub fn nudge_config(&self) -> Result<&Config, &ConfigErrors> {
        self.planner.as_ref().as_ref().map(Planner::config)
    }
}

/// `DELIVERY` (`queue` when unset), and in queue mode the binding it needs.
fn delivery_mode(env: &Env, delivery: &DeliverySettings) -> Result<DeliveryMode, ConfigError> {
    let problem = |message: String| ConfigError {
        path: "DELIVERY".into(),
        message,
    };
    let mode = delivery.mode.clone().map_err(problem)?;
    if mode == DeliveryMode::Queue && env.queue(DELIVERIES).is_err() {
        return Err(problem(format!(
            "DELIVERY is \"queue\" but the Worker has no {DELIVERIES} queue binding (wrangler.toml)"
        )));
    }
    Ok(mode)
}
