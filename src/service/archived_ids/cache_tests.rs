//! The cache on its own: bounded in bytes, least recently used out first.

use std::sync::Arc;

use super::{Cache, SegmentIds};

fn ids(events: usize) -> Arc<SegmentIds> {
    let hashes: Vec<u64> = (0..events as u64).collect();
    Arc::new(SegmentIds {
        groups: vec![hashes.into_boxed_slice()],
    })
}

fn cache_for(segments: usize, events: usize) -> Cache {
    Cache::new(segments * (ids(events).bytes() + 1))
}

#[test]
fn the_least_recently_used_segment_leaves_first_and_the_budget_holds() {
    let mut cache = cache_for(2, 100);
    cache.insert("a".into(), ids(100));
    cache.insert("b".into(), ids(100));
    assert!(cache.get("a").is_some());
    cache.insert("c".into(), ids(100));
    assert!(cache.get("b").is_none(), "b was used least recently");
    assert!(cache.get("a").is_some() && cache.get("c").is_some());
    assert!(cache.used <= cache.budget);
    assert_eq!(cache.used, 2 * (ids(100).bytes() + 1));
}

#[test]
fn a_segment_larger_than_the_budget_is_not_kept_and_evicts_nothing() {
    let mut cache = cache_for(1, 100);
    cache.insert("a".into(), ids(100));
    cache.insert("huge".into(), ids(10_000));
    assert!(cache.get("huge").is_none());
    assert!(cache.get("a").is_some());
}

#[test]
fn a_hash_names_every_row_group_that_may_hold_it() {
    let ids = SegmentIds {
        groups: vec![
            vec![1, 5, 9].into_boxed_slice(),
            vec![2, 5].into_boxed_slice(),
        ],
    };
    assert_eq!(ids.groups_with(5).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(ids.groups_with(2).collect::<Vec<_>>(), [1]);
    assert_eq!(ids.groups_with(3).count(), 0);
    assert_eq!(
        ids.bytes(),
        size_of::<SegmentIds>() + 2 * size_of::<Box<[u64]>>() + 5 * 8
    );
}
