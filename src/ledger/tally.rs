//! What the Delivery Overview counts: each event and each (event, mapping) pair at the step it
//! reached, per minute, with a reason for what was discarded and up to
//! [`SAMPLES_PER_REASON`] sample events per reason, keys taken out.
//!
//! - `received`: events in authenticated requests whose body was read;
//! - `failed_on_ingest`: events refused at the front door (over 32 KB, not an object…);
//! - `filtered_at_destination`: no enabled mapping matched, or `integrations` excluded it;
//! - `failed_delivery`: invalid for a mapping, refused by Nudge, or dead-lettered;
//! - `successful_delivery`: accepted by Nudge;
//! - `pending_retry`: waiting in the queue for another attempt (read from the deliveries, not
//!   counted here);
//! - `duplicates_dropped`: a copy of a `messageId` Nudge already took.
//!
//! The first three are about events (no mapping); the others about (event, mapping) pairs.

use crate::event::Event;
use crate::fields::FieldErrorCode;
use crate::json::read;
use crate::plan::{EventResult, Status, REDACTED};
use crate::text::clip_chars;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

/// A step of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Events in authenticated requests whose body was read.
    Received,
    /// Events refused at the front door.
    FailedOnIngest,
    /// Events no enabled mapping took.
    FilteredAtDestination,
    /// Payloads invalid for their mapping, refused by Nudge, or dead-lettered.
    FailedDelivery,
    /// Payloads Nudge accepted.
    SuccessfulDelivery,
    /// Payloads waiting for another attempt.
    PendingRetry,
    /// Copies of payloads Nudge already took.
    DuplicatesDropped,
}

impl Step {
    /// Every step, in the pipeline's order.
    pub const ALL: [Step; 7] = [
        Step::Received,
        Step::FailedOnIngest,
        Step::FilteredAtDestination,
        Step::FailedDelivery,
        Step::SuccessfulDelivery,
        Step::PendingRetry,
        Step::DuplicatesDropped,
    ];

    /// Its name in the overview.
    pub fn name(self) -> &'static str {
        match self {
            Step::Received => "received",
            Step::FailedOnIngest => "failed_on_ingest",
            Step::FilteredAtDestination => "filtered_at_destination",
            Step::FailedDelivery => "failed_delivery",
            Step::SuccessfulDelivery => "successful_delivery",
            Step::PendingRetry => "pending_retry",
            Step::DuplicatesDropped => "duplicates_dropped",
        }
    }

    /// Whether the overview lists its reasons as discards.
    pub fn discards(self) -> bool {
        matches!(
            self,
            Step::FailedOnIngest | Step::FilteredAtDestination | Step::FailedDelivery
        )
    }
}

/// Sample events kept per (step, reason, mapping).
pub const SAMPLES_PER_REASON: usize = 10;
/// Longest sample kept, in bytes (a longer one is cut, and kept as text).
pub const SAMPLE_BYTES: usize = 4_096;
/// Longest label (event name, type, reason) counted, in characters.
const LABEL_CHARS: usize = 200;

/// How many events reached a step in one minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// The minute, in minutes since the epoch.
    pub minute: i64,
    /// The mapping's name (`""` for the steps about events).
    pub mapping: String,
    /// The step.
    pub step: Step,
    /// The event's `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The event's name (`event`, or `name` for page and screen).
    pub event: String,
    /// Why it was discarded (`""` for the other steps).
    pub reason: String,
    /// How many.
    pub n: u64,
}

/// One sample of a discard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// When it was seen, in milliseconds since the epoch.
    pub at_ms: i64,
    /// The mapping's name (`""` for the steps about events).
    pub mapping: String,
    /// The step.
    pub step: Step,
    /// Why.
    pub reason: String,
    /// The event (or payload), as JSON text, keys taken out; cut to [`SAMPLE_BYTES`].
    pub text: String,
}

/// An event's type and name, as the overview breaks events down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Label {
    /// `type`.
    pub kind: String,
    /// `event`, or `name`.
    pub name: String,
}

impl Label {
    /// The label of `event`.
    pub fn of(event: &Event<'_>) -> Label {
        let text = |key: &str| {
            event
                .get(key)
                .and_then(read::string)
                .map(|s| clip_chars(&s, LABEL_CHARS))
                .unwrap_or_default()
        };
        let kind = text("type");
        let name = match text("event") {
            name if !name.is_empty() => name,
            _ => text("name"),
        };
        Label { kind, name }
    }
}

