//! Which event ids long-term storage holds, for ingest's duplicate check
//! of messages whose rows are not hot.
//!
//! Segments are immutable, so what one holds is cached for the life of the
//! process, keyed by its checksum: that names the content itself, whereas
//! SQLite may hand a deleted segment's id to a new one. A segment is kept
//! as the sorted 64-bit hashes of its ids, one run per row group (8 bytes
//! an event), in a cache bounded in bytes that drops the least recently
//! used segment first. A hash only ever says "maybe": a hit is confirmed by
//! reading that row group's ids, so every answer is exact. A re-sent id
//! therefore costs one read of its segment; a new id costs none once the
//! segment is cached.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

use crate::domain::ParsedEvent;
use crate::error::{Error, Result};
use crate::storage::{LongTermStorage, SegmentReader};
use crate::store::ArchivedSegment;

mod cache;

use cache::{Cache, SegmentIds};

/// 64 MiB: the ids of about 8 million archived events.
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// Long-term storage and the cache of what its segments hold. Cheap to
/// clone; clones share the cache.
#[derive(Clone, Debug)]
pub struct ArchivedIds {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    archive: LongTermStorage,
    /// Keyed at random per process, so ids cannot be crafted to collide
    /// (which would only cost confirming reads, never a wrong answer).
    hasher: RandomState,
    /// All ones; tests clear it so that every id collides, which proves
    /// that no answer rests on a hash alone.
    hash_mask: u64,
    cache: Mutex<Cache>,
}

/// Event ids of a batch that a message's segments may hold, with the
/// request indexes that carry each.
type Wanted = HashMap<String, Vec<usize>>;

impl ArchivedIds {
    pub fn new(archive: LongTermStorage) -> Self {
        Self::with_budget(archive, DEFAULT_CACHE_BYTES)
    }

    /// A cache of at most `bytes` (0 caches nothing; answers stay exact).
    pub fn with_budget(archive: LongTermStorage, bytes: usize) -> Self {
        Self::build(archive, bytes, u64::MAX)
    }

    #[cfg(test)]
    pub(crate) fn with_colliding_hashes(archive: LongTermStorage, bytes: usize) -> Self {
        Self::build(archive, bytes, 0)
    }

    fn build(archive: LongTermStorage, bytes: usize, hash_mask: u64) -> Self {
        Self {
            inner: Arc::new(Inner {
                archive,
                hasher: RandomState::new(),
                hash_mask,
                cache: Mutex::new(Cache::new(bytes)),
            }),
        }
    }

    pub fn archive(&self) -> &LongTermStorage {
        &self.inner.archive
    }

    /// Memory the cache holds now.
    pub fn cached_bytes(&self) -> usize {
        self.cache().used
    }

    /// Request indexes of `events` whose id one of `segments` of their own
    /// message holds.
    pub async fn held(
        &self,
        segments: &[ArchivedSegment],
        events: &[(usize, ParsedEvent)],
    ) -> Result<HashSet<usize>> {
        let mut by_message: BTreeMap<i64, Wanted> = BTreeMap::new();
        for segment in segments {
            by_message.entry(segment.message_id).or_default();
        }
        for (index, event) in events {
            if let Some(wanted) = by_message.get_mut(&event.message_id) {
                wanted.entry(event.id.clone()).or_default().push(*index);
            }
        }
        let mut held = HashSet::new();
        for segment in segments {
            let Some(wanted) = by_message.get_mut(&segment.message_id) else {
                continue;
            };
            if wanted.is_empty() {
                continue;
            }
            let found = self
                .look_in(segment, wanted)
                .await
                .map_err(|e| unreadable(segment.message_id, e))?;
            for id in found {
                if let Some(indexes) = wanted.remove(&id) {
                    held.extend(indexes);
                }
            }
        }
        Ok(held)
    }

