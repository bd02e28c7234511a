//! Subscriptions: which events a mapping receives, written in Segment's FQL subset
//! (`type = "track" and properties.total > 10`).
//!
//! Three stages: [`lexer`] turns text into tokens with columns, [`parser`] builds the
//! [`Condition`] tree (malformed input is an error naming the column), and [`eval`] tests
//! an event against it.

pub mod ast;
mod error;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod token;

pub use ast::{Condition, GroupOperator, Literal, Operator, Target};
pub use error::{SubscriptionError, SubscriptionErrorCode};
pub use parser::{parse, MAX_DEPTH};

use crate::event::Event;
use crate::property::Root;
use serde_json::Value;

/// A parsed subscription, ready to test events.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    source: String,
    condition: Condition,
}

impl Subscription {
    /// Parses FQL text.
    pub fn parse(source: &str) -> Result<Subscription, SubscriptionError> {
        Ok(Subscription {
            source: source.to_string(),
            condition: parse(source)?,
        })
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed tree (serialises to Segment's AST shape).
    pub fn condition(&self) -> &Condition {
        &self.condition
    }

    /// Whether `event` matches.
    pub fn matches(&self, event: &Value) -> bool {
        eval::matches(&self.condition, Root::Json(event))
    }

    /// Whether an event read in place matches.
    pub fn matches_event(&self, event: &Event<'_>) -> bool {
        eval::matches(&self.condition, Root::Event(event))
    }
}
