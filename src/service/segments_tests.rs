//! Audiences against real SQLite: per-user semantics, retention through
//! references, incomplete results and automatic restores.

use chrono::Duration;
use serde_json::json;

use super::bitmaps::SegmentIndex;
use super::segments::{evaluate, users, validate};
use super::test_support::{
    Setup, after_window, alice, campaign, engine, setup, state, stopped_campaign,
};
use crate::domain::Audience;
use crate::domain::Transition;
use crate::domain::batch::BodyFormat;
use crate::store::tests::t0;
use crate::types::{AudienceInput, DataState, MessageStatus, SegmentInput};

fn ev(id: &str, m: i64, user: &str, kind: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut e = json!({"id": id, "message_id": m, "user_id": user, "kind": kind, "at": "2026-01-16T10:00:00Z"});
    if let (Some(obj), Some(more)) = (e.as_object_mut(), extra.as_object()) {
        obj.extend(more.clone());
    }
    e
}

async fn ingest(s: &Setup, events: Vec<serde_json::Value>) {
    let body = json!({ "events": events }).to_string();
    let r = super::ingest::ingest(
        &s.t.db,
        &s.archived,
        &s.t.ws,
        body.as_bytes(),
        BodyFormat::Json,
        t0() + Duration::days(2),
    )
    .await
    .expect("ingest");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
}

#[tokio::test]
async fn filters_are_per_user_so_has_not_opened_means_no_open_by_that_user() {
    let s = setup().await;
    let x = campaign(&s, "X", MessageStatus::Stopped, &["promo"]).await;
    let y = campaign(&s, "Y", MessageStatus::Stopped, &[]).await;
    ingest(
        &s,
        vec![
            ev("1", x, "alice", "received", json!({"variant": "a"})),
            ev("2", x, "alice", "opened", json!({})),
            ev("3", x, "alice", "opened", json!({})),
            ev("4", x, "bob", "received", json!({})),
            ev("5", y, "carol", "received", json!({})),
            ev("6", x, "dave", "received", json!({})),
            ev("7", x, "dave", "opened", json!({"machine": true})),
            ev("8", x, "bob", "clicked", json!({"link": "cta"})),
        ],
    )
    .await;
    let now = t0() + Duration::days(3);
    let count = |filter: serde_json::Value| {
        let s = &s;
        async move {
            let a = validate(&s.t.db, &s.t.ws, &filter).await.expect("valid");
            evaluate(&s.t.db, &SegmentIndex::default(), &s.t.ws, &[&a], now)
                .await
                .expect("evaluate")
                .count
        }
    };
    let opened = json!({"filter": "opened", "message_id": x});
    let not_opened = json!({"filter": "opened", "message_id": x, "negate": true});
    let received = json!({"filter": "received", "message_id": x});
    assert_eq!(
        count(json!({"all": [{"any": [opened.clone()]}]})).await,
        2,
        "alice twice is one user"
    );
    assert_eq!(
        count(json!({"all": [{"any": [received.clone()]}, {"any": [not_opened.clone()]}]})).await,
        1,
        "bob"
    );
    assert_eq!(
        count(json!({"all": [{"any": [not_opened]}]})).await,
        2,
        "bob and carol"
    );
    assert_eq!(count(json!({"all": [{"any": [{"filter": "opened", "message_id": x, "exclude_machine_opens": true}]}]})).await, 1);
    assert_eq!(count(json!({"all": [{"any": [{"filter": "clicked", "message_id": x, "link": "cta"}, {"filter": "received", "message_id": y}]}]})).await, 2, "OR");
    assert_eq!(count(json!({"all": [{"any": [{"filter": "received_variant", "message_id": x, "variant": "a"}]}]})).await, 1);
    assert_eq!(
        count(json!({"all": [{"any": [{"filter": "received_with_tag", "tag": "promo"}]}]})).await,
        3
    );
    assert_eq!(
        count(json!({"all": [{"any": [{"filter": "last_received_any", "within_days": 30}]}]}))
            .await,
        4
    );
    assert_eq!(
        count(json!({"all": [{"any": [{"filter": "last_received_any", "more_than_days": 30}]}]}))
            .await,
        0
    );
    assert_eq!(count(json!({"all": []})).await, 4, "no filters: everyone");

    let a = validate(&s.t.db, &s.t.ws, &json!({"all": [{"any": [received]}]}))
        .await
        .expect("v");
    let first = users(&s.t.db, &SegmentIndex::default(), &s.t.ws, &[&a], now, 0, 2)
        .await
        .expect("users");
    assert_eq!(first.users, vec!["alice".to_string(), "bob".to_string()]);
    let rest = users(
        &s.t.db,
        &SegmentIndex::default(),
        &s.t.ws,
        &[&a],
        now,
        first.next_cursor.expect("more"),
        2,
    )
    .await
    .expect("users");
    assert_eq!(rest.users, vec!["dave".to_string()]);
    assert_eq!(rest.next_cursor, None);

    for (bad, says) in [
        (
            json!({"all": [{"any": [{"filter": "opened", "message_id": 999}]}]}),
            "message 999 not found",
        ),
        (
            json!({"all": [{"any": [{"filter": "received", "message_id": x, "step": "nope"}]}]}),
            "has no step \"nope\"",
        ),
        (
            json!({"all": [{"any": [{"filter": "received_variant", "message_id": x, "variant": "z"}]}]}),
            "has no variant \"z\"",
        ),
        (
            json!({"all": [{"any": [{"filter": "received_with_tag", "tag": "nope"}]}]}),
            "tag \"nope\" not found",
        ),
    ] {
        let err = validate(&s.t.db, &s.t.ws, &bad)
            .await
            .expect_err("invalid")
            .to_string();
        assert!(err.contains(says), "{err}");
    }
}

