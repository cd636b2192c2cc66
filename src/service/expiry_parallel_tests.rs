//! A pass moves several messages at once; each move is still whole.

use super::test_support::{
    after_window, all_events, assert_no_orphans, setup, state, stopped_campaign,
};
use chrono::Duration;

use crate::storage::FaultPoint;
use crate::types::DataState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_moves_expire_every_message_whole_and_report_in_order() {
    let mut s = setup().await;
    s.expiry = s
        .expiry
        .clone()
        .with_parallel_moves(3)
        .with_segment_rows(25);
    let mut ids = Vec::new();
    let mut before = Vec::new();
    for (i, users) in [30, 45, 12, 60, 7].into_iter().enumerate() {
        let id = stopped_campaign(&s, &format!("Parallel {i}"), users).await;
        before.push(all_events(&s, id).await);
        ids.push(id);
    }

    // One move fails at its first write; the others are unaffected.
    s.expiry.archive().faults().arm(FaultPoint::Put, 3);
    let report = s.expiry.tick(after_window()).await.expect("tick");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.moved.len(), ids.len() - 1, "{report:?}");
    let reported: Vec<i64> = report.moved.iter().map(|m| m.id).collect();
    let mut expected: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| *id != report.failed[0].0)
        .collect();
    expected.sort();
    assert_eq!(reported, expected, "moves are reported in candidate order");

    // The next pass moves the one that failed.
    let report = s.expiry.tick(after_window()).await.expect("tick");
    assert_eq!(report.moved.len(), 1, "{report:?}");
    // The failed write's announcement is withdrawn once its grace is over.
    let later = after_window() + Duration::hours(2);
    s.expiry.collect_garbage(later).await.expect("gc");
    for (id, events) in ids.iter().zip(&before) {
        assert_eq!(state(&s, *id, after_window()).await, DataState::Expired);
        assert_eq!(s.t.db.count_hot_events(*id).await.expect("count"), 0);
        assert_eq!(&all_events(&s, *id).await, events, "message {id}");
    }
    assert_no_orphans(&s).await;
}
