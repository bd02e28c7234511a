//! What a handler gives back: the core's answer and the fields of the request's log line.

use crate::ingest::answer::Answer;
use serde_json::{json, Value};

/// A handler's outcome: the answer, and what the log line should say about it.
pub(super) struct Reply {
    pub(super) answer: Answer,
    pub(super) log: Value,
    pub(super) retry_after_secs: Option<u64>,
}

impl From<Answer> for Reply {
    fn from(answer: Answer) -> Reply {
        Reply {
            answer,
            log: json!({}),
            retry_after_secs: None,
        }
    }
}

impl Reply {
    pub(super) fn logging(mut self, log: Value) -> Reply {
        self.log = log;
        self
    }
}
