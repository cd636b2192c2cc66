//! Nobody gets in where they don't belong: every page and server function
//! against the real binary.

mod support;

use serde_json::json;
use support::{ADMIN, Server, VIEWER};

/// Every server function the app registers, with arguments that would be
/// valid for a signed-in user.
fn server_functions() -> Vec<(String, serde_json::Value)> {
    app::api::SERVER_FUNCTIONS
        .iter()
        .map(|name| format!("/api/{name}"))
        .map(|path| {
            let args = if path.contains("list_messages") {
                json!({"query": {"kind": null, "q": "", "tags": [], "status": null, "data_state": null, "sort": "last_activity", "descending": true, "page": 1, "per_page": 10}})
            } else if path.contains("message") {
                json!({"id": 1})
            } else {
                json!({})
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
    for (path, args) in server_functions() {
        let (status, body) = server.call(&admin, &path, args).await;
        assert_eq!(status, 200, "{path}: {body}");
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
        status, 500,
        "server function errors travel as 500 with a reason: {body}"
    );
    assert!(body.contains("your role (viewer) cannot do this"), "{body}");
}

#[tokio::test]
async fn another_workspaces_message_is_not_found() {
    let server = Server::start(&["--demo"]);
    // A second workspace with its own message, made through the API.
    let status = std::process::Command::new(support::binary())
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
    let revoke = std::process::Command::new(support::binary())
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
