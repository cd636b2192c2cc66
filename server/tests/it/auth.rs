//! Nobody gets in where they don't belong: every page and server function
//! against the real binary.

use serde_json::json;

use crate::support;
use crate::support::{ADMIN, Server, VIEWER};

/// Every server function the app registers, with arguments that would be
/// valid for a signed-in user.
fn server_functions() -> Vec<(String, serde_json::Value)> {
    app::api::SERVER_FUNCTIONS
        .iter()
        .map(|name| format!("/api/{name}"))
        .map(|path| {
            let empty = json!({"all": []});
            let args = match path.trim_start_matches("/api/") {
                "list_messages" => {
                    json!({"query": {"kind": null, "q": "", "tags": [], "status": null, "data_state": null, "sort": "last_activity", "descending": true, "page": 1, "per_page": 10}})
                }
                // Segment ids go in `segment`, message ids in `id` or
                // `message_id`: the tests swap in real ones.
                "get_segment" | "delete_segment" => json!({"id": 1, "segment": true}),
                "segment_users" => json!({"id": 1, "after": null, "segment": true}),
                "evaluate_filter" => json!({"filter": empty, "segment_ids": []}),
                "save_segment" => {
                    json!({"id": null, "input": {"name": "Role check", "filter": empty}})
                }
                "get_audience" => json!({"message_id": 1}),
                "set_audience" => {
                    json!({"message_id": 1, "input": {"filter": empty, "segment_ids": []}})
                }
                "message_choices" => json!({"q": ""}),
                "restore_messages" => json!({"ids": [1]}),
                "preview_restore" | "request_restore" => {
                    json!({"request": {"message_ids": [1]}, "ids": []})
                }
                // Restore ids stay as they are: the request above made batch 1.
                "get_restore" => json!({"id": 1, "restore": true}),
                "message_restore_job" => json!({"message_id": 1}),
                "read_outbox_mail" => json!({"file": "no-such-mail.eml"}),
                _ if path.contains("message") => json!({"id": 1}),
                _ => json!({}),
            };
            (path, args)
        })
        .collect()
}

#[tokio::test]
async fn without_a_session_pages_redirect_to_sign_in_and_server_functions_refuse() {
    let server = Server::start(&["--demo"]);
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for page in [
        "/campaigns",
        "/canvases",
        "/messages/1",
        "/segments",
        "/restores",
        "/settings",
    ] {
        let resp = anonymous.get(server.url(page)).send().await.expect("get");
        assert_eq!(resp.status(), 303, "{page}");
        let location = resp.headers()["location"].to_str().expect("location");
        assert!(location.starts_with("/login?next="), "{page} -> {location}");
    }
    for (path, args) in server_functions() {
        let (status, _) = server.call(&anonymous, &path, args).await;
        assert_eq!(status, 401, "{path}");
    }
    let login = anonymous
        .get(server.url("/login"))
        .send()
        .await
        .expect("get");
    assert_eq!(login.status(), 200);
}

#[tokio::test]
async fn a_signed_in_user_reaches_every_server_function_in_their_role() {
    let server = Server::start(&["--demo"]);
    let admin = server.signed_in(ADMIN).await;
    // Pinning needs data that is still hot.
    let id = available_message(&server, &admin).await;
    let segment = saved_segment(&server, &admin, json!({"all": []})).await;
    let mut functions = server_functions();
    // Deleting the segment comes after everything that reads it.
    functions.sort_by_key(|(path, _)| path.contains("delete_segment"));
    for (path, mut args) in functions {
        if args.get("segment").is_some() {
            args["id"] = json!(segment);
        } else if args.get("restore").is_some() {
            // keep the batch id
        } else if args.get("id").is_some_and(|v| !v.is_null()) {
            args["id"] = json!(id);
        }
        if args.get("message_id").is_some() {
            args["message_id"] = json!(id);
        }
        if args.get("ids").is_some() {
            args["ids"] = json!([id]);
        }
        if args.get("request").is_some() {
            args["request"]["message_ids"] = json!([id]);
        }
        if let Some(args) = args.as_object_mut() {
            args.remove("segment");
            args.remove("restore");
            if args.contains_key("request") {
                args.remove("ids");
            }
        }
        let (status, body) = server.call(&admin, &path, args).await;
        // Reading a mail that is not in the outbox is a clean 404.
        let expected = if path.ends_with("read_outbox_mail") {
            404
        } else {
            200
        };
        assert_eq!(status, expected, "{path}: {body}");
    }
}

