//! Store tests against a real database, a fresh one per test: SQLite by
//! default, PostgreSQL when `RECALL_TEST_DATABASE_URL` names a server
//! (`make test-postgres` sets it to an admin URL of a throwaway cluster).

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::domain::{MessageName, TagName};
use crate::types::{Channel, DataState, MessageKind, MessageListQuery, MessageStatus, SortKey};

pub(crate) struct TestDb {
    pub db: Db,
    pub ws: Workspace,
    _dir: tempfile::TempDir,
}

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 9, 0, 0)
        .single()
        .expect("valid")
}

pub(crate) async fn fresh() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = match std::env::var("RECALL_TEST_DATABASE_URL") {
        Ok(admin) => Db::connect(&fresh_postgres_database(&admin).await)
            .await
            .expect("connect to postgres"),
        Err(_) => Db::open_in_dir(dir.path()).await.expect("open db"),
    };
    let ws = db
        .ensure_workspace("default", "Default", t0())
        .await
        .expect("workspace");
    TestDb { db, ws, _dir: dir }
}

/// Creates an empty database on the server `admin` points at and returns
/// its URL.
pub(crate) async fn fresh_postgres_database(admin: &str) -> String {
    use sqlx::Connection;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "recall_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        Utc::now().timestamp_micros()
    );
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to the postgres admin url");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = admin.rsplit_once('/').expect("admin url ends in /DATABASE");
    format!("{base}/{name}")
}

pub(crate) fn message(
    kind: MessageKind,
    name: &str,
    status: MessageStatus,
    tags: &[&str],
) -> NewMessage {
    let created_at = t0();
    let started_at = (status != MessageStatus::Draft).then(|| created_at + Duration::hours(1));
    let stopped_at = matches!(status, MessageStatus::Stopped | MessageStatus::Archived)
        .then(|| created_at + Duration::days(2));
    NewMessage {
        kind,
        name: MessageName::parse(name).expect("name"),
        description: String::new(),
        channel: Channel::Email,
        status,
        tags: TagName::parse_all(tags).expect("tags"),
        variants: vec![NewVariant {
            key: "a".into(),
            name: "A".into(),
            is_control: false,
        }],
        steps: Vec::new(),
        created_at,
        started_at,
        stopped_at,
    }
}

fn names(page: &crate::types::Page<crate::types::MessageSummary>) -> Vec<&str> {
    page.items.iter().map(|m| m.name.as_str()).collect()
}

#[tokio::test]
async fn list_filters_by_kind_tag_search_and_hides_archived_by_default() {
    let t = fresh().await;
    use MessageKind::*;
    use MessageStatus::*;
    t.db.insert_messages(
        &t.ws,
        &[
            message(Campaign, "Spring sale", Stopped, &["promo", "q1"]),
            message(Campaign, "Summer sale", Active, &["promo"]),
            message(Campaign, "Old newsletter", Archived, &["promo"]),
            message(Canvas, "Onboarding", Active, &["promo"]),
        ],
    )
    .await
    .expect("insert");

    let mut q = MessageListQuery::for_kind(Campaign);
    q.sort = SortKey::Name;
    q.descending = false;
    let page = t.db.list_messages(&t.ws, &q, t0()).await.expect("list");
    assert_eq!(names(&page), ["Spring sale", "Summer sale"]);
    assert_eq!(page.total, 2);

    q.tags = vec!["PROMO".into(), "q1".into()];
    let page = t.db.list_messages(&t.ws, &q, t0()).await.expect("list");
    assert_eq!(names(&page), ["Spring sale"], "every chip must match");

    q.tags.clear();
    q.q = "SUMMER".into();
    assert_eq!(
        names(&t.db.list_messages(&t.ws, &q, t0()).await.expect("list")),
        ["Summer sale"]
    );

    q.q = "%".into();
    assert!(
        t.db.list_messages(&t.ws, &q, t0())
            .await
            .expect("list")
            .items
            .is_empty(),
        "LIKE wildcards are escaped"
    );

    q.q.clear();
    q.status = Some(Archived);
    assert_eq!(
        names(&t.db.list_messages(&t.ws, &q, t0()).await.expect("list")),
        ["Old newsletter"]
    );
}

#[tokio::test]
async fn list_filters_by_data_state_and_pages_through_all_matches() {
    let t = fresh().await;
    let all: Vec<NewMessage> = (0..7)
        .map(|i| {
            let status = if i < 3 {
                MessageStatus::Active
            } else {
                MessageStatus::Stopped
            };
            message(MessageKind::Campaign, &format!("m{i}"), status, &[])
        })
        .collect();
    t.db.insert_messages(&t.ws, &all).await.expect("insert");

    let mut q = MessageListQuery::for_kind(MessageKind::Campaign);
    q.data_state = Some(DataState::Live);
    assert_eq!(
        t.db.list_messages(&t.ws, &q, t0())
            .await
            .expect("list")
            .total,
        3
    );
    q.data_state = Some(DataState::Available);
    let page = t.db.list_messages(&t.ws, &q, t0()).await.expect("list");
    assert_eq!(page.total, 4);
    assert!(
        page.items
            .iter()
            .all(|m| m.data_state == DataState::Available && m.expires_at.is_some())
    );

    q.data_state = None;
    q.per_page = 3;
    q.page = 3;
    let last = t.db.list_messages(&t.ws, &q, t0()).await.expect("list");
    assert_eq!((last.items.len(), last.total, last.page_count()), (1, 7, 3));
    let ids =
        t.db.matching_message_ids(&t.ws, &q, t0())
            .await
            .expect("ids");
    assert_eq!(ids.len(), 7, "select-all ignores paging");
}

