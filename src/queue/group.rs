//! Grouping a consumer batch of messages into Nudge requests, as Segment sends them:
//! `trackEvent` payloads of a mapping with `enable_batching` go together, at most its
//! `batch_size` per request, whichever Worker requests they arrived in; everything else is sent
//! one by one.

use crate::actions::Action;
use crate::config::Settings;
use crate::plan::{nudge_request, Request};
use crate::queue::message::Pending;

/// The messages one Nudge request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Their action.
    pub action: Action,
    /// Their mapping's name.
    pub mapping: String,
    /// Their mapping's position in the configuration.
    pub mapping_position: usize,
    /// Positions of the messages in the batch, in batch order.
    pub members: Vec<usize>,
}

impl Group {
    /// The request carrying the group's payloads, with the consumer's endpoint and API key;
    /// its `events` are the members' positions in the batch.
    pub fn request(&self, batch: &[Option<Pending>], settings: &Settings) -> Request {
        let payloads = self
            .members
            .iter()
            .filter_map(|&i| batch.get(i)?.as_ref())
            .map(|p| p.payload.clone())
            .collect();
        nudge_request(
            self.action,
            &self.mapping,
            self.mapping_position,
            settings,
            payloads,
            self.members.clone(),
        )
    }
}

/// How many payloads of `p` one request may carry: its mapping's batch size when it batches
/// (track only), otherwise one.
fn capacity(p: &Pending) -> usize {
    match p.batch_size {
        Some(n) if p.action.supports_batching() => n.max(1),
        _ => 1,
    }
}

/// Groups a batch (`None` for messages that could not be read, which no group carries), in
/// the order the first member of each group appears.
pub fn group(batch: &[Option<Pending>]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    // Open groups still taking members: (index in `groups`, capacity).
    let mut open: Vec<(usize, usize)> = Vec::new();
    for (position, pending) in batch.iter().enumerate() {
        let Some(p) = pending else { continue };
        let cap = capacity(p);
        let joinable = open.iter().position(|&(g, c)| {
            let g = &groups[g];
            c == cap
                && g.action == p.action
                && g.mapping_position == p.mapping_position
                && g.mapping == p.mapping
                && g.members.len() < cap
        });
        match joinable {
            Some(o) => {
                let (g, c) = open[o];
                groups[g].members.push(position);
                if groups[g].members.len() >= c {
                    open.swap_remove(o);
                }
            }
            None => {
                groups.push(Group {
                    action: p.action,
                    mapping: p.mapping.clone(),
                    mapping_position: p.mapping_position,
                    members: vec![position],
                });
                if cap > 1 {
                    open.push((groups.len() - 1, cap));
                }
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pending(action: Action, mapping: &str, position: usize, batch: Option<usize>) -> Pending {
        Pending {
            action,
            mapping: mapping.into(),
            mapping_position: position,
            batch_size: batch,
            payload: json!({"ext_id": format!("{mapping}-{position}")})
                .as_object()
                .cloned()
                .unwrap(),
            accepted_at: 0,
        }
    }

    #[test]
    fn batching_track_payloads_go_together_up_to_the_batch_size() {
        let t = || Some(pending(Action::TrackEvent, "Track", 1, Some(2)));
        let i = || Some(pending(Action::IdentifyUser, "Identify", 0, None));
        let page = || Some(pending(Action::TrackEvent, "Pages", 2, None));
        let batch = vec![t(), i(), t(), None, t(), page(), i(), page()];
        let groups = group(&batch);
        let members: Vec<(&str, Vec<usize>)> = groups
            .iter()
            .map(|g| (g.mapping.as_str(), g.members.clone()))
            .collect();
        assert_eq!(
            members,
            [
                ("Track", vec![0, 2]),
                ("Identify", vec![1]),
                ("Track", vec![4]),
                ("Pages", vec![5]),
                ("Identify", vec![6]),
                ("Pages", vec![7]),
            ]
        );
    }

    #[test]
    fn a_hundred_track_messages_make_one_request() {
        let batch: Vec<_> = (0..100)
            .map(|_| Some(pending(Action::TrackEvent, "Track", 0, Some(100))))
            .collect();
        let groups = group(&batch);
        assert_eq!(groups.len(), 1);
        let settings = Settings {
            apikey: "k".into(),
            endpoint: "https://nudge.example".into(),
        };
        let request = groups[0].request(&batch, &settings);
        assert_eq!(request.url, "https://nudge.example/events/batch");
        assert_eq!(request.headers["apikey"], "k");
        assert_eq!(request.body.as_array().map(Vec::len), Some(100));
        assert_eq!(request.events, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn mappings_are_kept_apart_even_when_renamed_or_moved() {
        let batch = vec![
            Some(pending(Action::TrackEvent, "A", 0, Some(10))),
            Some(pending(Action::TrackEvent, "B", 0, Some(10))),
            Some(pending(Action::TrackEvent, "A", 1, Some(10))),
            Some(pending(Action::TrackEvent, "A", 0, Some(5))),
            Some(pending(Action::TrackEvent, "A", 0, Some(10))),
        ];
        let members: Vec<Vec<usize>> = group(&batch).into_iter().map(|g| g.members).collect();
        assert_eq!(members, [vec![0, 4], vec![1], vec![2], vec![3]]);
    }

    #[test]
    fn identify_is_never_batched() {
        let batch = vec![
            Some(pending(Action::IdentifyUser, "I", 0, Some(100))),
            Some(pending(Action::IdentifyUser, "I", 0, Some(100))),
        ];
        let groups = group(&batch);
        assert_eq!(groups.len(), 2);
        let settings = Settings {
            apikey: "k".into(),
            endpoint: "https://nudge.example".into(),
        };
        let request = groups[1].request(&batch, &settings);
        assert_eq!(request.method, "PUT");
        assert_eq!(request.body, json!({"ext_id": "I-0"}));
    }
}
