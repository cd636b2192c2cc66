//! Who reaches what: pages and server functions without a session, with
//! one in each role, across workspaces, and REST routes without a valid key.

use serde_json::json;

use super::{available_message, saved_segment, server_functions};
use crate::support::{ADMIN, Server, VIEWER};

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
