//! Which requests go to Nudge now, decided without I/O, for both delivery modes.
//!
//! A [`Dispatch`] starts from the groups [`crate::batching::group`] made and hands the shell
//! rounds of parts to send ([`Dispatch::due`]); the shell sends each round (at most
//! [`super::settings::MAX_IN_FLIGHT`] at once) and [`Dispatch::record`]s what Nudge answered.
//!
//! - **No event sunk by another.** When Nudge refuses a request that carries several payloads
//!   for the events' sake (400, 413, 422…; not 401, 403 or a redirect, which are about the
//!   deployment), its payloads are split in two halves and both are sent again, until the
//!   refused payloads are alone. One refused payload among `n` costs about `2·log2(n)` more
//!   requests; every other payload is delivered.
//! - **Within the budget.** Each attempt takes one of the invocation's subrequests; parts that
//!   find none left end [`Fate::NotSent`], with the refusal they were split from, if any, so
//!   that the queue consumer carries them to another invocation and direct mode reports them.
//! - **Retries within the invocation** (direct mode, [`RetryPolicy`]): an unavailable Nudge is
//!   tried again after [`next_wait`], within the policy's time budget. The queue consumer makes
//!   one attempt per message delivery and lets the queue retry.

use super::backoff::{attempt_timeout_ms, next_wait, RetryPolicy};
use super::nudge::{refuses_the_deployment, retry_after_ms, verdict, Outcome, Verdict};
use crate::batching::{halves, Group};

/// What became of one part of the payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Nudge took it (2xx).
    Delivered {
        /// Nudge's status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// Nudge refused it for good: the part is alone, or the refusal is about the deployment.
    Refused {
        /// Nudge's status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// The start of Nudge's answer.
        detail: String,
    },
    /// No 2xx within the attempts allowed (429, 5xx, timeouts, network errors).
    Unavailable {
        /// Nudge's last status, if it answered at all.
        status: Option<u16>,
        /// Attempts made.
        attempts: u32,
        /// What went wrong last.
        detail: String,
        /// Nudge's last `Retry-After`, in milliseconds.
        retry_after_ms: Option<u64>,
        /// The last attempt timed out: Nudge may have taken it after all.
        timed_out: bool,
    },
    /// Not sent: no subrequest (or, in direct mode, no time) was left for it.
    NotSent {
        /// The refusal of the request it was split from, when it is a part of one.
        split_from: Option<(u16, String)>,
    },
}

/// A part of a group: payloads that travel in one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Their destination ([`crate::batching::Payloads::destinations`]).
    pub destination: usize,
    /// Their positions among the payloads.
    pub members: Vec<usize>,
    attempts: u32,
    state: State,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// To be sent from `at_ms`; ends as `unsent` if it cannot be.
    Ready {
        at_ms: u64,
        unsent: Fate,
    },
    /// Sent, waiting for [`Dispatch::record`]; ends as `unsent` if nothing is recorded.
    InFlight {
        unsent: Fate,
    },
    /// Refused, and replaced by its two halves.
    Split,
    Done(Fate),
}

/// The payloads of one part and what became of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// Their destination.
    pub destination: usize,
    /// Their positions among the payloads.
    pub members: Vec<usize>,
    /// What became of them.
    pub fate: Fate,
}

/// The sending of a set of groups (see the module's documentation).
#[derive(Debug, Clone)]
pub struct Dispatch {
    parts: Vec<Part>,
    /// Subrequests left in the invocation.
    budget: u32,
    /// Direct mode's retries; `None`: one attempt per part (the queue retries).
    retry: Option<RetryPolicy>,
    /// Longest wait for one answer when there is no retry policy.
    attempt_timeout_ms: u64,
    started_ms: u64,
}

impl Dispatch {
    /// Sends `groups`, in their order (the most urgent first), with `budget` subrequests,
    /// retrying within `retry` when given, from `now_ms`.
    pub fn new(
        groups: Vec<Group>,
        budget: u32,
        retry: Option<RetryPolicy>,
        attempt_timeout_ms: u64,
        now_ms: u64,
    ) -> Dispatch {
        let parts = groups
            .into_iter()
            .map(|g| Part {
                destination: g.destination,
                members: g.members,
                attempts: 0,
                state: State::Ready {
                    at_ms: now_ms,
                    unsent: Fate::NotSent { split_from: None },
                },
            })
            .collect();
        Dispatch {
            parts,
            budget,
            retry,
            attempt_timeout_ms: attempt_timeout_ms.max(1),
            started_ms: now_ms,
        }
    }

