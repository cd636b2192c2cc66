//! Ingest against real SQLite: what a batch leaves behind.

use chrono::{DateTime, Duration, Utc};

use super::archived_ids::ArchivedIds;
use crate::domain::batch::BodyFormat;
use crate::storage::LongTermStorage;
use crate::store::tests::{TestDb, fresh, message, t0};
use crate::types::{IngestResult, MessageKind, MessageStatus};

fn body(events: &[serde_json::Value]) -> Vec<u8> {
    serde_json::json!({ "events": events })
        .to_string()
        .into_bytes()
}

/// Ingest with an empty archive beside the database: these tests only
/// meet hot messages.
async fn ingest(
    t: &TestDb,
    body: &[u8],
    format: BodyFormat,
    now: DateTime<Utc>,
) -> crate::error::Result<IngestResult> {
    let dir = tempfile::tempdir().expect("tempdir");
    let archived = ArchivedIds::new(LongTermStorage::local(dir.path()).expect("archive"));
    super::ingest::ingest(&t.db, &archived, &t.ws, body, format, now).await
}

fn ev(id: &str, message: i64, user: &str, kind: &str, at: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "message_id": message, "user_id": user, "kind": kind, "at": at})
}

#[tokio::test]
async fn profiles_keep_the_latest_received_and_engaged_times_and_never_move_back() {
    let t = fresh().await;
    let id =
        t.db.insert_message(
            &t.ws,
            &message(MessageKind::Campaign, "c", MessageStatus::Active, &[]),
        )
        .await
        .expect("insert");
    let now = t0() + Duration::days(30);
    let first = body(&[
        ev("1", id, "alice", "received", "2026-02-01T10:00:00Z"),
        ev("2", id, "alice", "clicked", "2026-02-02T10:00:00Z"),
    ]);
    ingest(&t, &first, BodyFormat::Json, now)
        .await
        .expect("ingest");
    let late = body(&[ev("3", id, "alice", "received", "2026-01-20T10:00:00Z")]);
    ingest(&t, &late, BodyFormat::Json, now)
        .await
        .expect("ingest");

    let (received, engaged) =
        t.db.profile_times(&t.ws, "alice")
            .await
            .expect("read")
            .expect("profile");
    assert_eq!(
        received.map(|t| t.to_rfc3339()),
        Some("2026-02-01T10:00:00+00:00".into())
    );
    assert_eq!(
        engaged.map(|t| t.to_rfc3339()),
        Some("2026-02-02T10:00:00+00:00".into())
    );
}

#[tokio::test]
async fn an_event_arrival_is_activity_for_its_message() {
    let t = fresh().await;
    let id =
        t.db.insert_message(
            &t.ws,
            &message(MessageKind::Campaign, "c", MessageStatus::Stopped, &[]),
        )
        .await
        .expect("insert");
    let arrival = t0() + Duration::days(40);
    let before =
        t.db.message_detail(&t.ws, id, arrival)
            .await
            .expect("detail")
            .summary;
    ingest(
        &t,
        &body(&[ev("1", id, "u", "converted", "2026-02-01T10:00:00Z")]),
        BodyFormat::Json,
        arrival,
    )
    .await
    .expect("ingest");
    let after =
        t.db.message_detail(&t.ws, id, arrival)
            .await
            .expect("detail")
            .summary;
    assert!(before.last_activity_at < arrival);
    assert_eq!(after.last_activity_at, arrival);
    assert_eq!(
        after.expires_at,
        arrival.checked_add_months(chrono::Months::new(3))
    );
}

#[tokio::test]
async fn events_for_another_workspaces_message_are_rejected() {
    let t = fresh().await;
    let other =
        t.db.ensure_workspace("other", "Other", t0())
            .await
            .expect("ws");
    let theirs =
        t.db.insert_message(
            &other,
            &message(MessageKind::Campaign, "theirs", MessageStatus::Active, &[]),
        )
        .await
        .expect("insert");
    let result = ingest(
        &t,
        &body(&[ev("1", theirs, "u", "received", "2026-01-15T10:00:00Z")]),
        BodyFormat::Json,
        t0(),
    )
    .await
    .expect("ingest");
    assert_eq!(result.accepted, 0);
    assert_eq!(
        result.rejected[0].error,
        format!("message {theirs} not found")
    );
    assert_eq!(t.db.count_hot_events(theirs).await.expect("count"), 0);
}
