//! One way in: every action that more than one adapter offers (the
//! dashboard's server functions, the REST API, the CLI) has the same
//! outcome and writes the same audit entry through each of them, because
//! each adapter only parses, calls one use case of the engine and maps the
//! result. Table-driven against the real binary.

mod adapters;

use serde_json::json;

use adapters::{Adapter, Adapters, same_entry_from_each};

#[tokio::test]
async fn every_action_offered_twice_has_one_outcome_and_one_audit_entry() {
    let a = Adapters::start().await;
    let hot = a.messages_in("available", "campaign").await;
    let expired = a.messages_in("expired", "campaign").await;
    assert!(
        hot.len() >= 4 && expired.len() >= 3,
        "demo data: {hot:?} {expired:?}"
    );
    let id = |n: i64| ("{id}", n.to_string());

    // Pin and unpin: the dashboard and REST.
    let pins = vec![
        (Adapter::Dashboard, vec![id(hot[0])]),
        (Adapter::Rest, vec![id(hot[1])]),
    ];
    same_entry_from_each(&a, "message.pin", pins.clone(), async |adapter, s| {
        let n = &s[0].1;
        match adapter {
            Adapter::Dashboard => {
                a.call(
                    "pin_message",
                    json!({"id": n.parse::<i64>().unwrap_or(0), "until": "2999-12-31"}),
                )
                .await;
            }
            _ => {
                a.rest(
                    "POST",
                    &format!("/messages/{n}/pin"),
                    Some(json!({"until": "2999-12-31T23:59:59Z"})),
                )
                .await;
            }
        }
        let detail = a.rest("GET", &format!("/messages/{n}"), None).await;
        assert_eq!(detail["pinned"], true, "{adapter:?}: {detail}");
        vec![]
    })
    .await;
    same_entry_from_each(&a, "message.unpin", pins, async |adapter, s| {
        let n = &s[0].1;
        match adapter {
            Adapter::Dashboard => {
                a.call(
                    "unpin_message",
                    json!({"id": n.parse::<i64>().unwrap_or(0)}),
                )
                .await;
            }
            _ => {
                a.rest("DELETE", &format!("/messages/{n}/pin"), None).await;
            }
        }
        let detail = a.rest("GET", &format!("/messages/{n}"), None).await;
        assert_eq!(detail["pinned"], false, "{adapter:?}: {detail}");
        vec![]
    })
    .await;

    // Segments: create, update, delete through the dashboard and REST.
    let filter = |m: i64| json!({"all": [{"any": [{"filter": "opened", "message_id": m}]}]});
    let mut segment_ids = Vec::new();
    let creates = vec![
        (
            Adapter::Dashboard,
            vec![("{name}", "Parity one".to_string()), id(hot[2])],
        ),
        (
            Adapter::Rest,
            vec![("{name}", "Parity two".to_string()), id(hot[3])],
        ),
    ];
    same_entry_from_each(&a, "segment.save", creates, async |adapter, s| {
        let input = json!({"name": s[0].1, "filter": filter(s[1].1.parse().unwrap_or(0))});
        let view = match adapter {
            Adapter::Dashboard => a
                .call("save_segment", json!({"id": null, "input": input}))
                .await["segment"]
                .clone(),
            _ => a.rest("POST", "/segments", Some(input)).await,
        };
        assert_eq!(view["name"], s[0].1);
        let made = view["id"].as_i64().expect("segment id");
        segment_ids.push(made);
        vec![("{segment}", made.to_string())]
    })
    .await;
    // Each adapter updates (then deletes) the segment the other created,
    // so the entries name different ids and the normalization is exercised.
    let segment_subject = |i: usize, name: &str| {
        vec![
            ("{segment}", segment_ids[i].to_string()),
            ("{name}", name.to_string()),
        ]
    };
    let updates = vec![
        (
            Adapter::Dashboard,
            segment_subject(1, "Parity two, renamed"),
        ),
        (Adapter::Rest, segment_subject(0, "Parity one, renamed")),
    ];
    same_entry_from_each(&a, "segment.save", updates.clone(), async |adapter, s| {
        let input = json!({"name": s[1].1, "filter": filter(hot[0])});
        let seg = &s[0].1;
        match adapter {
            Adapter::Dashboard => {
                a.call(
                    "save_segment",
                    json!({"id": seg.parse::<i64>().unwrap_or(0), "input": input}),
                )
                .await;
            }
            _ => {
                a.rest("PUT", &format!("/segments/{seg}"), Some(input))
                    .await;
            }
        }
        let view = a.rest("GET", &format!("/segments/{seg}"), None).await;
        assert_eq!(view["name"], s[1].1, "{adapter:?}");
        vec![]
    })
    .await;
    same_entry_from_each(&a, "segment.delete", updates, async |adapter, s| {
        let seg = &s[0].1;
        match adapter {
            Adapter::Dashboard => {
                a.call(
                    "delete_segment",
                    json!({"id": seg.parse::<i64>().unwrap_or(0)}),
                )
                .await;
            }
            _ => {
                a.rest("DELETE", &format!("/segments/{seg}"), None).await;
            }
        }
        let (status, _) = a.rest.get(&format!("/api/v1/segments/{seg}")).await;
        assert_eq!(status, 404, "{adapter:?}: the segment is gone");
        vec![]
    })
    .await;

    // A message's audience: the dashboard and REST.
    let audiences = vec![
        (Adapter::Dashboard, vec![id(hot[0])]),
        (Adapter::Rest, vec![id(hot[1])]),
    ];
    same_entry_from_each(&a, "message.audience", audiences, async |adapter, s| {
        let n = &s[0].1;
        let input = json!({"filter": filter(hot[2]), "segment_ids": []});
        match adapter {
            Adapter::Dashboard => {
                a.call(
                    "set_audience",
                    json!({"message_id": n.parse::<i64>().unwrap_or(0), "input": input}),
                )
                .await;
            }
            _ => {
                a.rest("PUT", &format!("/messages/{n}/audience"), Some(input))
                    .await;
            }
        }
        let view = a
            .rest("GET", &format!("/messages/{n}/audience"), None)
            .await;
        assert_eq!(
            view["filter"]["all"][0]["any"][0]["message_id"], hot[2],
            "{adapter:?}: {view}"
        );
        vec![]
    })
    .await;

    // A restore request: the dashboard, REST and the CLI.
    let restores = vec![
        (Adapter::Dashboard, vec![id(expired[0])]),
        (Adapter::Rest, vec![id(expired[1])]),
        (Adapter::Cli, vec![id(expired[2])]),
    ];
    let before = a
        .rest("GET", "/restores", None)
        .await
        .as_array()
        .map_or(0, Vec::len);
    let mut batches = Vec::new();
    same_entry_from_each(&a, "restore.request", restores, async |adapter, s| {
        let n: i64 = s[0].1.parse().unwrap_or(0);
        match adapter {
            Adapter::Dashboard => {
                a.call("request_restore", json!({"request": {"message_ids": [n]}}))
                    .await;
            }
            Adapter::Rest => {
                a.rest("POST", "/restores", Some(json!({"message_ids": [n]})))
                    .await;
            }
            Adapter::Cli => {
                a.server.cli(&["restore", "--message", &s[0].1]);
            }
        }
        let newest = a.rest("GET", "/restores", None).await[0].clone();
        assert_eq!(
            newest["jobs"].as_array().map(Vec::len),
            Some(1),
            "{adapter:?}: {newest}"
        );
        batches.push(newest["id"].to_string());
        vec![("batch {batch}", format!("batch {}", newest["id"]))]
    })
    .await;
    let after = a
        .rest("GET", "/restores", None)
        .await
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(after, before + 3, "one batch per request: {batches:?}");

    // The retention window: the dashboard and the CLI, each from 3 to 6
    // months (the dashboard puts it back in between).
    let windows = vec![(Adapter::Dashboard, vec![]), (Adapter::Cli, vec![])];
    same_entry_from_each(&a, "workspace.retention", windows, async |adapter, _| {
        match adapter {
            Adapter::Dashboard => {
                a.call("set_retention", json!({"months": 6})).await;
            }
            _ => {
                a.call("set_retention", json!({"months": 3})).await;
                a.server
                    .cli(&["workspace", "set-retention", "--months", "6"]);
            }
        }
        let setting = a.call("get_retention", json!({})).await;
        assert_eq!(setting["months"], 6, "{adapter:?}");
        let (_, _, detail) = a.last_audit("workspace.retention").await;
        assert_eq!(detail, "retention changed from 3 months to 6 months");
        vec![]
    })
    .await;
}

/// Starting a message whose data expired queues its restore, whichever
/// way it is started (REST is the one adapter with lifecycle actions; the
/// rule lives in the engine's use case, not here).
#[tokio::test]
async fn starting_an_expired_message_queues_its_restore_and_audits_the_start() {
    let a = Adapters::start().await;
    let expired = a.messages_in("expired", "campaign").await;
    let n = expired[0];
    let before = a
        .rest("GET", "/restores", None)
        .await
        .as_array()
        .map_or(0, Vec::len);
    let detail = a.rest("POST", &format!("/messages/{n}/start"), None).await;
    assert_eq!(detail["status"], "active", "{detail}");
    let restores = a.rest("GET", "/restores", None).await;
    assert_eq!(
        restores.as_array().map_or(0, Vec::len),
        before + 1,
        "{restores}"
    );
    assert_eq!(restores[0]["jobs"][0]["message_id"], n, "{restores}");
    let log = a.call("get_audit_log", json!({})).await;
    let actions: Vec<&str> = log
        .as_array()
        .expect("log")
        .iter()
        .take(2)
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"message.status"), "{log}");
    assert!(actions.contains(&"restore.request"), "{log}");
}
