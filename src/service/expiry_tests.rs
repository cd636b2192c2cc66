//! Expiry against real SQLite and a real archive directory: what a pass
//! moves, what it leaves, and that a failure at any step loses nothing.

use chrono::Duration;

use super::test_support::{
    Setup, after_window, all_events, assert_no_orphans, campaign, send, setup, state,
    stopped_campaign, stored_paths,
};
use crate::storage::FaultPoint;
use crate::store::tests::t0;
use crate::types::{DataState, MessageStatus};

#[tokio::test]
async fn a_due_message_moves_to_long_term_storage_with_its_aggregates_kept() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Spring sale", 60).await;
    let before = all_events(&s, id).await;
    let aggregates =
        s.t.db
            .message_detail(&s.t.ws, id, after_window())
            .await
            .expect("d");
    assert_eq!(before.len(), 60 + 20 + 12);

    let not_yet = t0() + Duration::days(2) + Duration::days(80);
    assert!(s.expiry.due(not_yet).await.expect("due").is_empty());
    assert_eq!(state(&s, id, not_yet).await, DataState::Available);

    let due = s.expiry.due(after_window()).await.expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].id, due[0].hot_rows), (id, 92));
    assert!(due[0].reason.contains("stopped"), "{}", due[0].reason);

    let report = s.expiry.tick(after_window()).await.expect("tick");
    assert_eq!(report.moved.len(), 1);
    assert_eq!(report.moved[0].rows, 92);
    assert!(report.moved[0].written);
    assert_eq!(s.t.db.count_hot_events(id).await.expect("count"), 0);
    assert_eq!(state(&s, id, after_window()).await, DataState::Expired);
    assert_eq!(all_events(&s, id).await, before);

    let after =
        s.t.db
            .message_detail(&s.t.ws, id, after_window())
            .await
            .expect("d");
    assert_eq!(after.aggregates, aggregates.aggregates);
    assert!(after.summary.expired_at.is_some());

    let segments = s.t.db.segments(id).await.expect("segments");
    assert_eq!(segments.len(), 1);
    assert!(
        segments[0].path.starts_with(&format!("default/{id}/")),
        "{}",
        segments[0].path
    );
    assert!(segments[0].path.ends_with(".parquet"));
    let log = s.t.db.audit_log(&s.t.ws, 10).await.expect("audit");
    assert!(
        log.iter()
            .any(|e| e.action == "data.expire" && e.detail.contains("92 rows"))
    );
    assert_no_orphans(&s).await;

    // A second pass finds nothing to do.
    let again = s
        .expiry
        .tick(after_window() + Duration::hours(1))
        .await
        .expect("tick");
    assert!(again.moved.is_empty() && again.failed.is_empty());
}

#[tokio::test]
async fn active_pinned_and_never_retention_messages_do_not_expire() {
    let s = setup().await;
    let active = campaign(&s, "Live", MessageStatus::Active, &[]).await;
    send(&s, active, 5, "a", t0() + Duration::days(2)).await;
    let pinned = stopped_campaign(&s, "Pinned", 5).await;
    s.t.db
        .pin_message(&s.t.ws, pinned, None, t0() + Duration::days(3))
        .await
        .expect("pin");
    let report = s.expiry.tick(after_window()).await.expect("tick");
    assert!(report.moved.is_empty(), "{report:?}");
    assert_eq!(state(&s, pinned, after_window()).await, DataState::Retained);
    assert_eq!(state(&s, active, after_window()).await, DataState::Live);

    // Unpinning is activity: a fresh window starts then.
    let unpinned_at = after_window();
    s.t.db
        .unpin_message(&s.t.ws, pinned, unpinned_at)
        .await
        .expect("unpin");
    assert!(
        s.expiry
            .due(unpinned_at + Duration::days(80))
            .await
            .expect("d")
            .is_empty()
    );
    assert_eq!(
        s.expiry
            .due(unpinned_at + Duration::days(93))
            .await
            .expect("d")
            .len(),
        1
    );

    s.t.db.set_retention(&s.t.ws, None).await.expect("never");
    assert!(
        s.expiry
            .due(unpinned_at + Duration::days(9000))
            .await
            .expect("d")
            .is_empty()
    );
    assert!(s.t.db.set_retention(&s.t.ws, Some(0)).await.is_err());
}