/// Saves a segment through the dashboard's server function; its id.
async fn saved_segment(
    server: &Server,
    client: &reqwest::Client,
    filter: serde_json::Value,
) -> i64 {
    let args = json!({"id": null, "input": {"name": "Received, not opened", "filter": filter}});
    let (status, body) = server.call(client, "/api/save_segment", args).await;
    assert_eq!(status, 200, "{body}");
    let saved: serde_json::Value = serde_json::from_str(&body).expect("json");
    saved["segment"]["id"].as_i64().expect("segment id")
}

/// Viewers read segments and audiences and count filters; changing them,
/// or queuing a restore, takes an editor. Saves and deletes are audited.
#[tokio::test]
async fn segments_and_audiences_need_an_editor_to_change() {
    let server = Server::start(&["--demo"]);
    add_user(&server, EDITOR, "editor");
    let viewer = server.signed_in(VIEWER).await;
    let editor = server.signed_in(EDITOR).await;
    let id = available_message(&server, &viewer).await;
    let filter = json!({"all": [
        {"any": [{"filter": "received", "message_id": id}]},
        {"any": [{"filter": "opened", "message_id": id, "negate": true}]}
    ]});
    let empty = json!({"all": []});
    let refused = [
        (
            "/api/save_segment",
            json!({"id": null, "input": {"name": "Viewer's", "filter": filter}}),
        ),
        ("/api/delete_segment", json!({"id": 1})),
        (
            "/api/set_audience",
            json!({"message_id": id, "input": {"filter": empty, "segment_ids": []}}),
        ),
        ("/api/restore_messages", json!({"ids": [id]})),
    ];
    for (path, args) in refused {
        let (status, body) = server.call(&viewer, path, args).await;
        assert_eq!(status, 403, "viewer {path}: {body}");
        assert!(body.contains("your role (viewer) cannot do this"), "{body}");
    }

    let segment = saved_segment(&server, &editor, filter.clone()).await;
    let (status, body) = server.call(&viewer, "/api/list_segments", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Received, not opened"), "{body}");
    let (status, body) = server
        .call(
            &viewer,
            "/api/evaluate_filter",
            json!({"filter": filter, "segment_ids": [segment]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let counted: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(counted["count"].is_i64(), "{body}");
    let (status, body) = server
        .call(
            &viewer,
            "/api/evaluate_filter",
            json!({"filter": {"all": [{"any": [{"filter": "opend", "message_id": id}]}]}, "segment_ids": []}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // The engine's message names the place and the problem.
    assert!(body.contains("all[0].any[0]: unknown filter"), "{body}");
    assert!(body.contains("opend"), "{body}");

    let (status, body) = server
        .call(&editor, "/api/delete_segment", json!({"id": segment}))
        .await;
    assert_eq!(status, 200, "{body}");
    let admin = server.signed_in(ADMIN).await;
    let (_, log) = server.call(&admin, "/api/get_audit_log", json!({})).await;
    let actor = format!("user:{EDITOR}");
    assert!(
        log.contains(&format!(r#""actor":"{actor}","action":"segment.delete","detail":"segment {segment} \"Received, not opened\" deleted""#)),
        "{log}"
    );
    assert!(log.contains(r#""action":"segment.save""#), "{log}");
}

#[tokio::test]
async fn a_viewer_cannot_read_the_audit_log() {
    let server = Server::start(&["--demo"]);
    let viewer = server.signed_in(VIEWER).await;
    let audit = server_functions()
        .into_iter()
        .find(|(p, _)| p.contains("get_audit_log"))
        .expect("audit fn");
    let (status, body) = server.call(&viewer, &audit.0, audit.1).await;
    assert_eq!(
        status, 403,
        "a refusal travels as 403 with a reason: {body}"
    );
    assert!(body.contains("your role (viewer) cannot do this"), "{body}");
}

/// Viewers read; editors also keep data available; only admins change the
/// workspace's retention.
#[tokio::test]
async fn pins_need_an_editor_and_retention_needs_an_admin() {
    let server = Server::start(&["--demo"]);
    add_user(&server, EDITOR, "editor");
    let viewer = server.signed_in(VIEWER).await;
    let editor = server.signed_in(EDITOR).await;
    let id = available_message(&server, &viewer).await;
    let pin = ("/api/pin_message", json!({"id": id, "until": null}));
    let unpin = ("/api/unpin_message", json!({"id": id}));
    let retention = ("/api/set_retention", json!({"months": 6}));

    for (path, args) in [&pin, &unpin, &retention] {
        let (status, body) = server.call(&viewer, path, args.clone()).await;
        assert_eq!(status, 403, "viewer {path}: {body}");
        assert!(body.contains("your role (viewer) cannot do this"), "{body}");
    }
    let (status, body) = server.call(&editor, retention.0, retention.1.clone()).await;
    assert_eq!(status, 403, "editor set_retention: {body}");
    assert!(body.contains("your role (editor) cannot do this"), "{body}");

    let (status, body) = server.call(&viewer, "/api/get_retention", json!({})).await;
    assert_eq!((status, body.as_str()), (200, r#"{"months":3}"#));
    for (path, args) in [&pin, &unpin] {
        let (status, body) = server.call(&editor, path, args.clone()).await;
        assert_eq!(status, 200, "editor {path}: {body}");
    }
}

#[tokio::test]
async fn pins_and_retention_changes_show_on_the_page_and_in_the_audit_log() {
    let server = Server::start(&["--demo"]);
    let admin = server.signed_in(ADMIN).await;
    let id = available_message(&server, &admin).await;

    let (status, body) = server
        .call(
            &admin,
            "/api/pin_message",
            json!({"id": id, "until": "2999-12-31"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, detail) = server
        .call(&admin, "/api/get_message", json!({"id": id}))
        .await;
    let detail: serde_json::Value = serde_json::from_str(&detail).expect("json");
    assert_eq!(detail["data_state"], "retained");
    assert_eq!(detail["pinned_until"], "2999-12-31T23:59:59Z");
    assert_eq!(
        detail["retained_by"][0],
        "Kept available by a person until Dec 31, 2999"
    );

    let (status, body) = server
        .call(
            &admin,
            "/api/pin_message",
            json!({"id": id, "until": "someday"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("is not a date"), "{body}");
    let (status, body) = server
        .call(&admin, "/api/set_retention", json!({"months": 0}))
        .await;
    assert_eq!(status, 422, "{body}");

    let (status, _) = server
        .call(&admin, "/api/unpin_message", json!({"id": id}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = server
        .call(&admin, "/api/set_retention", json!({"months": null}))
        .await;
    assert_eq!((status, body.as_str()), (200, r#"{"months":null}"#));

    let (_, log) = server.call(&admin, "/api/get_audit_log", json!({})).await;
    let log: Vec<serde_json::Value> = serde_json::from_str(&log).expect("json");
    let actions: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default(),
                e["action"].as_str().unwrap_or_default(),
                e["detail"].as_str().unwrap_or_default(),
            )
        })
        .take(3)
        .collect();
    let actor = format!("user:{ADMIN}");
    assert_eq!(
        actions,
        [
            (
                actor.as_str(),
                "workspace.retention",
                "retention changed from 3 months to never"
            ),
            (
                actor.as_str(),
                "message.unpin",
                &*format!("message {id} unpinned")
            ),
            (
                actor.as_str(),
                "message.pin",
                &*format!("message {id} kept available until 2999-12-31")
            ),
        ]
    );
}

const EDITOR: &str = "editor@demo.recall.dev";

/// Adds a dashboard user with the demo password, through the CLI.
fn add_user(server: &Server, email: &str, role: &str) {
    use std::io::Write;
    let mut child = server
        .recall()
        .args([
            "user",
            "add",
            "--email",
            email,
            "--role",
            role,
            "--data-dir",
        ])
        .arg(server.data_path())
        .env("RECALL_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("user add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{}\n", support::DEMO_PASSWORD).as_bytes())
        .expect("password");
    assert!(child.wait().expect("wait").success(), "user add {email}");
}

/// A stopped message of the demo whose data is still hot.
async fn available_message(server: &Server, client: &reqwest::Client) -> i64 {
    let query = json!({"query": {"kind": null, "q": "", "tags": [], "status": null, "data_state": "available", "sort": "last_activity", "descending": true, "page": 1, "per_page": 1}});
    let (status, body) = server.call(client, "/api/list_messages", query).await;
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).expect("json");
    page["items"][0]["id"]
        .as_i64()
        .expect("an available message in the demo")
}

#[tokio::test]
async fn another_workspaces_message_is_not_found() {
    let server = Server::start(&["--demo"]);
    // A second workspace with its own message, made through the API.
    let status = server
        .recall()
        .args(["seed", "--demo", "--workspace", "acme", "--data-dir"])
        .arg(server.data_path())
        .status()
        .expect("seed");
    assert!(status.success());
    let admin = server.signed_in(ADMIN).await;
    let get_message = server_functions()
        .into_iter()
        .find(|(p, _)| p.contains("get_message") && !p.contains("chart"))
        .expect("fn");
    // Demo ids 1..=368 are the default workspace's; 369 onwards are acme's.
    let (_, body) = server
        .call(&admin, &get_message.0, json!({"id": 400}))
        .await;
    assert!(body.contains("message 400 not found"), "{body}");
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_then_locked_out() {
    let server = Server::start(&["--demo"]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut last = String::new();
    for _ in 0..6 {
        let resp = client
            .post(server.url("/login"))
            .form(&[
                ("email", ADMIN),
                ("password", "not the password"),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("post");
        last = resp.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
    }
    assert!(last.starts_with("/login?error=locked"), "{last}");
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let server = Server::start(&["--demo"]);
    let admin = server.signed_in(ADMIN).await;
    let resp = admin
        .post(server.url("/logout"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let server = Server::start(&["--demo"]);
    let admin = server.signed_in(ADMIN).await;
    let resp = admin
        .post(server.url("/logout"))
        .header("origin", &server.base)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 303);
    let page = admin
        .get(server.url("/campaigns"))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 303, "the old cookie no longer works");
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_nonce_csp() {
    let server = Server::start(&["--demo"]);
    let admin = server.signed_in(ADMIN).await;
    let resp = admin
        .get(server.url("/campaigns"))
        .send()
        .await
        .expect("get");
    let headers = resp.headers().clone();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    let html = resp.text().await.expect("body");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("nonce");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "inline scripts carry the nonce"
    );
}

/// Every REST operation in the OpenAPI document refuses a request without
/// a key, and one with a revoked key.
#[tokio::test]
async fn every_rest_route_refuses_missing_and_revoked_keys() {
    let server = Server::start(&[]);
    let key = server.api_key("ingest,read,manage");
    let revoke = server
        .recall()
        .args(["apikey", "revoke", "--id", "1", "--data-dir"])
        .arg(server.data_path())
        .status()
        .expect("revoke");
    assert!(revoke.success());
    let doc: serde_json::Value = reqwest::get(server.url("/api/v1/openapi.json"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let http = reqwest::Client::new();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        let url = server.url(&path.replace("{id}", "1").replace("{action}", "start"));
        for method in ops.as_object().expect("ops").keys() {
            let method =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            for bearer in [None, Some(key.as_str())] {
                let mut req = http
                    .request(method.clone(), &url)
                    .header("content-type", "application/json")
                    .body("{}");
                if let Some(k) = bearer {
                    req = req.bearer_auth(k);
                }
                let status = req.send().await.expect("send").status();
                assert_eq!(status, 401, "{method} {path} with key {bearer:?}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 18, "checked {checked} route/key pairs");
}
