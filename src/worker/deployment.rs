//! What the Worker's environment configures, read for each request and each queue batch; the
//! parts that cost something to build (the planner with its compiled mappings, key digests)
//! are built once per isolate and kept while the environment stays the same.

use super::queue::DELIVERIES;
use crate::budget::DEFAULT_SUBREQUESTS;
use crate::config::{Config, ConfigMemo};
use crate::delivery::RetryPolicy;
use crate::error::{ConfigError, ConfigErrors};
use crate::ingest::auth::WriteKeys;
use crate::plan::Planner;
use crate::queue::backoff::Schedule;
use crate::queue::DeliveryMode;
use std::convert::Infallible;
use std::rc::Rc;
use worker::Env;

/// The deployment a request is served by.
pub struct Deployment {
    planner: Rc<Result<Planner, ConfigErrors>>,
    /// Accepted write keys (secret `WRITE_KEYS`).
    pub write_keys: Rc<WriteKeys>,
    /// `ALLOWED_ORIGINS`.
    pub allowed_origins: String,
    /// Direct mode's retry tuning, bounded (its attempt timeout also bounds the consumer's).
    pub policy: RetryPolicy,
    /// `DELIVERY`, checked against the bindings it needs.
    delivery: Result<DeliveryMode, ConfigError>,
    /// Nudge requests one invocation may make (`SUBREQUEST_BUDGET`), in both modes.
    pub subrequest_budget: u32,
    /// Queue mode's back-off (`QUEUE_RETRY_BASE_DELAY_S`, `QUEUE_RETRY_MAX_DELAY_S`).
    pub schedule: Schedule,
    /// The admin routes' bearer key (secret `ADMIN_KEY`), as a digest; none set: nobody.
    pub admin_key: Rc<WriteKeys>,
    /// The dead-letter queue's name (`DEAD_LETTER_QUEUE`): the consumer stores its batches.
    pub dead_letter_queue: String,
}

/// The dead-letter queue's name in `wrangler.toml`.
const DEAD_LETTER_QUEUE: &str = "nudge-edge-dead-letters";

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

fn number(env: &Env, name: &str, default: u64) -> u64 {
    text(env, name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

impl Deployment {
    /// Reads the environment.
    pub fn from_env(env: &Env) -> Deployment {
        let defaults = RetryPolicy::default();
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
                .map(Planner::new)
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
        let backoff = Schedule::default();
        Deployment {
            planner,
            write_keys,
            allowed_origins: text(env, "ALLOWED_ORIGINS").unwrap_or_default(),
            // Bounded, so that no setting overflows a timer or outlasts a sender's patience.
            policy: RetryPolicy {
                max_attempts: number(env, "RETRY_MAX_ATTEMPTS", defaults.max_attempts.into())
                    .clamp(1, 10) as u32,
                base_delay_ms: number(env, "RETRY_BASE_DELAY_MS", defaults.base_delay_ms)
                    .min(60_000),
                max_delay_ms: number(env, "RETRY_MAX_DELAY_MS", defaults.max_delay_ms).min(60_000),
                budget_ms: number(env, "RETRY_BUDGET_MS", defaults.budget_ms).min(120_000),
                attempt_timeout_ms: number(env, "NUDGE_TIMEOUT_MS", defaults.attempt_timeout_ms)
                    .clamp(1, 120_000),
            },
            delivery: delivery_mode(env),
            subrequest_budget: number(env, "SUBREQUEST_BUDGET", DEFAULT_SUBREQUESTS.into())
                .clamp(1, 10_000) as u32,
            schedule: Schedule::new(
                number(env, "QUEUE_RETRY_BASE_DELAY_S", backoff.base_delay_s.into()),
                number(env, "QUEUE_RETRY_MAX_DELAY_S", backoff.max_delay_s.into()),
            ),
            admin_key,
            dead_letter_queue: text(env, "DEAD_LETTER_QUEUE")
                .unwrap_or_else(|| DEAD_LETTER_QUEUE.into()),
        }
    }

    /// The planner and the delivery mode, or every problem that keeps the deployment from
    /// serving requests (a bad configuration, no write keys, a bad `DELIVERY`).
    pub fn planner(&self) -> Result<(&Planner, DeliveryMode), Vec<ConfigError>> {
        let mut problems = match &*self.planner {
            Ok(_) => Vec::new(),
            Err(errors) => errors.0.clone(),
        };
        problems.extend(self.delivery.as_ref().err().cloned());
        if self.write_keys.is_empty() {
            problems.push(ConfigError {
                path: "WRITE_KEYS".into(),
                message: "no write keys are configured (secret WRITE_KEYS)".into(),
            });
        }
        match (&*self.planner, &self.delivery) {
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
fn delivery_mode(env: &Env) -> Result<DeliveryMode, ConfigError> {
    let problem = |message: String| ConfigError {
        path: "DELIVERY".into(),
        message,
    };
    let mode = DeliveryMode::from_setting(text(env, "DELIVERY").as_deref()).map_err(problem)?;
    if mode == DeliveryMode::Queue && env.queue(DELIVERIES).is_err() {
        return Err(problem(format!(
            "DELIVERY is \"queue\" but the Worker has no {DELIVERIES} queue binding (wrangler.toml)"
        )));
    }
    Ok(mode)
}
