//! Cloudflare's limits on one Worker invocation, kept by both delivery modes: at most
//! `SUBREQUEST_BUDGET` subrequests (50 on Workers Free, the default) and at most
//! [`MAX_IN_FLIGHT`] connections open at once. Requests over the budget are not started: in
//! queue mode their messages are retried without delay (another invocation sends them); in
//! direct mode their events are answered 503 so that the sender retries.

use std::cell::Cell;

/// Subrequests per invocation on Workers Free (Workers Paid allows many more).
pub const DEFAULT_SUBREQUESTS: u32 = 50;
/// Connections a Worker invocation may have open at once.
pub const MAX_IN_FLIGHT: usize = 6;

/// Which requests are sent now and which wait for another invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Positions of the requests to send, most urgent first.
    pub send: Vec<usize>,
    /// Positions of the requests over the budget, in their order.
    pub wait: Vec<usize>,
}

/// The `budget` most urgent requests are sent (highest `urgency` first, in their order among
/// equals); the others wait.
pub fn split(urgency: &[u32], budget: u32) -> Split {
    let mut order: Vec<usize> = (0..urgency.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(urgency[i]));
    let cut = order.len().min(budget as usize);
    let mut wait = order.split_off(cut);
    wait.sort_unstable();
    Split { send: order, wait }
}

/// Subrequests left in an invocation, taken one per attempt.
#[derive(Debug)]
pub struct Allowance {
    left: Cell<u32>,
}

impl Allowance {
    /// An allowance of `n` subrequests.
    pub fn new(n: u32) -> Allowance {
        Allowance { left: Cell::new(n) }
    }

    /// Takes one subrequest, or says there is none left.
    pub fn take(&self) -> bool {
        let left = self.left.get();
        self.left.set(left.saturating_sub(1));
        left > 0
    }

    /// Subrequests not yet taken.
    pub fn left(&self) -> u32 {
        self.left.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_the_most_urgent_within_the_budget() {
        let s = split(&[1, 3, 1, 2, 3], 3);
        assert_eq!(s.send, vec![1, 4, 3]);
        assert_eq!(s.wait, vec![0, 2]);
        let all = split(&[0, 0], 50);
        assert_eq!((all.send, all.wait), (vec![0, 1], vec![]));
        let none = split(&[5], 0);
        assert_eq!((none.send, none.wait), (vec![], vec![0]));
    }

    #[test]
    fn an_allowance_runs_out() {
        let a = Allowance::new(2);
        assert!(a.take() && a.take());
        assert!(!a.take());
        assert_eq!(a.left(), 0);
    }
}
