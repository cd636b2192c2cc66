//! Test support shared by the service tests (`src/service/*_tests.rs`): a
//! fresh database with a real archive directory, campaigns with events, and
//! the invariants every data move is checked against.

use chrono::{DateTime, Duration, Utc};

use super::archived_ids::ArchivedIds;
use super::expiry::Expiry;
use super::ingest::ingest;
use super::restore::RestoreWorker;
use crate::clock::Clock;
use crate::domain::batch::BodyFormat;
use crate::engine::{Actor, Config, Engine};
use crate::storage::{ArchivedEvent, LongTermStorage, SegmentReader};
use crate::store::tests::{TestDb, fresh, message, t0};
use crate::types::{DataState, MessageKind, MessageStatus};

pub(super) struct Setup {
    pub(super) t: TestDb,
    pub(super) expiry: Expiry,
    /// Ingest's view of the same archive.
    pub(super) archived: ArchivedIds,
    _archive_dir: tempfile::TempDir,
}

pub(super) async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = LongTermStorage::local(dir.path()).expect("archive");
    setup_with(archive, dir).await
}

/// A fresh database with `archive` as long-term storage; `dir` lives as
/// long as the setup.
pub(super) async fn setup_with(archive: LongTermStorage, dir: tempfile::TempDir) -> Setup {
    let t = fresh().await;
    let archived = ArchivedIds::new(archive.clone());
    let expiry = Expiry::new(t.db.clone(), archive);
    Setup {
        t,
        expiry,
        archived,
        _archive_dir: dir,
    }
}

/// A campaign without events yet.
pub(super) async fn campaign(s: &Setup, name: &str, status: MessageStatus, tags: &[&str]) -> i64 {
    s.t.db
        .insert_message(&s.t.ws, &message(MessageKind::Campaign, name, status, tags))
        .await
        .expect("insert")
}

/// A stopped campaign with `users` users who each received, some opened
/// and clicked; ingested two days after t0, which is its last activity.
pub(super) async fn stopped_campaign(s: &Setup, name: &str, users: usize) -> i64 {
    let id = campaign(s, name, MessageStatus::Stopped, &["promo"]).await;
    send(s, id, users, "e", t0() + Duration::days(2)).await;
    id
}

pub(super) async fn send(s: &Setup, id: i64, users: usize, prefix: &str, now: DateTime<Utc>) {
    let mut events = Vec::new();
    for u in 0..users {
        let user = format!("user-{u:05}");
        let at = "2026-01-16T10:00:00Z";
        events.push(
            serde_json::json!({"id": format!("{prefix}{u}-r"), "message_id": id,
            "user_id": user, "kind": "received", "at": at, "variant": "a"}),
        );
        if u % 3 == 0 {
            events.push(
                serde_json::json!({"id": format!("{prefix}{u}-o"), "message_id": id,
                "user_id": user, "kind": "opened", "at": at, "machine": u % 2 == 0}),
            );
        }
        if u % 5 == 0 {
            events.push(
                serde_json::json!({"id": format!("{prefix}{u}-c"), "message_id": id,
                "user_id": user, "kind": "clicked", "at": at, "link": "cta"}),
            );
        }
    }
    let body = serde_json::json!({ "events": events }).to_string();
    let result = ingest(
        &s.t.db,
        &s.archived,
        &s.t.ws,
        body.as_bytes(),
        BodyFormat::Json,
        now,
    )
    .await
    .expect("ingest");
    assert!(result.rejected.is_empty(), "{:?}", result.rejected);
}

/// Every event of a message, wherever it is: hot rows plus every listed
/// segment, sorted. The invariant of every data move.
pub(super) async fn all_events(s: &Setup, id: i64) -> Vec<ArchivedEvent> {
    let mut out = Vec::new();
    let mut snapshot = s.t.db.event_snapshot(id).await.expect("snapshot");
    loop {
        let page = snapshot.next_page(1000).await.expect("page");
        if page.is_empty() {
            break;
        }
        out.extend(page);
    }
    drop(snapshot);
    if s.t
        .db
        .message_location(&s.t.ws, id)
        .await
        .expect("location")
        != crate::domain::DataLocation::Hot
    {
        for segment in s.t.db.segments(id).await.expect("segments") {
            let bytes = s.expiry.archive().get(&segment.path).await.expect("get");
            let reader =
                SegmentReader::open(bytes, &segment.checksum, segment.rows as u64).expect("open");
            for group in 0..reader.row_groups() {
                out.extend(reader.read_row_group(group).expect("group"));
            }
        }
    }
    out.sort_by(|a, b| {
        (a.kind, a.profile_id, a.at, &a.event_id).cmp(&(b.kind, b.profile_id, b.at, &b.event_id))
    });
    out
}

pub(super) async fn state(s: &Setup, id: i64, now: DateTime<Utc>) -> DataState {
    s.t.db
        .message_detail(&s.t.ws, id, now)
        .await
        .expect("detail")
        .summary
        .data_state
}

/// The paths of the objects in long-term storage, sorted.
pub(super) async fn stored_paths(s: &Setup) -> Vec<String> {
    let mut paths: Vec<String> = s
        .expiry
        .archive()
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.path)
        .collect();
    paths.sort();
    paths
}

/// Objects in the store and paths in the manifest are the same set.
pub(super) async fn assert_no_orphans(s: &Setup) {
    let objects = stored_paths(s).await;
    let mut known: Vec<String> =
        s.t.db
            .known_object_paths()
            .await
            .expect("known")
            .into_iter()
            .collect();
    known.sort();
    assert_eq!(objects, known);
}

pub(super) fn after_window() -> DateTime<Utc> {
    t0() + Duration::days(2) + Duration::days(95)
}

/// A restore worker on the setup's database and archive.
pub(super) fn restorer(s: &Setup) -> RestoreWorker {
    RestoreWorker::new(s.t.db.clone(), s.expiry.archive().clone())
}

/// The engine on the setup's database and archive: restore requests and
/// audience changes go through its use cases, as every adapter's do.
pub(super) fn engine(s: &Setup) -> Engine {
    let outbox = s._archive_dir.path().join("outbox");
    let mailer =
        crate::mail::Mailer::new(None, "Recall <recall@localhost>", outbox).expect("mailer");
    let config = Config::in_dir(s._archive_dir.path());
    Engine::assemble(
        s.t.db.clone(),
        s.expiry.archive().clone(),
        mailer,
        Clock::system(),
        &config,
    )
}

/// A dashboard user asking for restores, with an email address for the
/// notice.
pub(super) fn alice(s: &Setup) -> Actor {
    Actor::person(s.t.ws.clone(), "alice@example.com")
}
