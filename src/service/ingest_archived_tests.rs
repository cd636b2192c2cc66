//! An event id sent again after its message expired is a duplicate: against
//! real SQLite and a real archive directory, including an expiry that
//! commits between ingest's check of the archive and its write.

use chrono::{DateTime, Duration, Utc};

use super::archived_ids::{ArchivedIds, DEFAULT_CACHE_BYTES};
use super::ingest::{ingest, store};
use super::test_support::{
    Setup, after_window, campaign, engine, restorer, send, setup, state, stopped_campaign,
};
use crate::domain::ParsedEvent;
use crate::domain::batch::{BodyFormat, parse_batch};
use crate::storage::FaultPoint;
use crate::types::{Aggregates, DataState, IngestResult, MessageStatus, RestoreRequest};

/// Later than the originals (2026-01-16), so that an event wrongly taken
/// in would move profile times.
const LATER: &str = "2026-04-20T10:00:00Z";

fn ev(id: &str, message: i64, user: &str, kind: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "message_id": message, "user_id": user, "kind": kind,
        "at": LATER, "variant": "a"})
}

fn body(events: &[serde_json::Value]) -> Vec<u8> {
    serde_json::json!({ "events": events })
        .to_string()
        .into_bytes()
}

async fn post_with(
    s: &Setup,
    archived: &ArchivedIds,
    events: &[serde_json::Value],
    now: DateTime<Utc>,
) -> crate::error::Result<IngestResult> {
    ingest(
        &s.t.db,
        archived,
        &s.t.ws,
        &body(events),
        BodyFormat::Json,
        now,
    )
    .await
}

async fn post(s: &Setup, events: &[serde_json::Value], now: DateTime<Utc>) -> IngestResult {
    post_with(s, &s.archived, events, now)
        .await
        .expect("ingest")
}

fn parsed(events: &[serde_json::Value], now: DateTime<Utc>) -> Vec<(usize, ParsedEvent)> {
    parse_batch(&body(events), BodyFormat::Json, now)
        .expect("batch")
        .into_iter()
        .map(|e| e.expect("valid"))
        .enumerate()
        .collect()
}

/// `(last_received_at, last_engaged_at)` of a user, if known.
type ProfileTimes = Option<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)>;

/// Everything a duplicate must leave as it was: aggregates (totals and per
/// day), the message's last activity, and the profile of `user-00000`.
#[derive(Debug, PartialEq)]
struct Traces {
    aggregates: Aggregates,
    days: usize,
    last_activity: DateTime<Utc>,
    profile: ProfileTimes,
    hot: i64,
}

async fn traces(s: &Setup, id: i64, now: DateTime<Utc>) -> Traces {
    let detail =
        s.t.db
            .message_detail(&s.t.ws, id, now)
            .await
            .expect("detail");
    Traces {
        aggregates: detail.aggregates,
        days: s.t.db.message_daily_stats(id).await.expect("days").len(),
        last_activity: detail.summary.last_activity_at,
        profile: s
            .t
            .db
            .profile_times(&s.t.ws, "user-00000")
            .await
            .expect("p"),
        hot: s.t.db.count_hot_events(id).await.expect("count"),
    }
}

/// A stopped campaign of 10 users (16 events: `e0-r`, `e0-o`, `e0-c`, ...),
/// expired.
async fn expired_campaign(s: &Setup, name: &str) -> i64 {
    let id = stopped_campaign(s, name, 10).await;
    let report = s.expiry.tick(after_window()).await.expect("expire");
    assert_eq!(report.moved.len(), 1, "{report:?}");
    assert_eq!(state(s, id, after_window()).await, DataState::Expired);
    id
}

#[tokio::test]
async fn an_id_sent_again_after_its_message_expired_is_a_duplicate_and_changes_nothing() {
    let s = setup().await;
    let id = expired_campaign(&s, "Spring").await;
    let now = after_window() + Duration::days(1);
    let before = traces(&s, id, now).await;
    assert_eq!(before.hot, 0);

    let again = [
        ev("e0-r", id, "user-00000", "received"),
        ev("e0-o", id, "user-00000", "opened"),
    ];
    let r = post(&s, &again, now).await;
    assert_eq!((r.accepted, r.duplicates), (0, 2));
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    assert_eq!(traces(&s, id, now).await, before);

    // A new id for the expired message is still accepted and counted.
    let r = post(&s, &[ev("new-1", id, "user-00000", "received")], now).await;
    assert_eq!((r.accepted, r.duplicates), (1, 0));
    let after = traces(&s, id, now).await;
    assert_eq!(after.aggregates.received, before.aggregates.received + 1);
    assert_eq!(after.hot, 1);
    // Everything at once: the same batch a sender would retry.
    let r = post(
        &s,
        &[
            ev("e0-r", id, "user-00000", "received"),
            ev("new-1", id, "user-00000", "received"),
        ],
        now,
    )
    .await;
    assert_eq!((r.accepted, r.duplicates), (0, 2));
    assert_eq!(traces(&s, id, now).await, after);
}

