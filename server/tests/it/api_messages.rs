//! The messages and tags API over HTTP against the real binary.

use serde_json::json;

use crate::support::Server;

fn campaign(name: &str) -> serde_json::Value {
    json!({
        "kind": "campaign", "name": name, "channel": "email", "tags": ["Promo", "q4"],
        "variants": [{"key": "a", "name": "Subject A"}, {"key": "b"}], "control_group": true
    })
}

#[tokio::test]
async fn a_message_is_created_read_listed_and_edited() {
    let server = Server::start(&[]);
    let api = server.client(&server.api_key("read,manage"));

    let (status, created) = api.post("/api/v1/messages", campaign("Winter sale")).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    for field in [
        "status",
        "tags",
        "data_state",
        "last_activity_at",
        "expires_at",
        "aggregates",
    ] {
        assert!(created.get(field).is_some(), "missing {field}: {created}");
    }
    assert_eq!(created["status"], "draft");
    assert_eq!(created["data_state"], "live");
    assert_eq!(created["expires_at"], serde_json::Value::Null);
    assert_eq!(created["tags"], json!(["promo", "q4"]));
    assert_eq!(
        created["variants"].as_array().expect("variants").len(),
        3,
        "a, b and control"
    );

    let (status, got) = api.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!((status, &got["name"]), (200, &json!("Winter sale")));

    let (status, list) = api
        .get("/api/v1/messages?tag=promo&q=winter&kind=campaign")
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);

    let (status, edited) = api
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/messages/{id}"),
            Some(json!({"name": "Winter sale v2", "tags": ["vip"]})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (edited["name"].clone(), edited["tags"].clone()),
        (json!("Winter sale v2"), json!(["vip"]))
    );
}

#[tokio::test]
async fn the_lifecycle_is_enforced_with_clear_conflicts() {
    let server = Server::start(&[]);
    let api = server.client(&server.api_key("read,manage"));
    let (_, created) = api.post("/api/v1/messages", campaign("Lifecycle")).await;
    let id = created["id"].as_i64().expect("id");
    let act = |a: &'static str| format!("/api/v1/messages/{id}/{a}");

    let (status, body) = api.post(&act("stop"), json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "cannot stop a message that is draft");

    let (status, started) = api.post(&act("start"), json!({})).await;
    assert_eq!((status, started["status"].as_str()), (200, Some("active")));
    assert_eq!(started["data_state"], "live");

    let (_, stopped) = api.post(&act("stop"), json!({})).await;
    assert_eq!(stopped["status"], "stopped");
    assert_eq!(stopped["data_state"], "available");
    assert!(
        stopped["expires_at"].is_string(),
        "stopped data has an expiry date: {stopped}"
    );

    let (_, archived) = api.post(&act("archive"), json!({})).await;
    assert_eq!(archived["status"], "archived");
    let (_, list) = api.get("/api/v1/messages").await;
    assert_eq!(list["total"], 0, "archived messages are hidden by default");
    let (_, unarchived) = api.post(&act("unarchive"), json!({})).await;
    assert_eq!(
        unarchived["status"], "stopped",
        "unarchiving never restarts sending"
    );

    let (status, body) = api.post(&act("explode"), json!({})).await;
    assert_eq!(status, 404);
    assert!(
        body["error"]
            .as_str()
            .expect("text")
            .contains("unknown action")
    );
}

