//! Errors are values: each says what went wrong and where.

use serde::Serialize;
use std::fmt;

/// A problem in a mapping, found when checking it or when running it on an event.
///
/// `path` is the JSON path of the offending directive, as Segment writes it
/// (`/f3/@case/value`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingError {
    /// JSON-pointer-like location inside the mapping, e.g. `/name/@replace/pattern`.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

impl MappingError {
    /// An error at `path` (given as the list of keys from the mapping's root).
    pub fn at<S: AsRef<str>>(path: &[S], message: impl Into<String>) -> Self {
        let joined: Vec<&str> = path.iter().map(AsRef::as_ref).collect();
        MappingError {
            path: format!("/{}", joined.join("/")),
            message: message.into(),
        }
    }

    /// The top-level key of the mapping where it happened: the payload field it fails.
    pub fn field(&self) -> &str {
        self.path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
    }

    /// The same error seen from one level up: `key` goes in front of the path.
    pub fn within(mut self, key: &str) -> Self {
        self.path = if self.path == "/" {
            format!("/{key}")
        } else {
            format!("/{key}{}", self.path)
        };
        self
    }
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path, self.message)
    }
}

impl std::error::Error for MappingError {}

/// A subscription (FQL) that cannot be parsed; `position` is the 1-based character column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionError {
    /// 1-based column (in characters) where the problem starts.
    pub position: usize,
    /// What was expected or found there.
    pub message: String,
}

impl fmt::Display for SubscriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.position)
    }
}

impl std::error::Error for SubscriptionError {}

/// One problem with a destination configuration; `path` locates it in the config document
/// (`/mappings/2/subscription`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    /// JSON-pointer location in the configuration.
    pub path: String,
    /// What is wrong there.
    pub message: String,
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
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "invalid configuration: {}", lines.join("; "))
    }
}

impl std::error::Error for ConfigErrors {}