#[tokio::test]
async fn an_id_sent_again_while_its_message_is_restoring_is_a_duplicate_and_after_it_too() {
    let s = setup().await;
    let id = expired_campaign(&s, "Restoring").await;
    let now = after_window() + Duration::days(1);
    let restorer = restorer(&s);
    let request = RestoreRequest {
        message_ids: vec![id],
        ..Default::default()
    };
    let operator = crate::engine::Actor::cli(s.t.ws.clone());
    engine(&s)
        .request_restore(&operator, &request, now)
        .await
        .expect("request");
    assert_eq!(state(&s, id, now).await, DataState::Restoring);

    let before = traces(&s, id, now).await;
    let r = post(&s, &[ev("e3-o", id, "user-00003", "opened")], now).await;
    assert_eq!((r.accepted, r.duplicates), (0, 1));
    assert_eq!(traces(&s, id, now).await, before);

    restorer.run_once(now).await.expect("run").expect("a job");
    assert_eq!(state(&s, id, now).await, DataState::Available);
    let restored = traces(&s, id, now).await;
    assert_eq!(restored.hot, 16);

    // Hot again: the unique index answers, and the archive is not read
    // (a read would fail here).
    s.expiry.archive().faults().arm(FaultPoint::Get, 0);
    let r = post(
        &s,
        &[
            ev("e3-o", id, "user-00003", "opened"),
            ev("new-1", id, "user-00003", "received"),
        ],
        now,
    )
    .await;
    assert_eq!((r.accepted, r.duplicates), (1, 1));
    assert!(
        s.expiry.archive().faults().pending(),
        "the archive was read"
    );
    assert_eq!(traces(&s, id, now).await.hot, 17);
}

#[tokio::test]
async fn a_mixed_batch_counts_hot_and_archived_duplicates_and_keeps_the_new_events() {
    let s = setup().await;
    let expired = expired_campaign(&s, "Expired").await;
    let hot = campaign(&s, "Live", MessageStatus::Active, &[]).await;
    let now = after_window() + Duration::days(1);
    send(&s, hot, 3, "h", now).await;
    let (hot_before, expired_before) = (traces(&s, hot, now).await, traces(&s, expired, now).await);

    let mut bad_variant = ev("b-bad", expired, "user-00001", "received");
    bad_variant["variant"] = "zz".into();
    let r = post(
        &s,
        &[
            ev("h0-r", hot, "user-00000", "received"),
            ev("h-new", hot, "user-00000", "received"),
            ev("e1-r", expired, "user-00001", "received"),
            ev("x-new", expired, "user-00001", "received"),
            ev("x-new", expired, "user-00001", "received"),
            bad_variant,
        ],
        now,
    )
    .await;
    assert_eq!((r.accepted, r.duplicates), (2, 3));
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].index, 5);
    let (hot_after, expired_after) = (traces(&s, hot, now).await, traces(&s, expired, now).await);
    assert_eq!(hot_after.hot, hot_before.hot + 1);
    assert_eq!(expired_after.hot, expired_before.hot + 1);
    assert_eq!(
        hot_after.aggregates.received,
        hot_before.aggregates.received + 1
    );
    assert_eq!(
        expired_after.aggregates.received,
        expired_before.aggregates.received + 1
    );
}

#[tokio::test]
async fn an_expiry_committing_between_the_check_and_the_write_is_caught() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Racing", 10).await;
    let now = after_window();
    let batch = parsed(&[ev("e2-r", id, "user-00002", "received")], now);
    let before = traces(&s, id, now).await;

    // The check sees a hot message; the move commits before the write.
    let mut attempts = Vec::new();
    let outcome = store(&s.t.db, &s.archived, &s.t.ws, &batch, now, async |n| {
        attempts.push(n);
        if n == 0 {
            let report = s.expiry.tick(now).await.expect("expire");
            assert_eq!(report.moved.len(), 1, "{report:?}");
        }
    })
    .await
    .expect("store");
    assert_eq!(attempts, [0, 1], "checked again after the move");
    assert_eq!((outcome.accepted, outcome.duplicates), (0, 1));
    let after = traces(&s, id, now).await;
    assert_eq!(after.aggregates, before.aggregates);
    assert_eq!(after.hot, 0);
}