    /// Which of `wanted` one segment holds.
    async fn look_in(&self, segment: &ArchivedSegment, wanted: &Wanted) -> Result<Vec<String>> {
        let cached = self.cache().get(&segment.checksum);
        let Some(ids) = cached else {
            let reader = self.open(segment).await?;
            let (hasher, mask) = (self.inner.hasher.clone(), self.inner.hash_mask);
            let wanted: HashSet<String> = wanted.keys().cloned().collect();
            let path = segment.path.clone();
            let (ids, found) = blocking(move || {
                scan(&reader, |id| hasher.hash_one(id) & mask, &wanted)
                    .map_err(|e| damaged(&path, e))
            })
            .await?;
            self.cache().insert(segment.checksum.clone(), Arc::new(ids));
            return Ok(found);
        };
        let mut by_group: BTreeMap<usize, HashSet<String>> = BTreeMap::new();
        for id in wanted.keys() {
            for group in ids.groups_with(self.hash(id)) {
                by_group.entry(group).or_default().insert(id.clone());
            }
        }
        if by_group.is_empty() {
            return Ok(Vec::new());
        }
        let reader = self.open(segment).await?;
        let path = segment.path.clone();
        blocking(move || confirm(&reader, by_group).map_err(|e| damaged(&path, e))).await
    }

    /// Fetches a segment and checks it against the manifest.
    async fn open(&self, segment: &ArchivedSegment) -> Result<SegmentReader> {
        let bytes = self.inner.archive.get(&segment.path).await?;
        let (checksum, rows, path) = (
            segment.checksum.clone(),
            segment.rows as u64,
            segment.path.clone(),
        );
        blocking(move || SegmentReader::open(bytes, &checksum, rows).map_err(|e| damaged(&path, e)))
            .await
    }

    fn hash(&self, id: &str) -> u64 {
        self.inner.hasher.hash_one(id) & self.inner.hash_mask
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache is consistent after every statement: a panic elsewhere
        // cannot leave it half-updated.
        self.inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads every row group's ids: their hashes for the cache, and which of
/// `wanted` are among them (exactly, since the strings are at hand).
fn scan(
    reader: &SegmentReader,
    hash: impl Fn(&str) -> u64,
    wanted: &HashSet<String>,
) -> Result<(SegmentIds, Vec<String>), crate::storage::SegmentError> {
    let mut groups = Vec::with_capacity(reader.row_groups());
    let mut found = Vec::new();
    for group in 0..reader.row_groups() {
        let ids = reader.read_event_ids(group)?;
        let mut hashes: Vec<u64> = ids.iter().map(|id| hash(id)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        groups.push(hashes.into_boxed_slice());
        found.extend(ids.into_iter().filter(|id| wanted.contains(id)));
    }
    Ok((SegmentIds { groups }, found))
}

/// Reads only the row groups a hash hit names and keeps the real matches.
fn confirm(
    reader: &SegmentReader,
    by_group: BTreeMap<usize, HashSet<String>>,
) -> Result<Vec<String>, crate::storage::SegmentError> {
    let mut found = Vec::new();
    for (group, candidates) in by_group {
        found.extend(
            reader
                .read_event_ids(group)?
                .into_iter()
                .filter(|id| candidates.contains(id)),
        );
    }
    Ok(found)
}

/// Without its segments a message's old ids cannot be ruled out: the
/// batch is refused (nothing stored), and the sender's retry succeeds once
/// storage is back, as with any other outage.
fn unreadable(message_id: i64, e: Error) -> Error {
    match e {
        Error::Conflict(why) | Error::Unavailable(why) => Error::Unavailable(format!(
            "message {message_id}: {why}; its events sent before it expired cannot be checked, so nothing was stored"
        )),
        other => other,
    }
}

fn damaged(path: &str, e: crate::storage::SegmentError) -> Error {
    tracing::warn!(path, error = %e, "a segment could not be checked for duplicate event ids");
    Error::conflict(format!("segment {path}: {e}"))
}

/// Decoding and hashing are CPU work: off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Error::Internal)?
}
