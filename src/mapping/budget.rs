//! What a mapping may build: a [`Budget`] in bytes for one call, spent by the runtime on every
//! value it makes, so that no mapping can turn an input into more than a fixed multiple of it.

use crate::mapping::error::{MappingError, Reason};
use crate::value::Resolved;
use serde_json::Value;
use std::cell::Cell;

/// What a value costs in a [`Budget`] besides its text: its slot, a map entry's hash and links.
pub(super) const VALUE_BYTES: usize = 16;
/// A budget's allowance before the input's own size is counted.
const BASE_BUDGET_BYTES: usize = 8 << 20;
/// How many times the input's size a budget adds to [`BASE_BUDGET_BYTES`].
const BUDGET_INPUT_FACTOR: usize = 64;

/// How much mapping may build for one call (a plan, a transform), in bytes of text plus
/// [`VALUE_BYTES`] per value: 8 MiB plus 64 times the input's size. Mapping a Segment event
/// builds about its own size per mapping, so that is far out of reach; a mapping that
/// multiplies its input (`@replace` with `` $` ``, `$.` copied at every level of nested
/// `@transform`s, `@flatten` keys repeating long keys at every level, a template repeating a
/// long value) ends in an error instead of exhausting memory, which a Worker has 128 MB of
/// and whose failure aborts wasm32.
#[derive(Debug)]
pub struct Budget {
    left: Cell<usize>,
}

impl Budget {
    /// The budget for mapping inputs of `input_bytes` in all (see [`json_size`]).
    pub fn for_input(input_bytes: usize) -> Budget {
        Budget {
            left: Cell::new(
                BASE_BUDGET_BYTES.saturating_add(input_bytes.saturating_mul(BUDGET_INPUT_FACTOR)),
            ),
        }
    }

    /// What is left, in bytes.
    pub(super) fn left(&self) -> usize {
        self.left.get()
    }

    /// Takes `bytes` from the budget, or fails when it cannot.
    pub(super) fn spend(&self, bytes: usize) -> Result<(), MappingError> {
        let left = self
            .left
            .get()
            .checked_sub(bytes)
            .ok_or_else(|| self.exhausted())?;
        self.left.set(left);
        Ok(())
    }

    /// The error once the budget is spent; nothing more can be built after it.
    pub(super) fn exhausted(&self) -> MappingError {
        self.left.set(0);
        MappingError::new(Reason::BudgetExhausted)
    }
}

/// The size of a JSON value as a [`Budget`] counts it, walked without recursion.
pub fn json_size(value: &Value) -> usize {
    tree_size(value, |v, below| match v {
        Value::String(s) => s.len(),
        Value::Array(items) => {
            below.extend(items);
            0
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, item)| {
                below.push(item);
                k.len()
            })
            .sum(),
        _ => 0,
    })
}

/// [`json_size`] for a mapped value; JSON text still unread costs its length.
pub(super) fn resolved_size(value: &Resolved) -> usize {
    tree_size(value, |v, below| match v {
        Resolved::String(s) => s.len(),
        Resolved::Raw(raw) => raw.text().len(),
        Resolved::Array(items) => {
            below.extend(items);
            0
        }
        Resolved::Object(map) => map
            .iter()
            .map(|(k, item)| {
                below.push(item);
                k.len()
            })
            .sum(),
        _ => 0,
    })
}

/// [`VALUE_BYTES`] per value plus what `own` says each holds itself; `own` also puts the values
/// below it on the stack.
fn tree_size<'a, T>(root: &'a T, own: impl Fn(&'a T, &mut Vec<&'a T>) -> usize) -> usize {
    let mut size = 0usize;
    // Values below wait here; a scalar, what a mapping builds most, allocates nothing.
    let mut below = Vec::new();
    let mut next = Some(root);
    while let Some(v) = next {
        size = size
            .saturating_add(VALUE_BYTES)
            .saturating_add(own(v, &mut below));
        next = below.pop();
    }
    size
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spends_until_nothing_is_left() {
        let budget = Budget::for_input(1);
        assert!(budget.spend(BASE_BUDGET_BYTES).is_ok());
        assert_eq!(budget.left(), BUDGET_INPUT_FACTOR);
        assert!(budget.spend(BUDGET_INPUT_FACTOR + 1).is_err());
        assert_eq!(budget.left(), 0, "a spent budget stays spent");
        assert!(budget.spend(1).is_err());
        assert!(Budget::for_input(usize::MAX).spend(usize::MAX).is_ok());
    }

    #[test]
    fn sizes_count_text_keys_and_values() {
        assert_eq!(
            json_size(&json!([1, "ab", {"cd": null}])),
            5 * VALUE_BYTES + 4
        );
        let mapped = Resolved::from(json!({"k": ["xyz", true]}));
        assert_eq!(resolved_size(&mapped), 4 * VALUE_BYTES + 1 + 3);
    }
}
