//! The one sort the core needs: `(usize, usize)` pairs in ascending order (positions keyed by
//! an index, a code point or a hash). A heapsort: in place, O(n log n) at worst, and a few
//! hundred bytes of wasm where the standard library's stable sort (driftsort, with its small
//! sorts and merges) is about 5 KB. Stability does not matter here: pairs that compare equal
//! are the same pair.

/// Sorts `pairs` ascending.
pub(crate) fn sort_pairs(pairs: &mut [(usize, usize)]) {
    let len = pairs.len();
    for root in (0..len / 2).rev() {
        sift_down(pairs, root, len);
    }
    for end in (1..len).rev() {
        pairs.swap(0, end);
        sift_down(pairs, 0, end);
    }
}

/// Restores the max-heap below `root` within `heap[..end]`.
fn sift_down(heap: &mut [(usize, usize)], mut root: usize, end: usize) {
    loop {
        // `root < end / 2` whenever a child exists, so this cannot overflow.
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && heap[child] < heap[child + 1] {
            child += 1;
        }
        if heap[root] >= heap[child] {
            return;
        }
        heap.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_the_standard_library_does() {
        // xorshift: a reproducible spread of lengths, duplicates and extremes.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in (0..70).chain([127, 128, 129, 1000, 4097]) {
            for spread in [1, 3, 50, u64::MAX] {
                let mut pairs: Vec<(usize, usize)> = (0..len)
                    .map(|_| {
                        let a = (next() % spread) as usize;
                        (
                            if a.is_multiple_of(17) {
                                usize::MAX - a
                            } else {
                                a
                            },
                            (next() % 4) as usize,
                        )
                    })
                    .collect();
                let mut expected = pairs.clone();
                expected.sort();
                sort_pairs(&mut pairs);
                assert_eq!(pairs, expected, "{len} pairs, spread {spread}");
            }
        }
        let mut sorted: Vec<(usize, usize)> = (0..300).map(|i| (i, 300 - i)).collect();
        let mut reversed: Vec<(usize, usize)> = sorted.iter().rev().copied().collect();
        sort_pairs(&mut reversed);
        assert_eq!(reversed, sorted);
        let expected = sorted.clone();
        sort_pairs(&mut sorted);
        assert_eq!(sorted, expected);
    }
}