#[tokio::test]
async fn large_messages_are_split_into_several_verified_segments() {
    let mut s = setup().await;
    s.expiry = s.expiry.clone().with_segment_rows(25);
    let id = stopped_campaign(&s, "Big", 60).await;
    let before = all_events(&s, id).await;
    s.expiry.tick(after_window()).await.expect("tick");
    let segments = s.t.db.segments(id).await.expect("segments");
    assert_eq!(segments.len(), 4, "92 rows in segments of 25");
    assert_eq!(segments.iter().map(|s| s.rows).sum::<i64>(), 92);
    assert_eq!(all_events(&s, id).await, before);
}

#[tokio::test]
async fn a_failure_at_any_step_loses_nothing_and_the_next_pass_finishes() {
    let points = [
        (FaultPoint::Put, 0),
        (FaultPoint::Get, 0),
        (FaultPoint::Put, 1),
        (FaultPoint::Get, 1),
        (FaultPoint::BeforeCommit, 0),
        (FaultPoint::AfterCommit, 0),
    ];
    for (point, nth) in points {
        let mut s = setup().await;
        s.expiry = s.expiry.clone().with_segment_rows(40);
        let id = stopped_campaign(&s, "Faulty", 60).await;
        let before = all_events(&s, id).await;

        s.expiry.archive().faults().arm(point, nth);
        let report = s.expiry.tick(after_window()).await.expect("tick");
        assert!(
            !s.expiry.archive().faults().pending(),
            "{point:?} {nth} never reached"
        );
        assert_eq!(
            all_events(&s, id).await,
            before,
            "after failing at {point:?} {nth}"
        );
        if point == FaultPoint::AfterCommit {
            // The commit happened: the data is safely archived already.
            assert_eq!(state(&s, id, after_window()).await, DataState::Expired);
        } else {
            assert_eq!(report.failed.len(), 1, "{point:?}: {report:?}");
            assert_eq!(state(&s, id, after_window()).await, DataState::Available);
        }

        // Later passes finish the move and collect what the failure left.
        let later = after_window() + Duration::hours(2);
        s.expiry.tick(later).await.expect("tick");
        s.expiry.collect_garbage(later).await.expect("gc");
        assert_eq!(state(&s, id, later).await, DataState::Expired, "{point:?}");
        assert_eq!(all_events(&s, id).await, before, "{point:?} {nth}");
        assert_eq!(s.t.db.count_hot_events(id).await.expect("count"), 0);
        assert_no_orphans(&s).await;
    }
}

#[tokio::test]
async fn late_events_for_an_expired_message_are_kept_counted_and_archived() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Late", 10).await;
    s.expiry.tick(after_window()).await.expect("tick");
    let received_before =
        s.t.db
            .message_detail(&s.t.ws, id, after_window())
            .await
            .expect("d")
            .aggregates
            .received;

    send(&s, id, 2, "late", after_window() + Duration::days(1)).await;
    let detail =
        s.t.db
            .message_detail(&s.t.ws, id, after_window())
            .await
            .expect("d");
    assert_eq!(detail.aggregates.received, received_before + 2);
    assert_eq!(detail.summary.data_state, DataState::Expired);
    let with_late = all_events(&s, id).await;

    let report = s
        .expiry
        .tick(after_window() + Duration::days(1))
        .await
        .expect("tick");
    assert_eq!(report.moved.len(), 1);
    assert!(report.moved[0].appended);
    assert_eq!(s.t.db.count_hot_events(id).await.expect("count"), 0);
    assert_eq!(s.t.db.segments(id).await.expect("s").len(), 2);
    let archived = all_events(&s, id).await;
    assert_eq!(archived, with_late);
    assert!(archived.iter().any(|e| e.event_id == "late0-r"));
}

