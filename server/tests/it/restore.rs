//! Restore through the real binary: the REST API, the worker inside
//! `recall serve`, the CLI, and the completion email over real SMTP.

use std::time::Duration;

use serde_json::json;

use crate::support;
use crate::support::Server;
use crate::support::smtp::SmtpSink;

async fn expired_campaign(server: &Server, api: &support::Api, name: &str, tags: &[&str]) -> i64 {
    let (status, created) = api
        .post(
            "/api/v1/messages",
            json!({"kind": "campaign", "name": name, "channel": "email", "tags": tags}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    api.post(&format!("/api/v1/messages/{id}/start"), json!({}))
        .await;
    let events: Vec<_> = (0..4)
        .map(|u| {
            json!({"id": format!("{name}-{u}"), "message_id": id, "user_id": format!("u{u}"),
                         "kind": "received", "at": "2026-11-01T10:00:00Z"})
        })
        .collect();
    let (status, _) = api
        .post("/api/v1/events", json!({ "events": events }))
        .await;
    assert_eq!(status, 200);
    api.post(&format!("/api/v1/messages/{id}/stop"), json!({}))
        .await;
    let as_of = (chrono::Utc::now() + chrono::Duration::days(100)).to_rfc3339();
    server.cli(&["expire", "--as-of", &as_of]);
    let (_, detail) = api.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(detail["data_state"], "expired");
    id
}

/// Follows a batch until it has ended (the worker runs in the server).
async fn finished(api: &support::Api, batch: i64) -> serde_json::Value {
    for _ in 0..200 {
        let (_, body) = api.get(&format!("/api/v1/restores/{batch}")).await;
        if body["finished_at"].is_string() {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("restore {batch} did not finish");
}

#[tokio::test]
async fn a_restore_over_the_api_finishes_in_the_server_and_mails_the_requester() {
    let mut smtp = SmtpSink::start().await;
    let server = Server::start_with_env(
        &["--expiry-interval", "0"],
        &[("RECALL_SMTP_URL", &smtp.url)],
    );
    let api = server.client(&server.api_key("ingest,read,manage"));
    let id = expired_campaign(&server, &api, "Spring", &["promo"]).await;

    let (status, preview) = api
        .post("/api/v1/restores/preview", json!({"tag": "promo"}))
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        (preview["messages"].as_i64(), preview["rows"].as_i64()),
        (Some(1), Some(4))
    );

    let (status, batch) = api
        .post(
            "/api/v1/restores",
            json!({"message_ids": [id], "notify": "ops@example.com"}),
        )
        .await;
    assert_eq!(status, 202, "{batch}");
    assert_eq!(batch["jobs"][0]["message_id"], id);
    let done = finished(&api, batch["id"].as_i64().expect("id")).await;
    assert_eq!(done["jobs"][0]["status"], "succeeded", "{done}");
    assert_eq!(done["jobs"][0]["rows_loaded"], 4);

    let (_, detail) = api.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(detail["data_state"], "available");
    assert!(detail["expires_at"].is_string());

    let mail = tokio::time::timeout(Duration::from_secs(20), smtp.received.recv())
        .await
        .expect("completion email within 20 s")
        .expect("mail");
    assert!(mail.contains("To: ops@example.com"), "{mail}");
    assert!(
        mail.contains("Subject: Recall: restore of message"),
        "{mail}"
    );
    assert!(mail.contains(&format!("/messages/{id}")), "{mail}");

    // Asking for data that is not expired is a no-op with a reason.
    let (status, again) = api
        .post("/api/v1/restores", json!({"message_ids": [id]}))
        .await;
    assert_eq!(status, 202);
    assert!(
        again["skipped"][0]["reason"]
            .as_str()
            .expect("reason")
            .contains("not expired")
    );

    // Bad requests get a reason.
    let (status, err) = api.post("/api/v1/restores", json!({})).await;
    assert_eq!(status, 422, "{err}");
    let (status, err) = api.post("/api/v1/restores", json!({"tags": ["x"]})).await;
    assert_eq!(status, 422, "{err}");
    let (status, _) = api.get("/api/v1/restores/999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn starting_an_expired_message_restores_its_data_and_the_cli_restores_by_tag() {
    let server = Server::start(&["--expiry-interval", "0"]);
    let api = server.client(&server.api_key("ingest,read,manage"));
    let resumed = expired_campaign(&server, &api, "Resumed", &[]).await;
    let tagged = expired_campaign(&server, &api, "Tagged", &["winter"]).await;

    let (status, started) = api
        .post(&format!("/api/v1/messages/{resumed}/start"), json!({}))
        .await;
    assert_eq!(status, 200, "{started}");
    let (_, batches) = api.get("/api/v1/restores").await;
    let batch = batches[0]["id"].as_i64().expect("a restore was queued");
    let done = finished(&api, batch).await;
    assert_eq!(done["jobs"][0]["message_id"], resumed);
    let (_, detail) = api.get(&format!("/api/v1/messages/{resumed}")).await;
    assert_eq!(detail["data_state"], "live");

    let preview = server.cli(&["restore", "--tag", "winter", "--preview"]);
    assert!(
        preview.contains("would restore 1 message(s): 4 rows"),
        "{preview}"
    );
    let out = server.cli(&["restore", "--tag", "winter", "--wait"]);
    assert!(out.contains(&format!("succeeded {tagged}")), "{out}");
    let (_, detail) = api.get(&format!("/api/v1/messages/{tagged}")).await;
    assert_eq!(detail["data_state"], "available");
    let outbox = server.cli(&["workspace", "list"]);
    assert!(outbox.contains("default"));
}
