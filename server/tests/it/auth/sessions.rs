//! Sessions of the dashboard: sign-in lockout, cross-site posts, signing
//! out, and the security headers every page carries.

use crate::support::{ADMIN, Server};

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
