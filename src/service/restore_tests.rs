//! Restore against real SQLite and a real archive directory.

use chrono::Duration;

use super::restore::{LEASE, RestoreWorker};
use super::test_support::{
    Setup, after_window, alice, all_events, assert_no_orphans, engine, send, setup, state,
    stopped_campaign,
};
use crate::storage::FaultPoint;
use crate::types::{DataState, JobStatus, MessageKind, MessageStatus, RestoreRequest};

fn ids(ids: &[i64]) -> RestoreRequest {
    RestoreRequest {
        message_ids: ids.to_vec(),
        ..Default::default()
    }
}

fn restorer(s: &Setup) -> RestoreWorker {
    super::test_support::restorer(s).with_public_url("https://recall.example")
}

#[tokio::test]
async fn a_restore_brings_every_event_back_at_once_and_emails_the_requester() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Spring", 30).await;
    let before = all_events(&s, id).await;
    s.expiry.tick(after_window()).await.expect("expire");
    let now = after_window() + Duration::days(1);

    let restorer = restorer(&s);
    let preview = engine(&s)
        .preview_restore(&alice(&s), &ids(&[id]))
        .await
        .expect("preview");
    assert_eq!((preview.messages, preview.rows), (1, before.len() as i64));
    assert!(preview.bytes > 0 && preview.estimated_seconds >= 1);

    let batch = engine(&s)
        .request_restore(&alice(&s), &ids(&[id]), now)
        .await
        .expect("request");
    assert_eq!(batch.jobs.len(), 1);
    assert_eq!(batch.jobs[0].status, JobStatus::Queued);
    assert_eq!(batch.jobs[0].rows_total, before.len() as i64);
    assert_eq!(state(&s, id, now).await, DataState::Restoring);
    assert_eq!(s.t.db.count_hot_events(id).await.expect("count"), 0);

    let done = restorer.run_once(now).await.expect("run").expect("a job");
    assert_eq!(done.status, JobStatus::Succeeded);
    assert!(restorer.run_once(now).await.expect("run").is_none());

    let detail =
        s.t.db
            .message_detail(&s.t.ws, id, now)
            .await
            .expect("detail");
    assert_eq!(detail.summary.data_state, DataState::Available);
    let fresh = now
        .checked_add_months(chrono::Months::new(3))
        .expect("date");
    let expires = detail.summary.expires_at.expect("expires");
    assert!(
        expires >= fresh && expires < fresh + Duration::minutes(1),
        "a fresh window: {expires}"
    );
    assert_eq!(
        s.t.db.count_hot_events(id).await.expect("count"),
        before.len() as i64
    );
    assert_eq!(all_events(&s, id).await, before);

    let batch =
        s.t.db
            .restore_batch(&s.t.ws, batch.id)
            .await
            .expect("batch");
    assert!(batch.finished_at.is_some());
    assert_eq!(batch.jobs[0].percent(), 100);
    let mail = s.t.db.recent_mail(10).await.expect("mail");
    let restore_mail: Vec<_> = mail
        .iter()
        .filter(|m| m.key.starts_with("restore-batch"))
        .collect();
    assert_eq!(restore_mail.len(), 1);
    assert_eq!(
        restore_mail[0].recipients,
        vec!["alice@example.com".to_string()]
    );
    assert!(
        restore_mail[0]
            .text
            .contains(&format!("https://recall.example/messages/{id}"))
    );
    assert!(restore_mail[0].text.contains("Spring: restored"));
    let log = s.t.db.audit_log(&s.t.ws, 20).await.expect("audit");
    assert!(
        log.iter()
            .any(|e| e.action == "restore.request" && e.actor == "user:alice@example.com")
    );
    assert!(
        log.iter()
            .any(|e| e.action == "restore.finish" && e.detail.contains("1 of 1 restored"))
    );

    // With no new events, the next expiry reuses the segments as they are.
    let paths: Vec<String> =
        s.t.db
            .segments(id)
            .await
            .expect("s")
            .into_iter()
            .map(|s| s.path)
            .collect();
    let report = s
        .expiry
        .tick(now + Duration::days(95))
        .await
        .expect("re-expire");
    assert_eq!(report.moved.len(), 1);
    assert!(!report.moved[0].written, "nothing rewritten");
    let again: Vec<String> =
        s.t.db
            .segments(id)
            .await
            .expect("s")
            .into_iter()
            .map(|s| s.path)
            .collect();
    assert_eq!(again, paths);
    assert_eq!(all_events(&s, id).await, before);
    assert_no_orphans(&s).await;
}

