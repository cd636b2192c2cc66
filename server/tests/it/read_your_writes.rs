//! Segment counts read their writes across processes (issue #18): two
//! `recall serve` processes on one PostgreSQL database, each with its own
//! in-memory bitmaps. Events accepted by one are in the very next count
//! the other answers, with no wait in between.
//!
//! Runs with `make test-postgres` (needs `RECALL_TEST_DATABASE_URL`);
//! skipped otherwise.

use std::io::Write;

use serde_json::json;

use crate::support;
use crate::support::scale::Cluster;

#[tokio::test]
async fn a_count_on_one_server_sees_events_just_accepted_by_another() {
    if std::env::var_os("RECALL_TEST_DATABASE_URL").is_none() {
        let skipped =
            "read_your_writes: skipped (needs RECALL_TEST_DATABASE_URL; `make test-postgres`)";
        let _ = writeln!(std::io::stderr(), "{skipped}");
        return;
    }
    let db = support::fresh_database_url().expect("a PostgreSQL database");
    let cluster = Cluster::start(2, &db, &["--expiry-interval", "0"], &[]);
    let (writer, reader) = (cluster.api(0), cluster.api(1));
    let message = json!({"kind": "campaign", "name": "Both", "channel": "email"});
    let (status, created) = writer.post("/api/v1/messages", message).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    let (status, _) = writer
        .post(&format!("/api/v1/messages/{id}/start"), json!({}))
        .await;
    assert_eq!(status, 200);
    let filter = json!({"all": [
        {"any": [{"filter": "received", "message_id": id}]},
        {"any": [{"filter": "opened", "message_id": id, "negate": true}]},
    ]});
    // The reader's bitmaps exist before the writes (its first count).
    let (status, first) = reader
        .post("/api/v1/segments/evaluate", json!({"filter": filter}))
        .await;
    assert_eq!((status, first["count"].as_i64()), (200, Some(0)), "{first}");

    for round in 0..20_i64 {
        // Two new users received; one of the earlier ones opened.
        let mut body = String::new();
        for user in [2 * round, 2 * round + 1] {
            let line = json!({"id": format!("r{user}"), "message_id": id,
                "user_id": format!("u{user}"), "kind": "received", "at": "2026-11-01T10:00:00Z"});
            body.push_str(&format!("{line}\n"));
        }
        if round > 0 {
            let line = json!({"id": format!("o{round}"), "message_id": id,
                "user_id": format!("u{}", round - 1), "kind": "opened", "at": "2026-11-01T11:00:00Z"});
            body.push_str(&format!("{line}\n"));
        }
        let (status, result) = writer
            .raw("/api/v1/events", "application/x-ndjson", body.into())
            .await;
        assert_eq!(status, 200, "{result}");
        let (status, counted) = reader
            .post("/api/v1/segments/evaluate", json!({"filter": filter}))
            .await;
        assert_eq!(status, 200, "{counted}");
        let received = 2 * (round + 1);
        assert_eq!(
            counted["count"].as_i64(),
            Some(received - round),
            "round {round}: the reader missed a write"
        );
    }
}