#[tokio::test]
async fn garbage_collection_removes_orphans_and_dead_writes_but_not_live_ones() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Gc", 3).await;
    let archive = s.expiry.archive();
    archive
        .put("default/999/stray.parquet", bytes::Bytes::from_static(b"x"))
        .await
        .expect("put");
    let now = after_window();
    s.t.db
        .add_pending_segment("default/1/dead.parquet", id, now - Duration::hours(3))
        .await
        .expect("p");
    archive
        .put("default/1/dead.parquet", bytes::Bytes::from_static(b"x"))
        .await
        .expect("put");
    s.t.db
        .add_pending_segment("default/1/live.parquet", id, now)
        .await
        .expect("p");
    archive
        .put("default/1/live.parquet", bytes::Bytes::from_static(b"x"))
        .await
        .expect("put");

    assert_eq!(s.expiry.collect_garbage(now).await.expect("gc"), 2);
    let left = stored_paths(&s).await;
    assert_eq!(left, vec!["default/1/live.parquet".to_string()]);
}

/// The admin whom warning digests are sent to.
async fn add_admin(s: &Setup) {
    crate::service::auth::add_user(
        &s.t.db,
        &s.t.ws,
        "cli",
        "admin@example.com",
        "a-long-password-1",
        crate::types::Role::Admin,
        t0(),
    )
    .await
    .expect("admin");
}

#[tokio::test]
async fn admins_get_one_warning_digest_before_data_expires() {
    let s = setup().await;
    add_admin(&s).await;
    let soon = stopped_campaign(&s, "Expiring soon", 2).await;
    let window_end = t0() + Duration::days(2) + Duration::days(91);
    // Moved later by fresh activity: expires well after the lead time.
    let later = stopped_campaign(&s, "Later", 2).await;
    send(&s, later, 1, "more", t0() + Duration::days(30)).await;

    let operator = crate::engine::Actor::cli(s.t.ws.clone());
    super::test_support::engine(&s)
        .create_segment(
            &operator,
            &crate::types::SegmentInput {
                name: "Promo openers".into(),
                filter: serde_json::json!({"all": [{"any": [{"filter": "engaged_with_tag", "tag": "promo"}]}]}),
            },
            t0(),
        )
        .await
        .expect("segment");
    let five_days_before = window_end - Duration::days(5);
    let report = s.expiry.tick(five_days_before).await.expect("tick");
    assert_eq!(report.warnings_queued, 1);
    let mail = s.t.db.recent_mail(10).await.expect("mail");
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].recipients, vec!["admin@example.com".to_string()]);
    assert!(mail[0].text.contains("Expiring soon"));
    assert!(mail[0].text.contains(&format!("/messages/{soon}")));
    assert!(
        mail[0]
            .text
            .contains("Referenced by tag in: segment \"Promo openers\" (by tag promo)"),
        "{}",
        mail[0].text
    );
    assert!(!mail[0].text.contains("Later"));

    let again = s
        .expiry
        .tick(five_days_before + Duration::days(1))
        .await
        .expect("tick");
    assert_eq!(again.warnings_queued, 0);
    assert_eq!(s.t.db.recent_mail(10).await.expect("mail").len(), 1);
}

#[tokio::test]
async fn queued_mail_is_delivered_once_to_the_outbox() {
    let s = setup().await;
    add_admin(&s).await;
    stopped_campaign(&s, "Soon", 1).await;
    let when = t0() + Duration::days(2) + Duration::days(88);
    s.expiry.tick(when).await.expect("tick");

    let outbox = tempfile::tempdir().expect("outbox");
    let mailer = crate::mail::Mailer::new(None, "Recall <recall@localhost>", outbox.path().into())
        .expect("mailer");
    let first = super::mail::deliver_pending(&s.t.db, &mailer, when)
        .await
        .expect("deliver");
    assert_eq!((first.sent, first.failed), (1, 0));
    let second = super::mail::deliver_pending(&s.t.db, &mailer, when)
        .await
        .expect("deliver");
    assert_eq!(second.sent, 0);
    let listed = crate::mail::list_outbox(outbox.path()).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].to, vec!["admin@example.com".to_string()]);
    assert!(listed[0].subject.contains("expires within 7 days"));
}