/// The counts and samples of one request or consumer batch, merged as they come.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Counts, one per (minute, mapping, step, type, event, reason).
    pub counts: Vec<Count>,
    /// Samples, at most [`SAMPLES_PER_REASON`] per (step, reason, mapping).
    pub samples: Vec<Sample>,
    now_ms: i64,
    /// Keys to take out of samples (the write keys, the API key).
    secrets: Vec<String>,
    /// Where each count is, by a hash of what tells counts apart: a request of 10,000 events
    /// with as many names stays linear.
    index: HashMap<u64, Vec<usize>>,
}

impl Tally {
    /// An empty tally at `now_ms`, taking `secrets` out of its samples.
    pub fn new(now_ms: i64, secrets: Vec<String>) -> Tally {
        Tally {
            now_ms,
            secrets: secrets.into_iter().filter(|s| !s.is_empty()).collect(),
            ..Tally::default()
        }
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.samples.is_empty()
    }

    /// Counts `n` at `step`.
    pub fn add(&mut self, step: Step, mapping: &str, label: &Label, reason: &str, n: u64) {
        let minute = self.now_ms.div_euclid(60_000);
        let reason = clip_chars(reason, LABEL_CHARS);
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one((
            step,
            mapping,
            label.kind.as_str(),
            label.name.as_str(),
            reason.as_str(),
        ));
        let same = |c: &Count| {
            c.step == step
                && c.mapping == mapping
                && c.kind == label.kind
                && c.event == label.name
                && c.reason == reason
        };
        let counts = &mut self.counts;
        let slots = self.index.entry(hash).or_default();
        match slots.iter().copied().find(|&i| same(&counts[i])) {
            Some(i) => counts[i].n = counts[i].n.saturating_add(n),
            None => {
                slots.push(counts.len());
                counts.push(Count {
                    minute,
                    mapping: mapping.to_string(),
                    step,
                    kind: label.kind.clone(),
                    event: label.name.clone(),
                    reason,
                    n,
                });
            }
        }
    }

    /// Keeps `text` as a sample of a discard, unless the tally has enough of that reason.
    pub fn sample(&mut self, step: Step, mapping: &str, reason: &str, text: &str) {
        let reason = clip_chars(reason, LABEL_CHARS);
        let kept = self
            .samples
            .iter()
            .filter(|s| s.step == step && s.mapping == mapping && s.reason == reason)
            .count();
        if kept >= SAMPLES_PER_REASON {
            return;
        }
        let mut text = text.to_string();
        for secret in &self.secrets {
            text = text.replace(secret.as_str(), REDACTED);
        }
        self.samples.push(Sample {
            at_ms: self.now_ms,
            mapping: mapping.to_string(),
            step,
            reason,
            text: crate::text::clip_bytes(&text, SAMPLE_BYTES).to_string(),
        });
    }

    /// Events of a request refused at the front door (`events`: how many it carried, when its
    /// body could be read that far): received, and failed on ingest with `reason`.
    pub fn refused(&mut self, events: u64, reason: &str) {
        let none = Label::default();
        self.add(Step::Received, "", &none, "", events);
        self.add(Step::FailedOnIngest, "", &none, reason, events);
    }

