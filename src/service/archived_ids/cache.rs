//! The cache of what segments hold, on its own: sorted hashes per row
//! group, bounded in bytes, least recently used out first.

use std::collections::HashMap;
use std::sync::Arc;

/// One segment's ids as sorted hashes, one run per row group, so that a
/// hit names the row group that can confirm it.
#[derive(Debug)]
pub(super) struct SegmentIds {
    pub(super) groups: Vec<Box<[u64]>>,
}

impl SegmentIds {
    pub(super) fn groups_with(&self, hash: u64) -> impl Iterator<Item = usize> + '_ {
        self.groups
            .iter()
            .enumerate()
            .filter(move |(_, hashes)| hashes.binary_search(&hash).is_ok())
            .map(|(group, _)| group)
    }

    pub(super) fn bytes(&self) -> usize {
        size_of::<Self>()
            + self
                .groups
                .iter()
                .map(|g| size_of::<Box<[u64]>>() + size_of_val::<[u64]>(g))
                .sum::<usize>()
    }
}

/// Segments by checksum, least recently used dropped first.
#[derive(Debug, Default)]
pub(super) struct Cache {
    budget: usize,
    pub(super) used: usize,
    /// A counter, not a clock: only the order of uses matters.
    tick: u64,
    entries: HashMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    ids: Arc<SegmentIds>,
    bytes: usize,
    used_at: u64,
}

impl Cache {
    pub(super) fn new(budget: usize) -> Self {
        Self {
            budget,
            ..Self::default()
        }
    }

    pub(super) fn get(&mut self, checksum: &str) -> Option<Arc<SegmentIds>> {
        self.tick += 1;
        let entry = self.entries.get_mut(checksum)?;
        entry.used_at = self.tick;
        Some(entry.ids.clone())
    }

    /// A segment larger than the whole budget is not kept (it was still
    /// used for the answer that read it).
    pub(super) fn insert(&mut self, checksum: String, ids: Arc<SegmentIds>) {
        let bytes = ids.bytes() + checksum.len();
        if bytes > self.budget || self.entries.contains_key(&checksum) {
            return;
        }
        while self.used + bytes > self.budget {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used_at)
                .map(|(k, _)| k.clone());
            let Some(entry) = oldest.and_then(|k| self.entries.remove(&k)) else {
                break;
            };
            self.used -= entry.bytes;
        }
        self.tick += 1;
        self.used += bytes;
        self.entries.insert(
            checksum,
            Entry {
                ids,
                bytes,
                used_at: self.tick,
            },
        );
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
