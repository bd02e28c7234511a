//! The Delivery Overview: what `GET /admin/overview` asks ([`Query::from_url`]), each shard's
//! part of the answer ([`ShardOverview`]), and the answer ([`answer`]): the steps' counts, a
//! series per minute of successful and failed deliveries, a breakdown of received events by
//! type and name, and the discards with their reasons and samples.
//!
//! A mapping filter keeps the steps about events (received, failed on ingest, filtered) whole
//! (they come before any mapping) and counts the others for that mapping only.

use super::tally::{Count, Sample, Step, SAMPLES_PER_REASON};
use crate::datetime::to_iso_string;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The ranges the overview offers, and their length in minutes.
pub const RANGES: [(&str, i64); 5] = [
    ("10m", 10),
    ("1h", 60),
    ("24h", 1_440),
    ("7d", 10_080),
    ("14d", 20_160),
];

/// Most breakdown rows answered.
pub const BREAKDOWN_ROWS: usize = 100;
/// Most discard reasons answered.
pub const DISCARD_ROWS: usize = 50;

/// What an overview covers: minutes `from_minute` to `to_minute` (both included), one mapping
/// or all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// First minute, in minutes since the epoch.
    pub from_minute: i64,
    /// Last minute.
    pub to_minute: i64,
    /// One mapping's name, or every mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,
}

impl Query {
    /// Reads `range=10m|1h|24h|7d|14d` (default `1h`) or `from=ISO&to=ISO` (at most 14 days),
    /// and `mapping=NAME`, from a URL, at `now_ms`.
    pub fn from_url(url: &str, now_ms: i64) -> Result<Query, String> {
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        let (mut range, mut from, mut to, mut mapping) = (None, None, None, None);
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "range" => range = Some(value.into_owned()),
                "from" => from = Some(value.into_owned()),
                "to" => to = Some(value.into_owned()),
                "mapping" if !value.is_empty() => mapping = Some(value.into_owned()),
                _ => {}
            }
        }
        let now_minute = now_ms.div_euclid(60_000);
        let longest = RANGES[RANGES.len() - 1].1;
        let (from_minute, to_minute) = match (from, to) {
            (None, None) => {
                let range = range.as_deref().unwrap_or("1h");
                let minutes = RANGES
                    .iter()
                    .find(|(name, _)| *name == range)
                    .map(|(_, m)| *m)
                    .ok_or_else(|| {
                        "range must be one of 10m, 1h, 24h, 7d, 14d, or give from and to"
                            .to_string()
                    })?;
                (now_minute - minutes + 1, now_minute)
            }
            (from, to) => {
                let at = |v: Option<String>, default: i64| -> Result<i64, String> {
                    match v {
                        None => Ok(default),
                        Some(v) => crate::datetime::parse_text(&v)
                            .map(|ms| ms.div_euclid(60_000))
                            .ok_or_else(|| format!("{v:?} is not an ISO 8601 date")),
                    }
                };
                let to = at(to, now_minute)?;
                let from = at(from, to - 60 + 1)?;
                if from > to {
                    return Err("from must not be after to".into());
                }
                if to - from >= longest {
                    return Err("a custom range covers at most 14 days".into());
                }
                (from, to)
            }
        };
        Ok(Query {
            from_minute,
            to_minute,
            mapping,
        })
    }

    /// Minutes per point of the series: one up to a day, sixty beyond (at most 1,440 or 336
    /// points), which is also how finely a store needs to sum its counts.
    pub fn bucket_minutes(&self) -> i64 {
        if self.to_minute - self.from_minute < 1_440 {
            1
        } else {
            60
        }
    }

    /// Whether a count or sample of `mapping` at `minute` (or at the start of its bucket) is in
    /// the query.
    fn covers(&self, minute: i64, mapping: &str) -> bool {
        let from = self.from_minute - self.from_minute.rem_euclid(self.bucket_minutes());
        (from..=self.to_minute).contains(&minute)
            && (mapping.is_empty() || self.mapping.as_deref().is_none_or(|m| m == mapping))
    }
}

/// One shard's part of an overview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOverview {
    /// Count per step.
    pub steps: BTreeMap<Step, u64>,
    /// Per minute: successful and failed deliveries.
    pub series: BTreeMap<i64, (u64, u64)>,
    /// Received events per (type, event name).
    pub breakdown: Vec<(String, String, u64)>,
    /// Discards per (step, reason), with samples (newest first).
    pub discards: Vec<Discard>,
    /// Every mapping seen.
    pub mappings: Vec<String>,
}

/// Discards of one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discard {
    /// The step.
    pub step: Step,
    /// Why.
    pub reason: String,
    /// How many.
    pub count: u64,
    /// Samples, newest first: (time, text).
    pub samples: Vec<(i64, String)>,
}

