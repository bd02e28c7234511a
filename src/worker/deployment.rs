//! What the Worker's environment configures, built once per isolate and kept while the
//! environment stays the same.

use crate::config::{Config, ConfigMemo};
use crate::delivery::RetryPolicy;
use crate::error::{ConfigError, ConfigErrors};
use crate::ingest::auth::WriteKeys;
use std::convert::Infallible;
use std::rc::Rc;
use worker::Env;

/// The deployment a request is served by.
pub struct Deployment {
    config: Rc<Result<Config, ConfigErrors>>,
    /// Accepted write keys (secret `WRITE_KEYS`).
    pub write_keys: Rc<WriteKeys>,
    /// `ALLOWED_ORIGINS`.
    pub allowed_origins: String,
    /// Retry tuning, bounded.
    pub policy: RetryPolicy,
}

/// What a deployment's configuration is built from: `NUDGE_API_KEY`, `NUDGE_ENDPOINT`,
/// `MAPPINGS`.
type EnvironmentText = (Option<String>, Option<String>, Option<String>);

thread_local! {
    /// An isolate serves many requests with the same environment: its configuration is built
    /// once, not per request.
    static LAST_CONFIG: ConfigMemo<EnvironmentText, Result<Config, ConfigErrors>> =
        const { ConfigMemo::new() };
    /// The write keys' digests, likewise.
    static LAST_KEYS: ConfigMemo<String, WriteKeys> = const { ConfigMemo::new() };
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
        let config = built(
            &LAST_CONFIG,
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
            },
        );
        let write_keys = built(
            &LAST_KEYS,
            text(env, "WRITE_KEYS").unwrap_or_default(),
            |k| WriteKeys::parse(k),
        );
        Deployment {
            config,
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
        }
    }

    /// The configuration, or every problem that keeps the deployment from serving (a bad
    /// configuration, no write keys).
    pub fn config(&self) -> Result<&Config, Vec<ConfigError>> {
        let mut problems = match &*self.config {
            Ok(_) => Vec::new(),
            Err(errors) => errors.0.clone(),
        };
        if self.write_keys.is_empty() {
            problems.push(ConfigError {
                path: "WRITE_KEYS".into(),
                message: "no write keys are configured (secret WRITE_KEYS)".into(),
            });
        }
        match &*self.config {
            Ok(config) if problems.is_empty() => Ok(config),
            _ => Err(problems),
        }
    }
}