    /// The part with id `id` (from [`Dispatch::due`]).
    pub fn part(&self, id: usize) -> &Part {
        &self.parts[id]
    }

    /// The parts to send now, in order, each taking a subrequest. Parts that can no longer be
    /// sent (no subrequest left; in direct mode, the time budget spent) end as they stand.
    pub fn due(&mut self, now_ms: u64) -> Vec<usize> {
        let out_of_time = self
            .retry
            .is_some_and(|p| now_ms.saturating_sub(self.started_ms) >= p.budget_ms);
        let mut due = Vec::new();
        for (id, part) in self.parts.iter_mut().enumerate() {
            let State::Ready { at_ms, unsent } = &part.state else {
                continue;
            };
            if self.budget == 0 || out_of_time {
                part.state = State::Done(unsent.clone());
            } else if *at_ms <= now_ms {
                self.budget -= 1;
                part.attempts += 1;
                part.state = State::InFlight {
                    unsent: unsent.clone(),
                };
                due.push(id);
            }
        }
        due
    }

    /// How long an attempt started at `now_ms` may wait for its answer (in direct mode, cut to
    /// what is left of the time budget).
    pub fn attempt_timeout_ms(&self, now_ms: u64) -> u64 {
        match &self.retry {
            Some(policy) => attempt_timeout_ms(policy, now_ms.saturating_sub(self.started_ms)),
            None => self.attempt_timeout_ms,
        }
    }

    /// Takes what Nudge answered to part `id`. `jitter` is a random number in `[0, 1)` for the
    /// back-off.
    pub fn record(&mut self, id: usize, outcome: &Outcome, now_ms: u64, jitter: f64) {
        let Some(part) = self.parts.get_mut(id) else {
            return;
        };
        if !matches!(part.state, State::InFlight { .. }) {
            return;
        }
        let attempts = part.attempts;
        let (status, retry_after, detail) = match outcome {
            Outcome::Answered { status, .. } if verdict(*status) == Verdict::Accepted => {
                part.state = State::Done(Fate::Delivered {
                    status: *status,
                    attempts,
                });
                return;
            }
            Outcome::Answered { status, detail, .. } if verdict(*status) == Verdict::Final => {
                let split = (!refuses_the_deployment(*status))
                    .then(|| halves(&part.members))
                    .flatten();
                match split {
                    Some((first, second)) => {
                        part.state = State::Split;
                        let destination = part.destination;
                        for members in [first, second] {
                            self.parts.push(Part {
                                destination,
                                members,
                                attempts: 0,
                                state: State::Ready {
                                    at_ms: now_ms,
                                    unsent: Fate::NotSent {
                                        split_from: Some((*status, detail.clone())),
                                    },
                                },
                            });
                        }
                    }
                    None => {
                        part.state = State::Done(Fate::Refused {
                            status: *status,
                            attempts,
                            detail: detail.clone(),
                        })
                    }
                }
                return;
            }
            Outcome::Answered {
                status,
                retry_after,
                detail,
            } => (
                Some(*status),
                retry_after
                    .as_deref()
                    .and_then(|v| retry_after_ms(v, i64::try_from(now_ms).unwrap_or(i64::MAX))),
                detail.clone(),
            ),
            Outcome::NoAnswer(detail) => (None, None, detail.clone()),
            Outcome::TimedOut(ms) => (None, None, format!("no answer within {ms} ms")),
        };
        let timed_out = matches!(outcome, Outcome::TimedOut(_));
        let fate = Fate::Unavailable {
            status,
            attempts,
            detail,
            retry_after_ms: retry_after,
            timed_out,
        };
        let elapsed = now_ms.saturating_sub(self.started_ms);
        // A timeout is not tried again here: Nudge may be taking it still, and a second copy
        // would reach it too. The sender (or the queue) tries again later.
        part.state = match self
            .retry
            .as_ref()
            .filter(|_| !timed_out)
            .and_then(|p| next_wait(p, attempts, retry_after, jitter, elapsed))
        {
            Some(wait) => State::Ready {
                at_ms: now_ms.saturating_add(wait),
                unsent: fate,
            },
            None => State::Done(fate),
        };
    }

    /// When the next part becomes due, if any is waiting; `None` when the dispatch is over.
    pub fn next_wake(&self) -> Option<u64> {
        self.parts
            .iter()
            .filter_map(|p| match &p.state {
                State::Ready { at_ms, .. } => Some(*at_ms),
                _ => None,
            })
            .min()
    }