impl ShardOverview {
    /// The part of `counts` and `samples` the query covers, with `pending` payloads waiting
    /// for a retry.
    pub fn from_rows(
        query: &Query,
        counts: &[Count],
        samples: &[Sample],
        pending: u64,
        _now_ms: i64,
    ) -> ShardOverview {
        let mut part = ShardOverview::default();
        for c in counts {
            if !c.mapping.is_empty() && !part.mappings.contains(&c.mapping) {
                part.mappings.push(c.mapping.clone());
            }
            if !query.covers(c.minute, &c.mapping) {
                continue;
            }
            part.add_count(c);
        }
        for s in samples {
            if query.covers(s.at_ms.div_euclid(60_000), &s.mapping) {
                part.add_sample(s.step, &s.reason, s.at_ms, &s.text);
            }
        }
        *part.steps.entry(Step::PendingRetry).or_default() += pending;
        part
    }

    /// Adds one count (already known to be in the query).
    pub fn add_count(&mut self, c: &Count) {
        *self.steps.entry(c.step).or_default() += c.n;
        let minute = self.series.entry(c.minute).or_default();
        match c.step {
            Step::SuccessfulDelivery => minute.0 += c.n,
            Step::FailedDelivery => minute.1 += c.n,
            _ => {}
        }
        if c.step == Step::Received {
            self.add_breakdown(&c.kind, &c.event, c.n);
        }
        if c.step.discards() {
            self.discard(c.step, &c.reason).count += c.n;
        }
    }

    /// Adds `n` received events of one type and name.
    fn add_breakdown(&mut self, kind: &str, event: &str, n: u64) {
        match self
            .breakdown
            .iter_mut()
            .find(|(k, e, _)| k == kind && e == event)
        {
            Some(row) => row.2 += n,
            None => self
                .breakdown
                .push((kind.to_string(), event.to_string(), n)),
        }
    }

    /// Adds one sample (already known to be in the query).
    pub fn add_sample(&mut self, step: Step, reason: &str, at_ms: i64, text: &str) {
        let d = self.discard(step, reason);
        d.samples.push((at_ms, text.to_string()));
        d.samples.sort_by_key(|s| std::cmp::Reverse(s.0));
        d.samples.truncate(SAMPLES_PER_REASON);
    }

    fn discard(&mut self, step: Step, reason: &str) -> &mut Discard {
        let i = match self
            .discards
            .iter()
            .position(|d| d.step == step && d.reason == reason)
        {
            Some(i) => i,
            None => {
                self.discards.push(Discard {
                    step,
                    reason: reason.to_string(),
                    count: 0,
                    samples: Vec::new(),
                });
                self.discards.len() - 1
            }
        };
        &mut self.discards[i]
    }

    /// Adds another shard's part.
    pub fn merge(&mut self, other: ShardOverview) {
        for (step, n) in other.steps {
            *self.steps.entry(step).or_default() += n;
        }
        for (minute, (ok, failed)) in other.series {
            let m = self.series.entry(minute).or_default();
            m.0 += ok;
            m.1 += failed;
        }
        for (kind, event, n) in other.breakdown {
            self.add_breakdown(&kind, &event, n);
        }
        for d in other.discards {
            self.discard(d.step, &d.reason).count += d.count;
            for (at, text) in d.samples {
                self.add_sample(d.step, &d.reason, at, &text);
            }
        }
        for m in other.mappings {
            if !self.mappings.contains(&m) {
                self.mappings.push(m);
            }
        }
    }
}