#[tokio::test]
async fn another_workspace_cannot_see_a_message() {
    let t = fresh().await;
    let other =
        t.db.ensure_workspace("acme", "Acme", t0())
            .await
            .expect("ws");
    let id =
        t.db.insert_message(
            &t.ws,
            &message(MessageKind::Campaign, "Mine", MessageStatus::Active, &["x"]),
        )
        .await
        .expect("insert");
    let err =
        t.db.message_detail(&other, id, t0())
            .await
            .expect_err("hidden");
    assert_eq!(err.status_code(), 404);
    let q = MessageListQuery::default();
    assert_eq!(
        t.db.list_messages(&other, &q, t0())
            .await
            .expect("list")
            .total,
        0
    );
    assert!(t.db.list_tags(&other).await.expect("tags").is_empty());
}

#[tokio::test]
async fn message_detail_carries_variants_tags_and_expiry_date() {
    let t = fresh().await;
    let id =
        t.db.insert_message(
            &t.ws,
            &message(
                MessageKind::Campaign,
                "Detail",
                MessageStatus::Stopped,
                &["b", "a"],
            ),
        )
        .await
        .expect("insert");
    let d =
        t.db.message_detail(&t.ws, id, t0() + Duration::days(3))
            .await
            .expect("detail");
    assert_eq!(d.summary.tags, ["a", "b"]);
    assert_eq!(d.variants.len(), 1);
    assert_eq!(d.summary.data_state, DataState::Available);
    let stopped = t0() + Duration::days(2);
    assert_eq!(d.summary.last_activity_at, stopped);
    assert_eq!(
        d.summary.expires_at,
        stopped.checked_add_months(chrono::Months::new(3))
    );
}

#[tokio::test]
async fn duplicate_variant_keys_are_refused_and_nothing_is_written() {
    let t = fresh().await;
    let mut m = message(MessageKind::Campaign, "Dup", MessageStatus::Draft, &[]);
    m.variants.push(NewVariant {
        key: "a".into(),
        name: "again".into(),
        is_control: false,
    });
    let err = t.db.insert_message(&t.ws, &m).await.expect_err("duplicate");
    assert_eq!(
        err,
        crate::Error::invalid("variant key \"a\" is used twice")
    );
    assert_eq!(t.db.count_messages(&t.ws).await.expect("count"), 0);
}

#[tokio::test]
async fn tags_are_counted_renamed_and_merged() {
    let t = fresh().await;
    use MessageKind::Campaign;
    use MessageStatus::Active;
    t.db.insert_messages(
        &t.ws,
        &[
            message(Campaign, "one", Active, &["promo", "sale"]),
            message(Campaign, "two", Active, &["sale"]),
        ],
    )
    .await
    .expect("insert");
    let tag = |s: &str| TagName::parse(s).expect("tag");
    t.db.rename_tag(&t.ws, &tag("promo"), &tag("promotion"))
        .await
        .expect("rename");
    t.db.merge_tags(&t.ws, &[tag("sale")], &tag("promotion"))
        .await
        .expect("merge");
    let tags = t.db.list_tags(&t.ws).await.expect("tags");
    assert_eq!(
        tags,
        [crate::types::TagCount {
            name: "promotion".into(),
            messages: 2
        }]
    );
    let err =
        t.db.rename_tag(&t.ws, &tag("nope"), &tag("x"))
            .await
            .expect_err("missing");
    assert_eq!(err.status_code(), 404);
}

#[tokio::test]
async fn the_demo_seed_is_realistic_and_runs_once() {
    let t = fresh().await;
    let created = crate::seed::seed_demo(&t.db, &t.ws, t0())
        .await
        .expect("seed");
    assert_eq!(created, 368);
    assert_eq!(
        crate::seed::seed_demo(&t.db, &t.ws, t0())
            .await
            .expect("again"),
        0
    );
    let campaigns = MessageListQuery {
        status: None,
        ..MessageListQuery::for_kind(MessageKind::Campaign)
    };
    let page =
        t.db.list_messages(&t.ws, &campaigns, t0())
            .await
            .expect("list");
    assert!(
        page.total > 200,
        "hundreds of campaigns, got {}",
        page.total
    );
    let tags = t.db.list_tags(&t.ws).await.expect("tags");
    assert!(tags.len() >= 10);
}