    /// Subrequests taken so far.
    pub fn attempts(&self) -> u32 {
        self.parts.iter().map(|p| p.attempts).sum()
    }

    /// What became of every payload: each appears in exactly one ended part. Parts still
    /// waiting or in flight end as they stand.
    pub fn finish(self) -> Vec<Ended> {
        self.parts
            .into_iter()
            .filter_map(|part| {
                let fate = match part.state {
                    State::Done(fate)
                    | State::Ready { unsent: fate, .. }
                    | State::InFlight { unsent: fate } => fate,
                    State::Split => return None,
                };
                Some(Ended {
                    destination: part.destination,
                    members: part.members,
                    fate,
                })
            })
            .collect()
    }
}

/// Runs a dispatch to its end against `nudge` (a function from a part to its outcome), with a
/// clock that moves only when waiting: how the shells drive it, without I/O. For tests and
/// benchmarks of delivery decisions.
pub fn run_with(mut dispatch: Dispatch, mut nudge: impl FnMut(&Part) -> Outcome) -> Vec<Ended> {
    let mut now = dispatch.started_ms;
    loop {
        let due = dispatch.due(now);
        if due.is_empty() {
            match dispatch.next_wake() {
                Some(at) => {
                    now = now.max(at);
                    continue;
                }
                None => break,
            }
        }
        let outcomes: Vec<Outcome> = due.iter().map(|&id| nudge(dispatch.part(id))).collect();
        for (id, outcome) in due.into_iter().zip(&outcomes) {
            dispatch.record(id, outcome, now, 0.5);
        }
    }
    dispatch.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> Outcome {
        Outcome::Answered {
            status,
            retry_after: None,
            detail: format!("answer {status}"),
        }
    }

    /// A Nudge that refuses (400) any request carrying one of `poison`.
    fn refusing(poison: &[usize]) -> impl FnMut(&Part) -> Outcome + '_ {
        move |part| {
            if part.members.iter().any(|m| poison.contains(m)) {
                answered(400)
            } else {
                answered(200)
            }
        }
    }

    fn one_group(n: usize) -> Vec<Group> {
        vec![Group {
            destination: 0,
            members: (0..n).collect(),
        }]
    }

    fn delivered(ended: &[Ended]) -> Vec<usize> {
        let mut out: Vec<usize> = ended
            .iter()
            .filter(|e| matches!(e.fate, Fate::Delivered { .. }))
            .flat_map(|e| e.members.clone())
            .collect();
        out.sort_unstable();
        out
    }

    #[test]
    fn one_refused_payload_among_61_is_left_alone_and_the_60_others_are_delivered() {
        let mut requests = 0;
        let mut nudge = refusing(&[60]);
        let ended = run_with(Dispatch::new(one_group(61), 50, None, 5000, 0), |p| {
            requests += 1;
            nudge(p)
        });
        assert_eq!(delivered(&ended), (0..60).collect::<Vec<_>>());
        let refused: Vec<&Ended> = ended
            .iter()
            .filter(|e| matches!(e.fate, Fate::Refused { .. }))
            .collect();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].members, [60]);
        assert!(requests - 1 <= 15, "{requests} requests: at most 15 extra");
    }

    #[test]
    fn several_refused_payloads_each_end_alone() {
        let poison = [3, 4, 17, 99];
        let ended = run_with(
            Dispatch::new(one_group(100), 1000, None, 5000, 0),
            refusing(&poison),
        );
        let mut refused: Vec<Vec<usize>> = ended
            .iter()
            .filter(|e| matches!(e.fate, Fate::Refused { .. }))
            .map(|e| e.members.clone())
            .collect();
        refused.sort();
        assert_eq!(refused, [vec![3], vec![4], vec![17], vec![99]]);
        assert_eq!(delivered(&ended).len(), 96);
    }

    #[test]
    fn refusals_of_the_deployment_are_not_split() {
        for status in [401, 403, 302] {
            let mut requests = 0;
            let ended = run_with(Dispatch::new(one_group(10), 50, None, 5000, 0), |_| {
                requests += 1;
                answered(status)
            });
            assert_eq!(requests, 1, "{status}");
            assert_eq!(ended.len(), 1);
            assert!(matches!(ended[0].fate, Fate::Refused { status: s, .. } if s == status));
        }
    }

    #[test]
    fn the_budget_bounds_splitting_and_what_is_left_says_where_it_came_from() {
        let ended = run_with(
            Dispatch::new(one_group(64), 3, None, 5000, 0),
            refusing(&[0]),
        );
        // 1 request, then its two halves: the budget is spent, the refused half's halves wait.
        assert_eq!(delivered(&ended), (32..64).collect::<Vec<_>>());
        let not_sent: Vec<&Ended> = ended
            .iter()
            .filter(|e| matches!(e.fate, Fate::NotSent { .. }))
            .collect();
        assert_eq!(not_sent.len(), 2);
        assert!(not_sent.iter().all(|e| e.fate
            == Fate::NotSent {
                split_from: Some((400, "answer 400".into()))
            }));
        let members: usize = not_sent.iter().map(|e| e.members.len()).sum();
        assert_eq!(members, 32, "every payload ends in exactly one part");
    }

    #[test]
    fn groups_over_the_budget_are_not_sent_most_urgent_first() {
        let groups: Vec<Group> = (0..5)
            .map(|i| Group {
                destination: 0,
                members: vec![i],
            })
            .collect();
        let mut sent = Vec::new();
        let ended = run_with(Dispatch::new(groups, 3, None, 5000, 0), |p| {
            sent.push(p.members[0]);
            answered(200)
        });
        assert_eq!(sent, [0, 1, 2]);
        assert_eq!(
            ended[3].fate,
            Fate::NotSent { split_from: None },
            "over the budget"
        );
    }

    #[test]
    fn direct_mode_retries_an_unavailable_nudge_within_its_policy() {
        let policy = RetryPolicy::default();
        let mut calls = 0;
        let ended = run_with(
            Dispatch::new(one_group(2), 50, Some(policy), 5000, 0),
            |_| {
                calls += 1;
                if calls < 3 {
                    answered(503)
                } else {
                    answered(200)
                }
            },
        );
        assert_eq!(
            ended[0].fate,
            Fate::Delivered {
                status: 200,
                attempts: 3
            }
        );
        let mut always_down = Dispatch::new(one_group(1), 50, Some(policy), 5000, 0);
        let due = always_down.due(0);
        always_down.record(
            due[0],
            &Outcome::Answered {
                status: 503,
                retry_after: Some("60".into()),
                detail: "busy".into(),
            },
            0,
            0.0,
        );
        assert_eq!(
            always_down.next_wake(),
            None,
            "a Retry-After past the budget ends it"
        );
        assert_eq!(
            always_down.finish()[0].fate,
            Fate::Unavailable {
                status: Some(503),
                attempts: 1,
                detail: "busy".into(),
                retry_after_ms: Some(60_000),
                timed_out: false,
            }
        );
    }

    #[test]
    fn a_timeout_is_not_tried_again_within_the_invocation() {
        let mut calls = 0;
        let ended = run_with(
            Dispatch::new(one_group(1), 50, Some(RetryPolicy::default()), 5000, 0),
            |_| {
                calls += 1;
                Outcome::TimedOut(5000)
            },
        );
        assert_eq!(calls, 1);
        assert!(matches!(
            ended[0].fate,
            Fate::Unavailable {
                timed_out: true,
                ..
            }
        ));
    }

    #[test]
    fn the_queue_consumer_makes_one_attempt_per_delivery() {
        let mut calls = 0;
        let ended = run_with(Dispatch::new(one_group(3), 50, None, 5000, 0), |_| {
            calls += 1;
            Outcome::NoAnswer("no answer within 5000 ms".into())
        });
        assert_eq!(calls, 1);
        assert!(matches!(
            ended[0].fate,
            Fate::Unavailable { status: None, .. }
        ));
    }

    #[test]
    fn direct_mode_stops_when_its_time_budget_is_spent() {
        let policy = RetryPolicy::default();
        let mut d = Dispatch::new(one_group(4), 50, Some(policy), 5000, 1_000);
        let due = d.due(1_000);
        assert_eq!(d.attempt_timeout_ms(1_000), 5_000);
        assert_eq!(d.attempt_timeout_ms(7_500), 1_500);
        d.record(due[0], &answered(400), 9_500, 0.0);
        assert_eq!(d.due(9_500), Vec::<usize>::new(), "8 s have passed");
        let ended = d.finish();
        assert_eq!(ended.len(), 2);
        assert!(ended.iter().all(|e| matches!(
            &e.fate,
            Fate::NotSent {
                split_from: Some((400, _))
            }
        )));
    }
}
