//! Event ingest over HTTP against the real binary: idempotency, per-item
//! rejection, aggregates, profiles, NDJSON and hostile bodies.

use serde_json::json;

use crate::support;
use crate::support::Server;

async fn setup(server: &Server) -> (support::Api, i64, i64) {
    let api = server.client(&server.api_key("ingest,read,manage"));
    let (_, campaign) = api
        .post(
            "/api/v1/messages",
            json!({"kind": "campaign", "name": "Spring", "channel": "email",
            "variants": [{"key": "a"}, {"key": "b"}], "control_group": true}),
        )
        .await;
    let (_, canvas) = api
        .post(
            "/api/v1/messages",
            json!({"kind": "canvas", "name": "Journey", "channel": "push",
            "steps": [{"key": "welcome"}, {"key": "offer"}]}),
        )
        .await;
    (
        api,
        campaign["id"].as_i64().expect("id"),
        canvas["id"].as_i64().expect("id"),
    )
}

fn event(id: &str, message: i64, user: &str, kind: &str) -> serde_json::Value {
    json!({"id": id, "message_id": message, "user_id": user, "kind": kind, "variant": "a", "at": "2026-11-01T10:00:00Z"})
}

#[tokio::test]
async fn valid_events_are_kept_even_when_others_are_rejected() {
    let server = Server::start(&[]);
    let (api, campaign, _) = setup(&server).await;
    let mut bad_variant = event("e3", campaign, "u1", "received");
    bad_variant["variant"] = json!("zz");
    let body = json!({"events": [
        event("e1", campaign, "u1", "received"),
        event("e2", 999_999, "u1", "received"),
        bad_variant,
        {"id": "e4", "message_id": campaign, "user_id": "u2", "kind": "bounced", "at": "2026-11-01T10:00:00Z"},
        event("e5", campaign, "u2", "received"),
    ]});
    let (status, result) = api.post("/api/v1/events", body).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["accepted"], 2);
    assert_eq!(result["duplicates"], 0);
    let rejected = result["rejected"].as_array().expect("rejected");
    let reasons: Vec<(u64, &str)> = rejected
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().expect("i"),
                r["error"].as_str().expect("e"),
            )
        })
        .collect();
    assert_eq!(reasons[0], (1, "message 999999 not found"));
    assert_eq!(
        reasons[1],
        (2, &*format!("message {campaign} has no variant \"zz\""))
    );
    assert!(reasons[2].1.starts_with("unknown kind \"bounced\""));
}

