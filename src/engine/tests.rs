//! The engine's use cases against a real database (SQLite, or PostgreSQL
//! under `make test-postgres`) and real long-term storage in a directory:
//! a change and its audit entry commit together, and starting a message
//! whose data expired queues its restore and wakes the worker.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::{Actor, Config, Engine};
use crate::clock::Clock;
use crate::domain::Transition;
use crate::domain::batch::BodyFormat;
use crate::mail::Mailer;
use crate::storage::LongTermStorage;
use crate::store::tests::{TestDb, fresh, t0};
use crate::types::{DataState, MessageInput, MessageStatus};

struct Setup {
    engine: Engine,
    operator: Actor,
    _t: TestDb,
    _storage: tempfile::TempDir,
}

async fn setup() -> Setup {
    let t = fresh().await;
    let storage = tempfile::tempdir().expect("tempdir");
    let archive = LongTermStorage::local(&storage.path().join("archive")).expect("archive");
    let mailer = Mailer::new(
        None,
        "Recall <recall@localhost>",
        storage.path().join("outbox"),
    )
    .expect("mailer");
    let config = Config::in_dir(storage.path());
    let engine = Engine::assemble(t.db.clone(), archive, mailer, Clock::system(), &config);
    Setup {
        operator: Actor::cli(t.ws.clone()),
        engine,
        _t: t,
        _storage: storage,
    }
}

fn campaign(name: &str) -> MessageInput {
    serde_json::from_value(json!({"kind": "campaign", "name": name, "channel": "email"}))
        .expect("input")
}

/// A campaign that ran at `t0`, got `users` receipts and stopped.
async fn stopped_campaign(s: &Setup, name: &str, users: usize) -> i64 {
    let (engine, actor) = (&s.engine, &s.operator);
    let id = engine
        .create_message(actor, campaign(name), t0())
        .await
        .expect("create")
        .summary
        .id;
    engine
        .change_status(actor, id, Transition::Start, t0())
        .await
        .expect("start");
    let events: Vec<_> = (0..users)
        .map(|u| json!({"id": format!("{name}-{u}"), "message_id": id, "user_id": format!("u{u}"), "kind": "received", "at": t0().to_rfc3339()}))
        .collect();
    let body = serde_json::to_vec(&json!({ "events": events })).expect("json");
    let result = engine
        .ingest(actor, &body, BodyFormat::Json, t0())
        .await
        .expect("ingest");
    assert_eq!(result.accepted as usize, users);
    engine
        .change_status(actor, id, Transition::Stop, t0())
        .await
        .expect("stop");
    id
}

/// Long after the three-month window, when an expiry pass moves the data.
fn months_later() -> DateTime<Utc> {
    t0() + Duration::days(200)
}

async fn expire_all(s: &Setup) {
    let report = s
        .engine
        .expiry("system:test")
        .tick(months_later())
        .await
        .expect("expiry");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
}

async fn audit_actions(s: &Setup) -> Vec<(String, String)> {
    s.engine
        .audit_log(&s.operator, 50)
        .await
        .expect("log")
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

#[tokio::test]
async fn a_refused_change_writes_no_audit_entry() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Spring", 3).await;
    expire_all(&s).await;
    let before = audit_actions(&s).await;
    let refused = s.engine.pin(&s.operator, id, None, months_later()).await;
    assert!(
        matches!(refused, Err(crate::Error::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(audit_actions(&s).await, before, "nothing was audited");
}

#[tokio::test]
async fn a_pin_and_its_audit_entry_are_one_change() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Summer", 2).await;
    let detail = s
        .engine
        .pin(&s.operator, id, None, t0())
        .await
        .expect("pin");
    assert!(detail.pinned);
    let (action, text) = audit_actions(&s).await.remove(0);
    assert_eq!(action, "message.pin");
    assert_eq!(text, format!("message {id} kept available until unpinned"));
}

#[tokio::test]
async fn starting_a_message_whose_data_expired_queues_its_restore_and_wakes_the_worker() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Autumn", 4).await;
    expire_all(&s).await;
    let now = months_later() + Duration::days(1);
    let woken = s.engine.restores_requested();
    let detail = s
        .engine
        .change_status(&s.operator, id, Transition::Start, now)
        .await
        .expect("start");
    assert_eq!(detail.summary.status, MessageStatus::Active);
    assert_eq!(detail.summary.data_state, DataState::Restoring);
    tokio::time::timeout(std::time::Duration::from_secs(5), woken)
        .await
        .expect("the worker was woken after the commit");
    let batches = s.engine.list_restores(&s.operator).await.expect("list");
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].jobs.len(), 1);
    assert_eq!(batches[0].jobs[0].message_id, id);
    let actions: Vec<String> = audit_actions(&s)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(actions[..2], ["restore.request", "message.status"]);

    // The worker brings it back; the next start queues nothing more.
    let worker = s.engine.restore_worker();
    while worker.run_once(now).await.expect("run").is_some() {}
    s.engine
        .change_status(&s.operator, id, Transition::Stop, now)
        .await
        .expect("stop");
    s.engine
        .change_status(&s.operator, id, Transition::Start, now)
        .await
        .expect("start again");
    assert_eq!(
        s.engine
            .list_restores(&s.operator)
            .await
            .expect("list")
            .len(),
        1
    );
}

#[tokio::test]
async fn an_audience_naming_expired_data_of_an_active_message_restores_it_in_the_same_change() {
    let s = setup().await;
    let old = stopped_campaign(&s, "Old", 3).await;
    expire_all(&s).await;
    let now = months_later() + Duration::days(1);
    let live = s
        .engine
        .create_message(&s.operator, campaign("Winback"), now)
        .await
        .expect("create")
        .summary
        .id;
    s.engine
        .change_status(&s.operator, live, Transition::Start, now)
        .await
        .expect("start");
    let input = serde_json::from_value(json!({
        "filter": {"all": [{"any": [{"filter": "received", "message_id": old}]}]},
        "segment_ids": []
    }))
    .expect("input");
    let view = s
        .engine
        .set_audience(&s.operator, live, &input, now)
        .await
        .expect("audience");
    let batch = view.restore_id.expect("a restore was queued");
    let queued = s.engine.restore(&s.operator, batch).await.expect("batch");
    assert_eq!(queued.jobs[0].message_id, old);
    let actions: Vec<String> = audit_actions(&s)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(actions[..2], ["restore.request", "message.audience"]);
}