#[tokio::test]
async fn late_events_appended_between_the_check_and_the_write_are_caught() {
    let s = setup().await;
    let id = expired_campaign(&s, "Late").await;
    let now = after_window() + Duration::days(1);
    let r = post(&s, &[ev("late-1", id, "user-00001", "received")], now).await;
    assert_eq!(r.accepted, 1);
    let batch = parsed(&[ev("late-1", id, "user-00001", "received")], now);
    let before = traces(&s, id, now).await;

    // The check sees the late event hot; the pass appends it to a new
    // segment and deletes it from the hot table before the write.
    let mut attempts = Vec::new();
    let outcome = store(&s.t.db, &s.archived, &s.t.ws, &batch, now, async |n| {
        attempts.push(n);
        if n == 0 {
            let report = s.expiry.tick(now).await.expect("append");
            assert!(report.moved.iter().any(|m| m.appended), "{report:?}");
        }
    })
    .await
    .expect("store");
    assert_eq!(attempts, [0, 1]);
    assert_eq!((outcome.accepted, outcome.duplicates), (0, 1));
    assert_eq!(s.t.db.segments(id).await.expect("segments").len(), 2);
    let after = traces(&s, id, now).await;
    assert_eq!(after.aggregates, before.aggregates);
    assert_eq!(after.hot, 0);
}

#[tokio::test]
async fn answers_stay_exact_when_every_hash_collides_and_when_nothing_is_cached() {
    let s = setup().await;
    let id = expired_campaign(&s, "Collisions").await;
    let now = after_window() + Duration::days(1);
    let cases = [
        ArchivedIds::with_colliding_hashes(s.expiry.archive().clone(), DEFAULT_CACHE_BYTES),
        ArchivedIds::with_budget(s.expiry.archive().clone(), 0),
    ];
    for (n, archived) in cases.iter().enumerate() {
        // First read of the segment, then (for the first case) from cache,
        // where every id is a hash hit that a read must confirm.
        for round in 0..2 {
            let fresh = format!("new-{n}-{round}");
            let events = [
                ev(&fresh, id, "user-00004", "received"),
                ev(&format!("e{round}-r"), id, "user-0000{round}", "received"),
            ];
            let r = post_with(&s, archived, &events, now).await.expect("ingest");
            assert_eq!((r.accepted, r.duplicates), (1, 1), "case {n} round {round}");
        }
    }
    assert!(cases[0].cached_bytes() > 0);
    assert_eq!(cases[1].cached_bytes(), 0);
}

#[tokio::test]
async fn a_cached_segment_answers_new_ids_without_reading_the_archive() {
    let s = setup().await;
    let id = expired_campaign(&s, "Cached").await;
    let now = after_window() + Duration::days(1);
    let r = post(&s, &[ev("new-1", id, "user-00001", "received")], now).await;
    assert_eq!(r.accepted, 1);
    assert!(s.archived.cached_bytes() > 0);

    let faults = s.expiry.archive().faults();
    faults.arm(FaultPoint::Get, 0);
    let r = post(&s, &[ev("new-2", id, "user-00001", "received")], now).await;
    assert_eq!(r.accepted, 1);
    assert!(faults.pending(), "a new id read the archive");

    // A re-sent id is confirmed by a read; if storage fails, nothing is
    // stored and the sender is told to try again.
    let resent = [
        ev("e1-r", id, "user-00001", "received"),
        ev("new-3", id, "user-00001", "received"),
    ];
    let before = traces(&s, id, now).await;
    let err = post_with(&s, &s.archived, &resent, now)
        .await
        .expect_err("storage down");
    assert_eq!(err.status_code(), 503);
    assert!(
        err.to_string().starts_with(&format!("message {id}: ")),
        "{err}"
    );
    assert_eq!(traces(&s, id, now).await, before);
    let r = post(&s, &resent, now).await;
    assert_eq!((r.accepted, r.duplicates), (1, 1));
}
