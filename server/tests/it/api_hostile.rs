//! Hostile input against the real binary (issue #10): every answer to a
//! bad request is a 4xx with a JSON `{"error"}` that says what is wrong,
//! and nothing is written. Each case is one schemathesis or proptest
//! finding, kept as a regression test.

use serde_json::{Value, json};

use crate::support::Server;

async fn raw(
    server: &Server,
    key: &str,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (u16, Option<String>, Value) {
    let resp = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            server.url(path),
        )
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    let allow = resp
        .headers()
        .get("allow")
        .map(|v| v.to_str().expect("ascii").to_string());
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, allow, body)
}

fn error_text(answer: &Value) -> &str {
    answer["error"]
        .as_str()
        .unwrap_or_else(|| panic!("not a JSON error: {answer}"))
}

#[tokio::test]
async fn malformed_requests_get_a_json_4xx_that_says_what_is_wrong() {
    let server = Server::start(&[]);
    let key = server.api_key("ingest,read,manage");
    let api = server.client(&key);
    let (_, message) = api
        .post(
            "/api/v1/messages",
            json!({"kind": "campaign", "name": "Spring", "channel": "email"}),
        )
        .await;
    let id = message["id"].as_i64().expect("id");
    let pin = format!("/api/v1/messages/{id}/pin");
    let cases: Vec<(&str, String, Vec<u8>, u16, &str)> = vec![
        // axum answered these with an empty body or plain text.
        (
            "DELETE",
            "/api/v1/tags".into(),
            vec![],
            405,
            "does not take that method",
        ),
        (
            "GET",
            "/api/v1/messages/%FF".into(),
            vec![],
            400,
            "Invalid UTF-8 in `id`",
        ),
        (
            "POST",
            format!("/api/v1/messages/{id}/%FF%FE"),
            vec![],
            400,
            "Invalid UTF-8",
        ),
        // serde read a struct from an array of its fields: `[]` pinned.
        (
            "POST",
            pin.clone(),
            b"[]".to_vec(),
            422,
            "must be a JSON object, not an array",
        ),
        // Whitespace alone is not JSON (schemathesis, 2026-12-02): it pinned.
        (
            "POST",
            pin.clone(),
            b"\n".to_vec(),
            400,
            "request body is empty; send a JSON object",
        ),
        (
            "POST",
            "/api/v1/messages".into(),
            br#"["campaign", "Positional", "", [], "email", [], false, []]"#.to_vec(),
            422,
            "must be a JSON object, not an array",
        ),
        (
            "POST",
            "/api/v1/segments".into(),
            b"\"x\"".to_vec(),
            422,
            "not a string",
        ),
        (
            "PUT",
            format!("/api/v1/messages/{id}/audience"),
            b"  ".to_vec(),
            400,
            "body is empty",
        ),
        (
            "POST",
            "/api/v1/tags/rename".into(),
            b"{\"from\": ".to_vec(),
            400,
            "invalid request body: EOF",
        ),
        // Out-of-range paging was clamped silently, against the document.
        (
            "GET",
            "/api/v1/messages?per_page=201".into(),
            vec![],
            422,
            "per_page must be an integer from 1 to 200",
        ),
        (
            "GET",
            "/api/v1/messages?page=0".into(),
            vec![],
            422,
            "page must be an integer from 1",
        ),
        (
            "GET",
            "/api/v1/messages?page=2147483648".into(),
            vec![],
            422,
            "from 1 to 2147483647",
        ),
        (
            "GET",
            "/api/v1/segments/1/users?limit=0".into(),
            vec![],
            422,
            "limit must be an integer from 1 to 10000",
        ),
        (
            "GET",
            "/api/v1/segments/1/users?limit=10001".into(),
            vec![],
            422,
            "from 1 to 10000",
        ),
        (
            "GET",
            "/api/v1/segments/1/users?after=-1".into(),
            vec![],
            422,
            "after must be an integer from 0",
        ),
        // An empty merge was a silent no-op, against the document.
        (
            "POST",
            "/api/v1/tags/merge".into(),
            br#"{"from": [], "into": "x"}"#.to_vec(),
            422,
            "at least one tag",
        ),
        // Rust type names stayed in serde's message.
        (
            "POST",
            "/api/v1/messages".into(),
            br#"{"kind": "campaign", "name": "x", "channel": "email", "variants": ["a"]}"#.to_vec(),
            422,
            "expected an object",
        ),
    ];
    for (method, path, body, status, says) in cases {
        let (got, allow, answer) = raw(&server, &key, method, &path, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        let text = error_text(&answer);
        assert!(text.contains(says), "{method} {path}: {text}");
        assert!(!text.contains("struct "), "{method} {path}: {text}");
        if status == 405 {
            assert_eq!(allow.as_deref(), Some("GET,HEAD"));
        }
    }

    // Over the 2 MiB limit: the server answers before reading it all and
    // closes the connection, so this gets its own client.
    let (status, _, answer) = raw(
        &server,
        &key,
        "POST",
        "/api/v1/messages",
        vec![b' '; 3 * 1024 * 1024],
    )
    .await;
    assert_eq!(status, 413, "{answer}");
    assert!(error_text(&answer).contains("2 MiB limit"), "{answer}");

    let (_, list) = api.get("/api/v1/messages?status=draft").await;
    assert_eq!(list["total"], 1, "nothing was written: {list}");
    let (_, detail) = api.get(&format!("/api/v1/messages/{id}")).await;
    assert_eq!(detail["pinned"], false, "`[]` did not pin");
    // The pin body is optional; `null` is the same as none.
    let (status, _, detail) = raw(&server, &key, "POST", &pin, b"null".to_vec()).await;
    assert_eq!((status, &detail["pinned"]), (200, &json!(true)), "{detail}");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_bad_events_name_their_problem() {
    let server = Server::start(&[]);
    let key = server.api_key("ingest,read,manage");
    let resp = reqwest::Client::new()
        .get(server.url("/api/v1/tags"))
        .header("authorization", format!("bearer {key}"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);

    let api = server.client(&key);
    let (_, message) = api
        .post(
            "/api/v1/messages",
            json!({"kind": "campaign", "name": "Spring", "channel": "email"}),
        )
        .await;
    let id = message["id"].as_i64().expect("id");
    let good = json!({"id": "e1", "message_id": id, "user_id": "u", "kind": "received", "at": "2026-11-01T10:00:00Z"});
    let body = json!({"events": [
        ["e2", id, "u", "received", null, null, "2026-11-01T10:00:00Z"],
        {"id": "e3", "message_id": id, "user_id": 42, "kind": "received", "at": "2026-11-01T10:00:00Z"},
        good,
    ]});
    let (status, result) = api.post("/api/v1/events", body).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["accepted"], 1, "{result}");
    assert_eq!(
        result["rejected"],
        json!([
            {"index": 0, "error": "an event must be a JSON object, not an array"},
            {"index": 1, "error": "user_id must be a string, not a number"},
        ])
    );

    let ndjson = format!("\u{feff}{good}\n\n{{\"id\": \"e4\", \"message_id\": {id},\n");
    let (status, result) = api
        .raw(
            "/api/v1/events",
            "application/x-ndjson",
            ndjson.into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(
        (result["accepted"].as_u64(), result["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    let reason = result["rejected"][0]["error"].as_str().expect("reason");
    assert!(
        reason.starts_with("line 3 is not JSON: EOF while parsing a value at column"),
        "{reason}"
    );
}
