//! The real binary over HTTP: startup, health, server-rendered pages, the
//! CLI beside a running server, and graceful shutdown.

use std::process::Command;

use crate::support::{ADMIN, Server, binary};

#[tokio::test]
async fn health_probes_answer_once_the_server_prints_its_url() {
    let server = Server::start(&[]);
    let health = reqwest::get(server.url("/healthz")).await.expect("get");
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.expect("body"), "ok");
    let ready = reqwest::get(server.url("/readyz")).await.expect("get");
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn the_campaigns_page_is_rendered_on_the_server_from_the_demo_data() {
    let server = Server::start(&["--demo"]);
    let browser = server.signed_in(ADMIN).await;
    let page = browser
        .get(server.url("/campaigns?tag=promo"))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains("<h1>Campaigns</h1>"));
    assert!(
        html.contains(r#"data-tag="promo""#),
        "tag chips are rendered"
    );
    assert!(
        html.contains(r#"href="/messages/"#),
        "rows link to landing pages"
    );
    assert!(
        html.contains("/pkg/recall.js"),
        "the hydration script is referenced"
    );
}

#[tokio::test]
async fn a_landing_page_has_a_stable_url_and_unknown_pages_are_404() {
    let server = Server::start(&["--demo"]);
    let browser = server.signed_in(ADMIN).await;
    let page = browser
        .get(server.url("/messages/1"))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains(r#"data-testid="message-name""#));
    assert!(html.contains(r#"data-testid="data-banner""#));

    let missing = browser
        .get(server.url("/no/such/page"))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn seeding_from_the_cli_beside_a_running_server_shows_up_at_once() {
    let server = Server::start(&[]);
    let mut add = server
        .recall()
        .args([
            "user",
            "add",
            "--email",
            ADMIN,
            "--role",
            "admin",
            "--data-dir",
        ])
        .arg(server.data_path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("add user");
    {
        use std::io::Write;
        let mut stdin = add.stdin.take().expect("stdin");
        stdin
            .write_all(b"demo-password-123\n")
            .expect("write password");
    }
    assert!(add.wait().expect("wait").success());
    let browser = server.signed_in(ADMIN).await;
    let page = |b: &reqwest::Client| b.get(server.url("/campaigns")).send();
    let before = page(&browser)
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(before.contains("No messages found"));

    let status = server
        .recall()
        .args(["seed", "--demo", "--data-dir"])
        .arg(server.data_path())
        .status()
        .expect("run seed");
    assert!(status.success());

    let after = page(&browser)
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        after.contains("Showing 1–50 of"),
        "the server sees the CLI's rows"
    );
}

#[tokio::test]
async fn sigterm_shuts_the_server_down_cleanly() {
    let server = Server::start(&[]);
    assert_eq!(
        reqwest::get(server.url("/healthz"))
            .await
            .expect("get")
            .status(),
        200
    );
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn seed_without_a_set_name_explains_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(binary())
        .args(["seed", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pass --demo"), "{stderr}");
}
