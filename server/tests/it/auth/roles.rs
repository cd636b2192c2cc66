//! What each role may change: segments and audiences need an editor, pins
//! an editor and retention an admin; the changes show on the page and in
//! the audit log.

use serde_json::json;

use super::{EDITOR, add_user, available_message, saved_segment};
use crate::support::{ADMIN, Server, VIEWER};

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
        json!({"kind": "pin", "until": "2999-12-31T23:59:59Z"})
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
                &*format!("message {id} kept available until 2999-12-31 23:59 UTC")
            ),
        ]
    );
}