#[tokio::test]
async fn a_specific_filter_of_an_active_message_retains_until_the_reference_goes_away() {
    let s = setup().await;
    let m = stopped_campaign(&s, "Retained", 3).await;
    let by_tag = stopped_campaign(&s, "Tagged only", 3).await;
    let a = campaign(&s, "Retargeting", MessageStatus::Active, &[]).await;
    let audiences = engine(&s);
    let input = AudienceInput {
        filter: json!({"all": [{"any": [{"filter": "opened", "message_id": m, "negate": true}]},
                               {"any": [{"filter": "received_with_tag", "tag": "promo"}]}]}),
        segment_ids: vec![],
    };
    audiences
        .set_audience(&alice(&s), a, &input, t0() + Duration::days(3))
        .await
        .expect("audience");

    assert_eq!(state(&s, m, after_window()).await, DataState::Retained);
    assert_eq!(
        state(&s, by_tag, after_window()).await,
        DataState::Available,
        "tags retain nothing"
    );
    let who = s.t.db.retained_by(m).await.expect("retained by");
    assert_eq!(who, vec![(a, "Retargeting".to_string(), None)]);
    let report = s.expiry.tick(after_window()).await.expect("tick");
    assert_eq!(
        report.moved.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![by_tag]
    );

    // The reference ends when the active message stops: a window starts then.
    let stopped_at = after_window() + Duration::days(1);
    s.t.db
        .transition_message(&s.t.ws, a, Transition::Stop, stopped_at)
        .await
        .expect("stop");
    assert_eq!(state(&s, m, stopped_at).await, DataState::Available);
    assert!(
        s.expiry
            .due(stopped_at + Duration::days(80))
            .await
            .expect("due")
            .iter()
            .all(|d| d.id != m)
    );
    assert!(
        s.expiry
            .due(stopped_at + Duration::days(93))
            .await
            .expect("due")
            .iter()
            .any(|d| d.id == m)
    );
}

