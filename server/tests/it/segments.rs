//! Segments and audiences over HTTP against the real binary.

use serde_json::json;

use crate::support;
use crate::support::Server;

async fn campaign(api: &support::Api, name: &str, users: &[&str]) -> i64 {
    let (status, created) = api
        .post(
            "/api/v1/messages",
            json!({"kind": "campaign", "name": name, "channel": "email", "tags": ["promo"]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    api.post(&format!("/api/v1/messages/{id}/start"), json!({}))
        .await;
    let mut events = Vec::new();
    for (i, user) in users.iter().enumerate() {
        events.push(json!({"id": format!("{name}-r{i}"), "message_id": id, "user_id": user, "kind": "received", "at": "2026-11-01T10:00:00Z"}));
        if i % 2 == 0 {
            events.push(json!({"id": format!("{name}-o{i}"), "message_id": id, "user_id": user, "kind": "opened", "at": "2026-11-01T11:00:00Z"}));
        }
    }
    let (status, _) = api
        .post("/api/v1/events", json!({ "events": events }))
        .await;
    assert_eq!(status, 200);
    id
}

#[tokio::test]
async fn segments_count_list_and_export_their_users_exactly() {
    let server = Server::start(&["--expiry-interval", "0"]);
    let api = server.client(&server.api_key("ingest,read,manage"));
    let x = campaign(&api, "X", &["ann", "bo", "=cmd", "dee, jr", "eve"]).await;

    let filter = json!({"all": [{"any": [{"filter": "received", "message_id": x}]},
                                {"any": [{"filter": "opened", "message_id": x, "negate": true}]}]});
    let (status, evaluation) = api
        .post("/api/v1/segments/evaluate", json!({"filter": filter}))
        .await;
    assert_eq!(status, 200, "{evaluation}");
    assert_eq!(
        evaluation,
        json!({"count": 2, "incomplete": false, "expired_messages": []})
    );

    let (status, segment) = api
        .post(
            "/api/v1/segments",
            json!({"name": "Not opened X", "filter": filter}),
        )
        .await;
    assert_eq!(status, 201, "{segment}");
    let id = segment["id"].as_i64().expect("id");
    let (status, dup) = api
        .post(
            "/api/v1/segments",
            json!({"name": "Not opened X", "filter": filter}),
        )
        .await;
    assert_eq!(status, 409, "{dup}");

    let (_, counted) = api.get(&format!("/api/v1/segments/{id}/evaluate")).await;
    assert_eq!(counted["count"], 2);
    let (_, page) = api
        .get(&format!("/api/v1/segments/{id}/users?limit=1"))
        .await;
    assert_eq!(page["users"], json!(["bo"]));
    let cursor = page["next_cursor"].as_i64().expect("more");
    let (_, rest) = api
        .get(&format!(
            "/api/v1/segments/{id}/users?limit=1&after={cursor}"
        ))
        .await;
    assert_eq!(rest["users"], json!(["dee, jr"]));

    let (status, csv) = api
        .text("GET", &format!("/api/v1/segments/{id}/users?format=csv"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(csv, "user_id\nbo\n\"dee, jr\"\n");
    let (status, all) = api
        .post(
            "/api/v1/segments/evaluate",
            json!({"filter": {"all": [{"any": [{"filter": "received", "message_id": x}]}]}}),
        )
        .await;
    assert_eq!((status, all["count"].as_i64()), (200, Some(5)));

    for (bad, says) in [
        (
            json!({"filter": {"all": [{"any": [{"filter": "opend", "message_id": x}]}]}}),
            "unknown filter \"opend\"",
        ),
        (
            json!({"filter": {"all": [{"any": [{"filter": "opened"}]}]}}),
            "missing message_id",
        ),
        (
            json!({"filter": {"all": [{"any": [{"filter": "opened", "message_id": 424242}]}]}}),
            "message 424242 not found",
        ),
        (
            json!({"filter": {"all": [{"any": [{"filter": "last_received_any"}]}]}}),
            "within_days",
        ),
    ] {
        let (status, err) = api.post("/api/v1/segments/evaluate", bad).await;
        assert_eq!(status, 422, "{err}");
        assert!(
            err["error"].as_str().expect("reason").contains(says),
            "{err}"
        );
    }
    let (status, _) = api.get("/api/v1/segments/999/evaluate").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_active_audience_retains_what_it_names_and_restores_it_when_expired() {
    let server = Server::start(&["--expiry-interval", "0"]);
    let api = server.client(&server.api_key("ingest,read,manage"));
    let old = campaign(&api, "Old", &["ann", "bo"]).await;
    let kept = campaign(&api, "Kept", &["ann"]).await;
    for id in [old, kept] {
        api.post(&format!("/api/v1/messages/{id}/stop"), json!({}))
            .await;
    }
    let (_, retargeting) = api
        .post(
            "/api/v1/messages",
            json!({"kind": "campaign", "name": "Winback", "channel": "email"}),
        )
        .await;
    let winback = retargeting["id"].as_i64().expect("id");
    api.post(&format!("/api/v1/messages/{winback}/start"), json!({}))
        .await;

    let audience =
        json!({"filter": {"all": [{"any": [{"filter": "received", "message_id": kept}]}]}});
    let (status, view) = api
        .raw_put(&format!("/api/v1/messages/{winback}/audience"), audience)
        .await;
    assert_eq!(status, 200, "{view}");
    let (_, detail) = api.get(&format!("/api/v1/messages/{kept}")).await;
    assert_eq!(detail["data_state"], "retained");
    assert!(
        detail["retained_by"][0]["message_name"]
            .as_str()
            .expect("reason")
            .contains("Winback"),
        "{detail}"
    );

    let as_of = (chrono::Utc::now() + chrono::Duration::days(100)).to_rfc3339();
    let out = server.cli(&["expire", "--as-of", &as_of]);
    assert!(out.contains("1 expired"), "only Old expires: {out}");

    let (_, evaluation) = api
        .post("/api/v1/segments/evaluate", json!({"filter": {"all": [{"any": [{"filter": "opened", "message_id": old, "negate": true}]}]}}))
        .await;
    assert_eq!(evaluation["incomplete"], true);
    assert_eq!(evaluation["expired_messages"][0]["name"], "Old");

    let audience = json!({"filter": {"all": [{"any": [{"filter": "opened", "message_id": old, "negate": true}]}]}});
    let (status, view) = api
        .raw_put(&format!("/api/v1/messages/{winback}/audience"), audience)
        .await;
    assert_eq!(status, 200, "{view}");
    let batch = view["restore_id"].as_i64().expect("a restore was queued");
    for _ in 0..200 {
        let (_, b) = api.get(&format!("/api/v1/restores/{batch}")).await;
        if b["finished_at"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, detail) = api.get(&format!("/api/v1/messages/{old}")).await;
    assert_eq!(
        detail["data_state"], "retained",
        "back, and now used by Winback"
    );
    let (_, view) = api
        .get(&format!("/api/v1/messages/{winback}/audience"))
        .await;
    assert_eq!(view["evaluation"]["incomplete"], false);
    assert_eq!(view["evaluation"]["count"], 1, "bo never opened Old");
}
