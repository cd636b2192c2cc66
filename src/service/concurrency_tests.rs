//! Requests that race each other end in one defined state with nothing
//! lost: a restore asked for while the message is being expired, and two
//! restores of one tag at once.

use chrono::Duration;

use super::restore::RestoreWorker;
use super::test_support::{
    Setup, after_window, all_events, engine, restorer, setup, state, stopped_campaign,
};
use crate::engine::Actor;
use crate::types::{DataState, JobStatus, RestoreRequest};

fn requester(s: &Setup, who: &str) -> Actor {
    Actor::person(s.t.ws.clone(), who)
}

/// Runs the worker until no job is left, then closes the batches.
async fn drain(restorer: &RestoreWorker, now: chrono::DateTime<chrono::Utc>) {
    while let Some(outcome) = restorer.run_once(now).await.expect("run") {
        assert_eq!(outcome.status, JobStatus::Succeeded, "{outcome:?}");
    }
    restorer.finish_batches(now).await.expect("finish");
}

async fn restore_mails(s: &Setup) -> usize {
    let mail = s.t.db.recent_mail(50).await.expect("mail");
    mail.iter()
        .filter(|m| m.key.starts_with("restore-batch"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_racing_an_expiry_either_restores_or_is_skipped_and_loses_nothing() {
    let (mut restored, mut skipped) = (0, 0);
    for round in 0..8 {
        let s = setup().await;
        let id = stopped_campaign(&s, &format!("Race {round}"), 40).await;
        let before = all_events(&s, id).await;
        let now = after_window();
        let request = RestoreRequest {
            message_ids: vec![id],
            ..Default::default()
        };
        let worker = restorer(&s);
        let (asking, ana) = (engine(&s), requester(&s, "ana@example.com"));
        let ask = tokio::spawn(async move { asking.request_restore(&ana, &request, now).await });
        s.expiry.tick(now).await.expect("expire");
        let batch = ask.await.expect("task").expect("request");
        drain(&worker, now).await;

        // Either the request came after the commit and brought the data
        // back, or before it and was told the data was still hot.
        if batch.jobs.len() == 1 {
            restored += 1;
            assert_eq!(restore_mails(&s).await, 1, "one email per batch");
            assert_eq!(state(&s, id, now).await, DataState::Available);
            assert_eq!(
                s.t.db.count_hot_events(id).await.expect("count"),
                before.len() as i64
            );
        } else {
            skipped += 1;
            assert_eq!(batch.skipped.len(), 1, "{batch:?}");
            assert_eq!(state(&s, id, now).await, DataState::Expired);
            assert_eq!(s.t.db.count_hot_events(id).await.expect("count"), 0);
            // The answer itself says why; there is nothing to email about.
            assert_eq!(restore_mails(&s).await, 0);
        }
        assert_eq!(all_events(&s, id).await, before, "round {round}");
    }
    assert_eq!(restored + skipped, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_restores_of_one_tag_at_once_share_one_job_per_message() {
    let s = setup().await;
    let mut ids = Vec::new();
    let mut before = Vec::new();
    for name in ["Tagged A", "Tagged B", "Tagged C"] {
        let id = stopped_campaign(&s, name, 25).await;
        ids.push(id);
    }
    for id in &ids {
        before.push(all_events(&s, *id).await);
    }
    let now = after_window();
    s.expiry.tick(now).await.expect("expire");
    let later = now + Duration::hours(1);

    let by_tag = RestoreRequest {
        tag: Some("promo".into()),
        ..Default::default()
    };
    let (first, second) = (engine(&s), engine(&s));
    let (ana, bo) = (
        requester(&s, "ana@example.com"),
        requester(&s, "bo@example.com"),
    );
    let (tag_a, tag_b) = (by_tag.clone(), by_tag);
    let a = tokio::spawn(async move { first.request_restore(&ana, &tag_a, later).await });
    let b = tokio::spawn(async move { second.request_restore(&bo, &tag_b, later).await });
    let a = a.await.expect("task").expect("request a");
    let b = b.await.expect("task").expect("request b");

    // Both batches name all three messages, through the same three jobs.
    let jobs = |batch: &crate::types::RestoreBatch| {
        let mut jobs: Vec<(i64, i64)> = batch.jobs.iter().map(|j| (j.message_id, j.id)).collect();
        jobs.sort();
        jobs
    };
    assert_eq!(jobs(&a).len(), 3, "{a:?}");
    assert_eq!(jobs(&a), jobs(&b));

    drain(&restorer(&s), later).await;
    for (id, events) in ids.iter().zip(&before) {
        assert_eq!(state(&s, *id, later).await, DataState::Available);
        assert_eq!(&all_events(&s, *id).await, events);
        assert_eq!(
            s.t.db.count_hot_events(*id).await.expect("count"),
            events.len() as i64,
            "no row twice"
        );
    }
    assert_eq!(restore_mails(&s).await, 2, "one email for each requester");
}
