//! Nobody gets in where they don't belong: every page and server function
//! against the real binary.
//!
//! This module holds what the tests share: the server functions with
//! arguments, an editor account, and ways to find or make data to act on.

use serde_json::json;

use crate::support;
use crate::support::Server;

mod access;
mod roles;
mod sessions;

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
