//! Expiry through the real binary: `recall expire` beside a running
//! server, the data state the API reports, pins, and the raw download.

use serde_json::json;

use crate::support;
use crate::support::Server;

/// A stopped campaign with events; returns its id.
async fn stopped_campaign(api: &support::Api, name: &str, users: usize) -> i64 {
    let (status, created) = api
        .post(
            "/api/v1/messages",
            json!({"kind": "campaign", "name": name, "channel": "email", "tags": ["promo"],
                   "variants": [{"key": "a"}]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    assert_eq!(
        api.post(&format!("/api/v1/messages/{id}/start"), json!({}))
            .await
            .0,
        200
    );
    let events: Vec<_> = (0..users)
        .flat_map(|u| {
            let user = format!("user-{u}");
            [
                json!({"id": format!("{name}-{u}-r"), "message_id": id, "user_id": user,
                       "kind": "received", "variant": "a", "at": "2026-11-01T10:00:00Z"}),
                json!({"id": format!("{name}-{u}-o"), "message_id": id, "user_id": user,
                       "kind": "opened", "at": "2026-11-01T11:00:00Z", "machine": u == 0}),
            ]
        })
        .collect();
    let (status, result) = api
        .post("/api/v1/events", json!({ "events": events }))
        .await;
    assert_eq!(
        (status, result["accepted"].as_u64()),
        (200, Some(2 * users as u64))
    );
    assert_eq!(
        api.post(&format!("/api/v1/messages/{id}/stop"), json!({}))
            .await
            .0,
        200
    );
    id
}

fn months_later() -> String {
    (chrono::Utc::now() + chrono::Duration::days(100)).to_rfc3339()
}

#[tokio::test]
async fn recall_expire_moves_data_and_the_api_shows_it_everywhere() {
    let server = Server::start(&["--expiry-interval", "0"]);
    let api = server.client(&server.api_key("ingest,read,manage"));
    let id = stopped_campaign(&api, "Spring", 3).await;
    let kept = stopped_campaign(&api, "Kept", 2).await;

    let (_, detail) = api.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(detail["data_state"], "available");
    assert!(detail["expires_at"].is_string());

    // Pin one: it is retained and says why.
    let (status, pinned) = api
        .post(&format!("/api/v1/messages/{kept}/pin"), json!({}))
        .await;
    assert_eq!(status, 200, "{pinned}");
    assert_eq!(pinned["data_state"], "retained");
    assert!(pinned["retained_by"][0]["kind"] == "pin");

    let as_of = months_later();
    let preview = server.cli(&["expire", "--dry-run", "--as-of", &as_of]);
    assert!(
        preview.contains(&format!("default/{id} \"Spring\": 6 hot rows")),
        "{preview}"
    );
    assert!(!preview.contains("Kept"), "{preview}");
    let (_, still) = api.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(still["data_state"], "available", "a dry run moves nothing");

    let out = server.cli(&["expire", "--as-of", &as_of]);
    assert!(
        out.contains(&format!("expired default/{id}: 6 rows, 1 segment(s)")),
        "{out}"
    );
    assert!(out.contains("1 expired, 0 deferred, 0 failed"), "{out}");

    let (_, expired) = api.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(expired["data_state"], "expired");
    assert_eq!(expired["archive"]["rows"], 6);
    assert_eq!(
        expired["aggregates"]["received"], 3,
        "aggregates never expire"
    );
    let (_, listed) = api.get("/api/v1/messages?data_state=expired").await;
    assert_eq!(listed["total"], 1);

    // A sender's retry of an archived event is still one event.
    let again = json!({"id": "Spring-1-r", "message_id": id, "user_id": "user-1",
                       "kind": "received", "variant": "a", "at": "2026-11-01T10:00:00Z"});
    let (status, result) = api
        .post("/api/v1/events", json!({ "events": [again] }))
        .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(
        (result["accepted"].as_u64(), result["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    let (_, after) = api.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(after["aggregates"], expired["aggregates"]);

    // The segment is where an operator would look for it.
    let dir = server
        .data_path()
        .join("archive/default")
        .join(id.to_string());
    let files: Vec<_> = std::fs::read_dir(&dir).expect("segment dir").collect();
    assert_eq!(files.len(), 1);

    // Raw download: every event, in the shape ingest accepts.
    let (status, body) = api
        .text("GET", &format!("/api/v1/messages/{id}/archive"))
        .await;
    assert_eq!(status, 200);
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson line"))
        .collect();
    assert_eq!(lines.len(), 6);
    assert!(
        lines
            .iter()
            .any(|l| l["id"] == "Spring-0-o" && l["machine"] == true)
    );
    assert!(lines.iter().all(|l| {
        l["user_id"]
            .as_str()
            .is_some_and(|u| u.starts_with("user-"))
    }));
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "received" && l["variant"] == "a")
    );

    // Expired data cannot be pinned; it must be restored first.
    let (status, err) = api
        .post(&format!("/api/v1/messages/{id}/pin"), json!({}))
        .await;
    assert_eq!(status, 409, "{err}");
    assert!(err["error"].as_str().expect("error").contains("restore"));

    // POST on the same path still archives the message (lifecycle).
    let (status, archived) = api
        .post(&format!("/api/v1/messages/{id}/archive"), json!({}))
        .await;
    assert_eq!(
        (status, archived["status"].as_str()),
        (200, Some("archived"))
    );

    let (status, unpinned) = api
        .text("DELETE", &format!("/api/v1/messages/{kept}/pin"))
        .await;
    assert_eq!(status, 200, "{unpinned}");
    assert!(
        unpinned.contains("\"data_state\":\"available\""),
        "{unpinned}"
    );
}

#[tokio::test]
async fn bad_expire_and_retention_input_gets_a_clear_error() {
    let server = Server::start(&["--expiry-interval", "0"]);
    let out = server.cli_output(&["expire", "--as-of", "next tuesday"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));

    let out = server.cli_output(&["workspace", "set-retention", "--months", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 to 120 months"));
    let set = server.cli(&["workspace", "set-retention", "--months", "never"]);
    assert!(set.contains("retention never"), "{set}");
    assert!(
        server
            .cli(&["workspace", "list"])
            .contains("retention never")
    );

    let api = server.client(&server.api_key("read,manage"));
    let (status, err) = api
        .post(
            "/api/v1/messages/1/pin",
            json!({"until": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert!(status == 404 || status == 422, "{status} {err}");
    let (status, err) = api.post("/api/v1/messages/abc/pin", json!({})).await;
    assert_eq!(status, 404, "{err}");
}

#[tokio::test]
async fn recall_expire_that_cannot_get_the_write_lock_says_so_and_a_later_one_finishes() {
    let server = Server::start(&["--expiry-interval", "0"]);
    if server.database_url.is_some() {
        // SQLite's busy timeout only: PostgreSQL waits for its locks.
        return;
    }
    let api = server.client(&server.api_key("ingest,read,manage"));
    let id = stopped_campaign(&api, "Locked", 3).await;

    // Another process holding the write lock past the busy timeout (10 s).
    let url = format!(
        "sqlite://{}",
        server.data_path().join("recall.db").display()
    );
    let other = sqlx::SqlitePool::connect(&url).await.expect("connect");
    let lock = other.begin_with("BEGIN IMMEDIATE").await.expect("lock");
    let out = server.cli_output(&["expire", "--as-of", &months_later(), "--busy-wait", "0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("gave up after waiting 0 s for the database's write lock")
            && stderr.contains("Nothing was lost"),
        "{stderr}"
    );
    lock.rollback().await.expect("release");

    let (_, detail) = api.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(detail["data_state"], "available", "{detail}");
    let out = server.cli(&["expire", "--as-of", &months_later()]);
    assert!(out.contains("1 expired"), "{out}");
}