#[tokio::test]
async fn segments_retain_through_the_messages_that_use_them() {
    let s = setup().await;
    let m = stopped_campaign(&s, "Named", 2).await;
    let a = campaign(&s, "User", MessageStatus::Active, &[]).await;
    let audiences = engine(&s);
    let segment = audiences
        .create_segment(
            &alice(&s),
            &SegmentInput {
                name: "Openers".into(),
                filter: json!({"all": [{"any": [{"filter": "opened", "message_id": m}]}]}),
            },
            t0(),
        )
        .await
        .expect("segment");
    assert_eq!(
        state(&s, m, after_window()).await,
        DataState::Available,
        "unused segment"
    );
    let input = AudienceInput {
        filter: json!({"all": []}),
        segment_ids: vec![segment.id],
    };
    audiences
        .set_audience(&alice(&s), a, &input, t0())
        .await
        .expect("audience");
    assert_eq!(state(&s, m, after_window()).await, DataState::Retained);
    let who = s.t.db.retained_by(m).await.expect("who");
    assert_eq!(who[0].2.as_deref(), Some("Openers"));
    assert!(
        s.t.db
            .delete_segment(&s.t.ws, segment.id, t0())
            .await
            .is_err(),
        "in use"
    );
}

#[tokio::test]
async fn expired_inputs_make_results_incomplete_and_using_them_restores_them() {
    let s = setup().await;
    let m = stopped_campaign(&s, "Old", 3).await;
    s.expiry.tick(after_window()).await.expect("expire");
    let now = after_window();
    let filter = json!({"all": [{"any": [{"filter": "opened", "message_id": m, "negate": true}]}]});
    let a: Audience = validate(&s.t.db, &s.t.ws, &filter).await.expect("valid");
    let evaluation = evaluate(&s.t.db, &SegmentIndex::default(), &s.t.ws, &[&a], now)
        .await
        .expect("eval");
    assert!(evaluation.incomplete);
    assert_eq!(evaluation.expired_messages[0].id, m);
    assert_eq!(evaluation.expired_messages[0].name, "Old");
    let tag = validate(
        &s.t.db,
        &s.t.ws,
        &json!({"all": [{"any": [{"filter": "received_with_tag", "tag": "promo"}]}]}),
    )
    .await
    .expect("valid");
    assert!(
        evaluate(&s.t.db, &SegmentIndex::default(), &s.t.ws, &[&tag], now)
            .await
            .expect("eval")
            .incomplete
    );

    // Drafts do not pull data back; an active message's audience does.
    let draft = campaign(&s, "Draft", MessageStatus::Draft, &[]).await;
    let audiences = engine(&s);
    let input = AudienceInput {
        filter,
        segment_ids: vec![],
    };
    let view = audiences
        .set_audience(&alice(&s), draft, &input, now)
        .await
        .expect("draft audience");
    assert_eq!(view.restore_id, None);
    assert_eq!(state(&s, m, now).await, DataState::Expired);
    let active = campaign(&s, "Active", MessageStatus::Active, &[]).await;
    let view = audiences
        .set_audience(&alice(&s), active, &input, now)
        .await
        .expect("audience");
    assert!(view.restore_id.is_some());
    assert_eq!(state(&s, m, now).await, DataState::Restoring);

    // Starting the draft now needs nothing new: the data is on its way.
    let queued = audiences
        .list_restores(&alice(&s))
        .await
        .expect("list")
        .len();
    audiences
        .change_status(&alice(&s), draft, crate::domain::Transition::Start, now)
        .await
        .expect("start");
    let after = audiences
        .list_restores(&alice(&s))
        .await
        .expect("list")
        .len();
    assert_eq!(after, queued, "nothing new was queued");
    let first =
        s.t.db
            .restore_batch(&s.t.ws, view.restore_id.expect("id"))
            .await
            .expect("batch");
    assert_eq!(first.jobs.len(), 1);
    assert_eq!(first.requested_by, "user:alice@example.com");
}