#[tokio::test]
async fn asking_again_joins_the_running_job_and_hot_data_is_skipped_with_a_reason() {
    let s = setup().await;
    let expired = stopped_campaign(&s, "Old", 3).await;
    let hot = stopped_campaign(&s, "Recent", 3).await;
    send(&s, hot, 1, "new", after_window() - Duration::days(10)).await; // activity keeps it hot
    s.expiry.tick(after_window()).await.expect("expire");
    let canvas =
        s.t.db
            .insert_message(
                &s.t.ws,
                &crate::store::tests::message(
                    MessageKind::Canvas,
                    "Journey",
                    MessageStatus::Stopped,
                    &["promo"],
                ),
            )
            .await
            .expect("canvas");
    let now = after_window();
    let restorer = restorer(&s);

    let first = engine(&s)
        .request_restore(&alice(&s), &ids(&[expired, hot]), now)
        .await
        .expect("r");
    assert_eq!(first.jobs.len(), 1);
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.skipped[0].message_id, hot);
    assert!(first.skipped[0].reason.contains("not expired"));

    let by_tag = RestoreRequest {
        tag: Some("promo".into()),
        ..Default::default()
    };
    let second = engine(&s)
        .request_restore(&alice(&s), &by_tag, now)
        .await
        .expect("r");
    assert_eq!(second.jobs.len(), 1, "{second:?}");
    assert_eq!(
        second.jobs[0].id, first.jobs[0].id,
        "joined, not duplicated"
    );
    assert!(second.skipped.iter().any(|k| k.message_id == canvas));

    restorer.run_once(now).await.expect("run").expect("job");
    assert!(
        restorer.run_once(now).await.expect("run").is_none(),
        "one job only"
    );
    let mail = s.t.db.recent_mail(10).await.expect("mail");
    assert_eq!(
        mail.iter()
            .filter(|m| m.key.starts_with("restore-batch"))
            .count(),
        2,
        "one per batch"
    );

    let bad = RestoreRequest {
        tag: Some("promo".into()),
        message_ids: vec![1],
        notify: None,
    };
    assert!(
        engine(&s)
            .request_restore(&alice(&s), &bad, now)
            .await
            .is_err()
    );
    assert!(
        engine(&s)
            .request_restore(&alice(&s), &RestoreRequest::default(), now)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_missing_or_damaged_segment_fails_the_job_and_a_retry_works_once_it_is_back() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Fragile", 10).await;
    let before = all_events(&s, id).await;
    s.expiry.tick(after_window()).await.expect("expire");
    let now = after_window();
    let restorer = restorer(&s);
    let segment = s.t.db.segments(id).await.expect("s").remove(0);
    let good = s.expiry.archive().get(&segment.path).await.expect("get");

    let mut damaged = good.to_vec();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x5a;
    s.expiry
        .archive()
        .put(&segment.path, damaged.into())
        .await
        .expect("damage");
    engine(&s)
        .request_restore(&alice(&s), &ids(&[id]), now)
        .await
        .expect("request");
    let failed = restorer.run_once(now).await.expect("run").expect("job");
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(
        failed.error.as_deref().unwrap_or("").contains("checksum"),
        "{failed:?}"
    );
    assert_eq!(state(&s, id, now).await, DataState::Expired);
    assert_eq!(
        s.t.db.count_hot_events(id).await.expect("count"),
        0,
        "nothing half-visible"
    );

    s.expiry
        .archive()
        .delete(&segment.path)
        .await
        .expect("delete");
    engine(&s)
        .request_restore(&alice(&s), &ids(&[id]), now)
        .await
        .expect("request");
    let missing = restorer.run_once(now).await.expect("run").expect("job");
    assert!(
        missing.error.as_deref().unwrap_or("").contains("missing"),
        "{missing:?}"
    );
    let mail = s.t.db.recent_mail(10).await.expect("mail");
    assert!(mail[0].text.contains("failed"), "{}", mail[0].text);

    s.expiry
        .archive()
        .put(&segment.path, good)
        .await
        .expect("put back");
    engine(&s)
        .request_restore(&alice(&s), &ids(&[id]), now)
        .await
        .expect("retry");
    let ok = restorer.run_once(now).await.expect("run").expect("job");
    assert_eq!(ok.status, JobStatus::Succeeded);
    assert_eq!(all_events(&s, id).await, before);
}