/// The overview's JSON: `{"from", "to", "mapping", "mappings", "steps", "series",
/// "breakdown", "discards"}`, with every step named (zero when nothing reached it) and a
/// series point for every minute of a range of up to a day (per hour beyond), so that a chart
/// needs no gaps filled.
pub fn answer(query: &Query, part: &ShardOverview) -> Value {
    let iso = |minute: i64| to_iso_string(minute.saturating_mul(60_000)).unwrap_or_default();
    let steps: serde_json::Map<String, Value> = Step::ALL
        .iter()
        .map(|s| {
            (
                s.name().to_string(),
                json!(part.steps.get(s).copied().unwrap_or(0)),
            )
        })
        .collect();
    let width = query.bucket_minutes();
    let mut points: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    let first = query.from_minute - query.from_minute.rem_euclid(width);
    let mut at = first;
    while at <= query.to_minute {
        points.insert(at, (0, 0));
        at += width;
    }
    for (minute, (ok, failed)) in &part.series {
        let p = points.entry(minute - minute.rem_euclid(width)).or_default();
        p.0 += ok;
        p.1 += failed;
    }
    let series: Vec<Value> = points
        .iter()
        .map(|(at, (ok, failed))| json!({"at": iso(*at), "successful_delivery": ok, "failed_delivery": failed}))
        .collect();
    let mut breakdown = part.breakdown.clone();
    breakdown.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    breakdown.truncate(BREAKDOWN_ROWS);
    let mut discards = part.discards.clone();
    discards.sort_by_key(|d| (d.step, std::cmp::Reverse(d.count)));
    discards.truncate(DISCARD_ROWS);
    let mut mappings = part.mappings.clone();
    mappings.sort();
    json!({
        "from": iso(query.from_minute),
        "to": to_iso_string(query.to_minute.saturating_mul(60_000).saturating_add(59_999)).unwrap_or_default(),
        "mapping": query.mapping,
        "mappings": mappings,
        "steps": steps,
        "series": series,
        "breakdown": breakdown.iter().map(|(kind, event, n)| json!({"type": kind, "event": event, "count": n})).collect::<Vec<_>>(),
        "discards": discards.iter().map(|d| json!({
            "step": d.step.name(),
            "reason": d.reason,
            "count": d.count,
            "samples": d.samples.iter().map(|(_, text)| sample_value(text)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// A sample as the page shows it: its JSON when it is JSON a tree can hold, else its text.
fn sample_value(text: &str) -> Value {
    crate::json::read::tree(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::tally::{Label, Tally};

    const NOW: i64 = 1_747_207_800_000; // 2025-05-14T07:30:00Z

    #[test]
    fn reads_ranges_and_custom_windows() {
        let q = Query::from_url(
            "https://w/admin/overview?range=10m&mapping=Track%20Event",
            NOW,
        )
        .unwrap();
        assert_eq!(q.to_minute - q.from_minute, 9);
        assert_eq!(q.mapping.as_deref(), Some("Track Event"));
        let default = Query::from_url("https://w/admin/overview", NOW).unwrap();
        assert_eq!(default.to_minute - default.from_minute, 59);
        let custom = Query::from_url(
            "https://w/admin/overview?from=2025-05-14T06:00:00Z&to=2025-05-14T07:00:00Z",
            NOW,
        )
        .unwrap();
        assert_eq!(custom.to_minute - custom.from_minute, 60);
        assert!(Query::from_url("https://w/admin/overview?range=1y", NOW).is_err());
        assert!(Query::from_url("https://w/admin/overview?from=yesterday", NOW).is_err());
        assert!(Query::from_url(
            "https://w/admin/overview?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z",
            NOW
        )
        .is_err());
        assert!(Query::from_url(
            "https://w/admin/overview?from=2025-05-14T07:00:00Z&to=2025-05-14T06:00:00Z",
            NOW
        )
        .is_err());
    }

    #[test]
    fn shards_merge_into_one_answer_and_the_mapping_filter_keeps_event_steps() {
        let mut a = Tally::new(NOW, Vec::new());
        let track = Label {
            kind: "track".into(),
            name: "Order Completed".into(),
        };
        a.add(Step::Received, "", &track, "", 3);
        a.add(Step::SuccessfulDelivery, "Track", &track, "", 2);
        a.add(
            Step::FailedDelivery,
            "Identify",
            &Label::default(),
            "invalid: ext_id required",
            1,
        );
        a.sample(
            Step::FailedDelivery,
            "Identify",
            "invalid: ext_id required",
            r#"{"type":"identify"}"#,
        );
        let mut b = Tally::new(NOW - 120_000, Vec::new());
        b.add(Step::Received, "", &track, "", 1);
        b.add(Step::SuccessfulDelivery, "Track", &track, "", 1);
        let all = Query::from_url("https://w/admin/overview?range=1h", NOW).unwrap();
        let mut part = ShardOverview::from_rows(&all, &a.counts, &a.samples, 2, NOW);
        part.merge(ShardOverview::from_rows(
            &all, &b.counts, &b.samples, 0, NOW,
        ));
        let v = answer(&all, &part);
        assert_eq!(v["steps"]["received"], 4);
        assert_eq!(v["steps"]["successful_delivery"], 3);
        assert_eq!(v["steps"]["failed_delivery"], 1);
        assert_eq!(v["steps"]["pending_retry"], 2);
        assert_eq!(v["steps"]["duplicates_dropped"], 0);
        assert_eq!(v["series"].as_array().unwrap().len(), 60);
        let last = &v["series"][59];
        assert_eq!(
            (
                last["successful_delivery"].clone(),
                last["failed_delivery"].clone()
            ),
            (json!(2), json!(1))
        );
        assert_eq!(
            v["breakdown"],
            json!([{"type": "track", "event": "Order Completed", "count": 4}])
        );
        assert_eq!(v["discards"][0]["samples"], json!([{"type": "identify"}]));
        assert_eq!(v["mappings"], json!(["Identify", "Track"]));

        let track_only = Query {
            mapping: Some("Track".into()),
            ..all.clone()
        };
        let part = ShardOverview::from_rows(&track_only, &a.counts, &a.samples, 0, NOW);
        let v = answer(&track_only, &part);
        assert_eq!(
            v["steps"]["received"], 3,
            "steps about events are kept whole"
        );
        assert_eq!(
            v["steps"]["failed_delivery"], 0,
            "another mapping's are not"
        );
        let week = Query::from_url("https://w/admin/overview?range=7d", NOW).unwrap();
        assert_eq!(
            answer(&week, &ShardOverview::default())["series"]
                .as_array()
                .unwrap()
                .len(),
            169
        );
    }
}