    /// A request's events and their results (planned, and settled when delivered within the
    /// request): each event received, and each result at the step it reached.
    pub fn results(&mut self, events: &[Event<'_>], results: &[EventResult]) {
        let labels: Vec<Label> = events.iter().map(Label::of).collect();
        let none = Label::default();
        for label in &labels {
            self.add(Step::Received, "", label, "", 1);
        }
        for r in results {
            let label = labels.get(r.index).unwrap_or(&none);
            let mapping = r.mapping.as_deref().unwrap_or("");
            let Some((step, reason)) = step_of(r) else {
                continue;
            };
            self.add(step, mapping, label, &reason, 1);
            if step.discards() {
                if let Some(event) = events.get(r.index) {
                    let text = event
                        .to_resolved()
                        .stringify()
                        .unwrap_or_else(|| "null".into());
                    self.sample(step, mapping, &reason, &text);
                }
            }
        }
    }
}

/// The step a result reached and why, when it is final (`queued` is counted when the consumer
/// delivers it).
fn step_of(r: &EventResult) -> Option<(Step, String)> {
    let first = r.errors.first();
    Some(match r.status {
        Status::Sent => (Step::SuccessfulDelivery, String::new()),
        Status::Queued => return None,
        Status::Duplicate => (Step::DuplicatesDropped, String::new()),
        Status::Unmatched => (
            Step::FilteredAtDestination,
            "no enabled mapping matched".into(),
        ),
        Status::Skipped => (
            Step::FilteredAtDestination,
            "excluded by the event's integrations".into(),
        ),
        Status::Invalid if r.mapping.is_none() => (
            Step::FailedOnIngest,
            first.map_or_else(String::new, |e| e.message.clone()),
        ),
        Status::Invalid => (
            Step::FailedDelivery,
            first.map_or_else(
                || "invalid".to_string(),
                |e| format!("invalid: {} {}", e.field, e.code.as_str()),
            ),
        ),
        Status::Failed => (
            Step::FailedDelivery,
            match first.map(|e| e.code) {
                Some(FieldErrorCode::Rejected) => "refused by Nudge".into(),
                Some(FieldErrorCode::Unavailable) => {
                    "Nudge or the queue unavailable; the sender was asked to retry".into()
                }
                _ => first.map_or_else(|| "failed".to_string(), |e| e.message.clone()),
            },
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::event;
    use crate::plan::Planner;

    #[test]
    fn every_result_is_counted_at_its_step_with_a_reason() {
        let text = r#"[
            {"type": "track", "userId": "u", "event": "Order Completed", "timestamp": "2025-05-14T07:30:00Z"},
            {"type": "identify", "traits": {"email": "wk-secret@x.io"}},
            {"type": "page", "name": "Home"},
            7
        ]"#;
        let events = event::events_in(text).unwrap();
        let plan = Planner::new(Config::with_presets("k")).plan_events(&events);
        let mut tally = Tally::new(120_000, vec!["wk-secret".into()]);
        tally.results(&events, &plan.results);
        let n = |step: Step| -> u64 {
            tally
                .counts
                .iter()
                .filter(|c| c.step == step)
                .map(|c| c.n)
                .sum()
        };
        assert_eq!(n(Step::Received), 4);
        assert_eq!(n(Step::SuccessfulDelivery), 1);
        assert_eq!(n(Step::FailedDelivery), 1);
        assert_eq!(n(Step::FilteredAtDestination), 1);
        assert_eq!(n(Step::FailedOnIngest), 1);
        let invalid = tally
            .counts
            .iter()
            .find(|c| c.step == Step::FailedDelivery)
            .unwrap();
        assert_eq!(
            (
                invalid.mapping.as_str(),
                invalid.kind.as_str(),
                invalid.reason.as_str()
            ),
            ("Identify User", "identify", "invalid: ext_id required")
        );
        assert_eq!(invalid.minute, 2);
        let received = tally
            .counts
            .iter()
            .find(|c| c.step == Step::Received)
            .unwrap();
        assert_eq!(received.event, "Order Completed");
        assert_eq!(tally.samples.len(), 3, "one sample per discard");
        assert!(tally.samples.iter().all(|s| !s.text.contains("wk-secret")));
        assert!(tally
            .samples
            .iter()
            .any(|s| s.text.contains("[redacted]@x.io")));
    }

    #[test]
    fn counts_merge_and_samples_are_bounded() {
        let mut tally = Tally::new(0, Vec::new());
        let label = Label {
            kind: "track".into(),
            name: "E".into(),
        };
        for i in 0..25 {
            tally.add(Step::FailedDelivery, "T", &label, "refused by Nudge", 1);
            tally.sample(
                Step::FailedDelivery,
                "T",
                "refused by Nudge",
                &format!("{{\"i\":{i}}}"),
            );
        }
        assert_eq!(tally.counts.len(), 1);
        assert_eq!(tally.counts[0].n, 25);
        assert_eq!(tally.samples.len(), SAMPLES_PER_REASON);
        tally.sample(
            Step::FailedDelivery,
            "T",
            "other",
            &"é".repeat(SAMPLE_BYTES),
        );
        assert!(tally.samples.last().unwrap().text.len() <= SAMPLE_BYTES);
        tally.refused(3, "event_too_large");
        assert_eq!(
            tally
                .counts
                .iter()
                .filter(|c| c.step == Step::FailedOnIngest)
                .map(|c| c.n)
                .sum::<u64>(),
            3
        );
    }
}