#[tokio::test]
async fn the_same_event_id_twice_is_one_event() {
    let server = Server::start(&[]);
    let (api, campaign, _) = setup(&server).await;
    let batch = json!({"events": [event("dup", campaign, "u1", "received"), event("dup", campaign, "u1", "received")]});
    let (_, first) = api.post("/api/v1/events", batch.clone()).await;
    assert_eq!(
        (first["accepted"].as_u64(), first["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    let (_, again) = api.post("/api/v1/events", batch).await;
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    let (_, message) = api.get(&format!("/api/v1/messages/{campaign}")).await;
    assert_eq!(message["aggregates"]["received"], 1);
}

#[tokio::test]
async fn aggregates_count_unique_opens_and_clicks_per_variant_and_step() {
    let server = Server::start(&[]);
    let (api, campaign, canvas) = setup(&server).await;
    let mut events = vec![
        event("r1", campaign, "u1", "received"),
        event("r2", campaign, "u2", "received"),
        event("o1", campaign, "u1", "opened"),
        event("o2", campaign, "u1", "opened"),
        json!({"id": "c1", "message_id": campaign, "user_id": "u1", "kind": "clicked", "variant": "a", "link": "cta", "at": "2026-11-01T10:05:00Z"}),
        event("v1", campaign, "u1", "converted"),
        json!({"id": "k1", "message_id": campaign, "user_id": "u3", "kind": "control", "variant": "control", "at": "2026-11-01T10:00:00Z"}),
    ];
    for (i, step) in ["welcome", "offer"].iter().enumerate() {
        events.push(json!({"id": format!("s{i}"), "message_id": canvas, "user_id": "u1", "kind": "opened", "step": step, "at": "2026-11-02T09:00:00Z"}));
    }
    let (_, result) = api.post("/api/v1/events", json!({"events": events})).await;
    assert_eq!(result["accepted"], 9, "{result}");

    let (_, message) = api.get(&format!("/api/v1/messages/{campaign}")).await;
    assert_eq!(
        message["aggregates"],
        json!({"received": 2, "unique_opens": 1, "unique_clicks": 1, "conversions": 1, "control": 1})
    );
    let by_variant = message["by_variant"].as_array().expect("rows");
    assert_eq!(
        by_variant.len(),
        2,
        "variant a and the control group: {message}"
    );

    let (_, journey) = api.get(&format!("/api/v1/messages/{canvas}")).await;
    assert_eq!(
        journey["aggregates"]["unique_opens"], 2,
        "one unique open per step"
    );
}

#[tokio::test]
async fn ndjson_bodies_are_accepted() {
    let server = Server::start(&[]);
    let (api, campaign, _) = setup(&server).await;
    let body = format!(
        "{}\n{}\n",
        event("n1", campaign, "u1", "received"),
        event("n2", campaign, "u2", "received")
    );
    let (status, result) = api
        .raw("/api/v1/events", "application/x-ndjson", body.into_bytes())
        .await;
    assert_eq!(
        (status, result["accepted"].as_u64()),
        (200, Some(2)),
        "{result}"
    );
}

#[tokio::test]
async fn hostile_bodies_get_clear_4xx_and_write_nothing() {
    let server = Server::start(&[]);
    let (api, campaign, _) = setup(&server).await;
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{\"events\": [".to_vec(), 422, "is not a JSON object"),
        (b"[1,2,3]".to_vec(), 422, "is not a JSON object"),
        (b"{\"events\": []}".to_vec(), 422, "no events"),
        (vec![0xff, 0xfe, 0x00], 422, "is not a JSON object"),
    ];
    for (body, status, text) in cases {
        let (got, answer) = api.raw("/api/v1/events", "application/json", body).await;
        assert_eq!(got, status, "{answer}");
        assert!(
            answer["error"].as_str().expect("error").contains(text),
            "{answer}"
        );
    }
    let many: Vec<_> = (0..10_001)
        .map(|i| event(&format!("m{i}"), campaign, "u", "received"))
        .collect();
    let (status, answer) = api.post("/api/v1/events", json!({"events": many})).await;
    assert_eq!(status, 422);
    assert!(
        answer["error"]
            .as_str()
            .expect("error")
            .contains("limit is 10000")
    );

    // The server answers 413 without reading the rest of the body and
    // closes that connection, so the oversized post gets its own client.
    let huge = vec![b' '; 17 * 1024 * 1024];
    let separate = server.client(&api.key);
    let (status, answer) = separate
        .raw("/api/v1/events", "application/json", huge)
        .await;
    assert_eq!(status, 413, "{answer}");

    let (_, message) = api.get(&format!("/api/v1/messages/{campaign}")).await;
    assert_eq!(
        message["aggregates"]["received"], 0,
        "nothing was half-written"
    );
}

#[tokio::test]
async fn an_ingest_only_key_cannot_read_and_a_read_key_cannot_ingest() {
    let server = Server::start(&[]);
    let (_, campaign, _) = setup(&server).await;
    let ingest = server.client(&server.api_key("ingest"));
    assert_eq!(
        ingest.get(&format!("/api/v1/messages/{campaign}")).await.0,
        403
    );
    let reader = server.client(&server.api_key("read"));
    let (status, _) = reader
        .post(
            "/api/v1/events",
            json!({"events": [event("x", campaign, "u", "received")]}),
        )
        .await;
    assert_eq!(status, 403);
}
