//! Stopped campaigns with many events for the scale-out test: some through
//! the REST API (round robin over a cluster's servers), most in bulk with
//! SQL; and the passing of months that makes them due.

use std::collections::BTreeMap;

use serde_json::json;

use super::psql;
use super::scale::{Cluster, Event};

/// Every accepted event, per campaign.
pub type Ledger = BTreeMap<i64, Vec<Event>>;

pub const KINDS: [&str; 3] = ["received", "opened", "clicked"];

pub struct Plan {
    pub messages: usize,
    /// Campaign `m` carries `tags[m % tags.len()]`.
    pub tags: &'static [&'static str],
    pub api_events: i64,
    pub bulk_events: i64,
    /// Events go to `user-1` .. `user-USERS` in turn.
    pub users: i64,
}

impl Plan {
    pub async fn seed(&self, cluster: &Cluster, db: &str) -> Ledger {
        let base = (chrono::Utc::now() - chrono::Duration::days(300)).timestamp() * 1000;
        let bulk_at = base + 10_000_000;
        let users = self.users;
        let event = |prefix: &str, id: i64, i: i64, at: i64| {
            let user = format!("user-{}", i % users + 1);
            let kind = KINDS[i as usize % 3].to_string();
            (format!("{prefix}-{id}-{i}"), kind, user, at + i * 1000)
        };
        let mut accepted = Ledger::new();
        for m in 0..self.messages {
            let api = cluster.api(m);
            let message = json!({"kind": "campaign", "name": format!("Scale {m}"),
                "channel": "email", "tags": [self.tags[m % self.tags.len()]]});
            let (status, created) = api.post("/api/v1/messages", message).await;
            assert_eq!(status, 201, "{created}");
            let id = created["id"].as_i64().expect("id");
            let (status, _) = api
                .post(&format!("/api/v1/messages/{id}/start"), json!({}))
                .await;
            assert_eq!(status, 200, "start {id}");
            let events: Vec<Event> = (0..self.api_events)
                .map(|i| event("api", id, i, base))
                .collect();
            let mut body = String::new();
            for (event_id, kind, user, at) in &events {
                let at = chrono::DateTime::from_timestamp_millis(*at).expect("at");
                let line = json!({"id": event_id, "message_id": id, "user_id": user,
                    "kind": kind, "at": at.to_rfc3339()});
                body.push_str(&format!("{line}\n"));
            }
            let (status, result) = api
                .raw("/api/v1/events", "application/x-ndjson", body.into())
                .await;
            let expected = (200, Some(self.api_events));
            assert_eq!((status, result["accepted"].as_i64()), expected, "{result}");
            let (status, _) = api
                .post(&format!("/api/v1/messages/{id}/stop"), json!({}))
                .await;
            assert_eq!(status, 200, "stop {id}");
            let bulk = (0..self.bulk_events).map(|i| event("bulk", id, i, bulk_at));
            accepted.insert(id, events.into_iter().chain(bulk).collect());
        }
        let ids = id_list(&accepted);
        let (n, users) = (self.bulk_events, self.users);
        // The same events as `event("bulk", ..)`, in the table's key order.
        psql(
            db,
            &format!(
                "UPDATE data_seq SET seq = seq + 1; \
                 INSERT INTO profiles (workspace_id, external_id, seq) \
                 SELECT w.id, 'user-' || x, (SELECT seq FROM data_seq) \
                 FROM workspaces w, generate_series(1, {users}) x \
                 WHERE w.slug = 'default' ON CONFLICT DO NOTHING; \
                 INSERT INTO events (message_id, kind, profile_id, at, event_id, seq) \
                 SELECT m, 1 + x % 3, p.id, {bulk_at} + x * 1000, 'bulk-' || m || '-' || x, \
                        (SELECT seq FROM data_seq) \
                 FROM unnest(ARRAY[{ids}]) m, generate_series(0, {n} - 1) x \
                 JOIN profiles p ON p.external_id = 'user-' || (x % {users} + 1) \
                 ORDER BY 1, 2, 3, 4, 5"
            ),
        );
        accepted
    }
}

/// The campaigns' ids, comma-separated for SQL.
pub fn id_list(ledger: &Ledger) -> String {
    let ids: Vec<String> = ledger.keys().map(i64::to_string).collect();
    ids.join(",")
}

/// Months pass: the campaigns ran and stopped long ago, so they are due.
pub fn make_due(db: &str, ids: &str) {
    let day = 86_400_000;
    let now = chrono::Utc::now().timestamp_millis();
    let (start, stop) = (now - 320 * day, now - 200 * day);
    psql(
        db,
        &format!(
            "UPDATE messages SET created_at = {start}, started_at = {start}, \
             stopped_at = {stop}, updated_at = {stop}, last_activity_at = {stop} \
             WHERE id IN ({ids})"
        ),
    );
}
