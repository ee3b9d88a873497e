//! The set of finished rows, by their index in the input, kept as ranges.
//!
//! Rows are dispatched in file order and finish within a window of `--concurrency`, so the
//! finished rows are a few long runs with small holes (rows in flight when a run died). Ranges
//! keep memory proportional to the holes, not to the rows: a 10,000,000-row journal is a
//! handful of entries.

use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
pub struct DoneSet {
    /// start -> end (exclusive), non-overlapping and non-adjacent.
    ranges: BTreeMap<u64, u64>,
    len: u64,
}

impl DoneSet {
    pub fn contains(&self, index: u64) -> bool {
        self.ranges
            .range(..=index)
            .next_back()
            .is_some_and(|(_, &end)| index < end)
    }

    /// Marks `index` as done; returns false if it already was.
    pub fn insert(&mut self, index: u64) -> bool {
        // The last index cannot start a range [index, index + 1): no real input has that many
        // rows, so only a tampered journal names it, and it is not counted.
        let Some(mut end) = index.checked_add(1) else {
            return false;
        };
        if self.contains(index) {
            return false;
        }
        self.len += 1;
        let mut start = index;
        // Merge with a range ending right before.
        if let Some((&s, &e)) = self.ranges.range(..index).next_back()
            && e == index
        {
            start = s;
            self.ranges.remove(&s);
        }
        // Merge with a range starting right after.
        if let Some(e) = self.ranges.remove(&end) {
            end = e;
        }
        self.ranges.insert(start, end);
        true
    }

    /// Forgets `index` (a failed row that `--retry-failed` sends again).
    pub fn remove(&mut self, index: u64) {
        let Some((&s, &e)) = self.ranges.range(..=index).next_back() else {
            return;
        };
        if index >= e {
            return;
        }
        self.len -= 1;
        self.ranges.remove(&s);
        if s < index {
            self.ranges.insert(s, index);
        }
        if index + 1 < e {
            self.ranges.insert(index + 1, e);
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of ranges held: the memory this set uses.
    pub fn ranges(&self) -> usize {
        self.ranges.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_out_of_order_inserts_into_ranges() {
        let mut d = DoneSet::default();
        for i in [0, 2, 1, 5, 4, 3, 9] {
            assert!(d.insert(i));
        }
        assert!(!d.insert(4));
        assert_eq!(d.len(), 7);
        assert_eq!(d.ranges(), 2);
        assert!(d.contains(0) && d.contains(5) && d.contains(9));
        assert!(!d.contains(6) && !d.contains(10));
        d.remove(2);
        assert!(!d.contains(2) && d.contains(1) && d.contains(3));
        assert_eq!(d.len(), 6);
        assert_eq!(d.ranges(), 3);
    }

    #[test]
    fn ten_million_rows_are_one_range() {
        let mut d = DoneSet::default();
        for i in 0..10_000_000 {
            d.insert(i);
        }
        assert_eq!(d.ranges(), 1);
    }
}