#[tokio::test]
async fn bad_input_gets_a_specific_4xx() {
    let server = Server::start(&[]);
    let api = server.client(&server.api_key("read,manage"));
    let cases = [
        (
            json!({"kind": "campaign", "name": " ", "channel": "email"}),
            422,
            "name must not be empty",
        ),
        (
            json!({"kind": "letter", "name": "x", "channel": "email"}),
            422,
            "unknown variant `letter`",
        ),
        (
            json!({"kind": "campaign", "name": "x", "channel": "email", "steps": [{"key": "s1"}]}),
            422,
            "campaigns have no steps",
        ),
        (
            json!({"kind": "campaign", "name": "x", "channel": "email", "variants": [{"key": "a"}, {"key": "a"}]}),
            422,
            "used twice",
        ),
        (
            json!({"kind": "campaign", "name": "x", "channel": "email", "surprise": 1}),
            422,
            "unknown field `surprise`",
        ),
    ];
    for (body, status, text) in cases {
        let (got, answer) = api.post("/api/v1/messages", body.clone()).await;
        assert_eq!(got, status, "{body} -> {answer}");
        assert!(
            answer["error"].as_str().expect("error text").contains(text),
            "{body} -> {answer}"
        );
    }
    let (status, answer) = api
        .raw(
            "/api/v1/messages",
            "application/json",
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = api.get("/api/v1/messages/abc").await;
    assert_eq!(status, 404);
    let (status, answer) = api.get("/api/v1/messages?status=sleeping").await;
    assert_eq!(status, 422);
    assert!(
        answer["error"]
            .as_str()
            .expect("text")
            .contains("unknown messagestatus"),
        "{answer}"
    );
    let (status, _) = api.get("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn keys_are_required_scoped_and_revocable() {
    let server = Server::start(&[]);
    let reader = server.client(&server.api_key("read"));
    let (status, body) = reader.post("/api/v1/messages", campaign("Nope")).await;
    assert_eq!(status, 403, "{body}");

    let anonymous = reqwest::get(server.url("/api/v1/messages"))
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);
    let bogus = server.client("rk_00000000_ffffffffffffffffffffffffffffffff");
    assert_eq!(bogus.get("/api/v1/messages").await.0, 401);

    let list = server
        .recall()
        .args(["apikey", "revoke", "--id", "1", "--data-dir"])
        .arg(server.data_path())
        .status()
        .expect("revoke");
    assert!(list.success());
    let (status, body) = reader.get("/api/v1/messages").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid or revoked API key");
}

#[tokio::test]
async fn tags_are_listed_renamed_and_merged() {
    let server = Server::start(&[]);
    let api = server.client(&server.api_key("read,manage"));
    api.post("/api/v1/messages", campaign("One")).await;
    let (status, tags) = api
        .post(
            "/api/v1/tags/rename",
            json!({"from": "promo", "to": "promotion"}),
        )
        .await;
    assert_eq!(status, 200, "{tags}");
    let (_, tags) = api
        .post(
            "/api/v1/tags/merge",
            json!({"from": ["q4"], "into": "promotion"}),
        )
        .await;
    assert_eq!(tags, json!([{"name": "promotion", "messages": 1}]));
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let server = Server::start(&[]);
    let doc: serde_json::Value = reqwest::get(server.url("/api/v1/openapi.json"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/messages",
        "/api/v1/messages/{id}",
        "/api/v1/messages/{id}/{action}",
        "/api/v1/events",
        "/api/v1/tags",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert!(doc["components"]["schemas"]["MessageDetail"].is_object());
}

#[tokio::test]
async fn a_key_of_another_workspace_gets_404_for_our_messages() {
    let server = Server::start(&[]);
    let ours = server.client(&server.api_key("read,manage"));
    let (_, created) = ours.post("/api/v1/messages", campaign("Ours")).await;
    let id = created["id"].as_i64().expect("id");

    let create_acme_key = || {
        server
            .recall()
            .args([
                "apikey",
                "create",
                "--workspace",
                "acme",
                "--name",
                "theirs",
                "--data-dir",
            ])
            .arg(server.data_path())
            .output()
            .expect("create key")
    };
    assert!(
        !create_acme_key().status.success(),
        "the workspace must exist first"
    );
    server
        .recall()
        .args(["seed", "--demo", "--workspace", "acme", "--data-dir"])
        .arg(server.data_path())
        .status()
        .expect("seed acme");
    let output = create_acme_key();
    let theirs = server.client(String::from_utf8_lossy(&output.stdout).trim());
    let (status, body) = theirs.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = theirs
        .post(&format!("/api/v1/messages/{id}/start"), json!({}))
        .await;
    assert_eq!(status, 404);
}