#[tokio::test]
async fn a_worker_dying_at_any_step_loses_nothing_and_another_finishes_with_one_email() {
    for (point, nth) in [(FaultPoint::Get, 0), (FaultPoint::BeforeCommit, 0)] {
        let s = setup().await;
        let id = stopped_campaign(&s, "Crashy", 20).await;
        // Late events wait hot and must come back exactly once.
        s.expiry.tick(after_window()).await.expect("expire");
        send(&s, id, 2, "late", after_window()).await;
        let before = all_events(&s, id).await;
        let now = after_window();
        let first = restorer(&s).with_owner("a");
        engine(&s)
            .request_restore(&alice(&s), &ids(&[id]), now)
            .await
            .expect("request");

        s.expiry.archive().faults().arm(point, nth);
        let _ = first.run_once(now).await;
        assert!(!s.expiry.archive().faults().pending());
        assert_eq!(all_events(&s, id).await, before, "{point:?}");
        assert_eq!(state(&s, id, now).await, DataState::Restoring);

        let second = restorer(&s).with_owner("b");
        let later = now + LEASE + Duration::minutes(1);
        let done = second.run_once(later).await.expect("run").expect("job");
        assert_eq!(done.status, JobStatus::Succeeded, "{point:?}");
        assert_eq!(all_events(&s, id).await, before);
        assert_eq!(
            s.t.db.count_hot_events(id).await.expect("c"),
            before.len() as i64
        );
        second.finish_batches(later).await.expect("finish");
        let mail = s.t.db.recent_mail(10).await.expect("mail");
        assert_eq!(
            mail.iter()
                .filter(|m| m.key.starts_with("restore-batch"))
                .count(),
            1
        );
    }
}

#[tokio::test]
async fn a_held_lease_keeps_other_workers_away_until_it_runs_out() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Leased", 5).await;
    s.expiry.tick(after_window()).await.expect("expire");
    let now = after_window();
    engine(&s)
        .request_restore(&alice(&s), &ids(&[id]), now)
        .await
        .expect("request");
    let held =
        s.t.db
            .claim_restore_job("a", now + LEASE, now)
            .await
            .expect("claim")
            .expect("job");

    let b = restorer(&s).with_owner("b");
    assert!(
        b.run_once(now + Duration::minutes(1))
            .await
            .expect("run")
            .is_none()
    );
    let done = b
        .run_once(now + LEASE + Duration::seconds(1))
        .await
        .expect("run")
        .expect("job");
    assert_eq!(done.status, JobStatus::Succeeded);
    // The first worker wakes up: its lease is gone, so it changes nothing.
    assert!(
        !s.t.db
            .stage_restore_rows(&held, "a", &[], now + LEASE)
            .await
            .expect("stage")
    );
    assert!(
        !s.t.db
            .complete_restore_job(&held, "a", now)
            .await
            .expect("complete")
    );
}
