//! The traffic of one life: ingest of fresh events (for hot, expired and
//! restoring messages alike) and restore requests, both through the REST
//! API, until the process is killed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::ledger::{Request, Sent};
use super::seed::USERS;

/// Events per ingest request.
pub const BATCH: usize = 50;

/// Pause between requests: steady traffic that leaves the write lock to
/// the workers most of the time.
const PACE: std::time::Duration = std::time::Duration::from_millis(50);

/// Where the restore requests' completion email goes.
pub const NOTIFY: &str = "ops@example.com";

pub struct Api {
    pub base: String,
    pub key: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, key: &str) -> Self {
        Self {
            base: base.to_string(),
            key: key.to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// Sends one batch; `Cut` when no answer came (the process died) or
    /// the answer was not a success.
    async fn ingest(&self, message: i64, ids: &[String], seq: u64) -> Sent {
        let at = (chrono::Utc::now() - chrono::Duration::days(100)).timestamp_millis();
        let mut body = String::new();
        for (i, id) in ids.iter().enumerate() {
            let user = (seq * BATCH as u64 + i as u64) % USERS as u64 + 1;
            let kind = ["received", "opened", "clicked"][i % 3];
            body.push_str(
                &json!({"id": id, "message_id": message, "user_id": format!("user-{user}"),
                        "kind": kind, "at": at + i as i64})
                .to_string(),
            );
            body.push('\n');
        }
        let sent = self
            .http
            .post(format!("{}/api/v1/events", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await;
        let Ok(resp) = sent else { return Sent::Cut };
        if !resp.status().is_success() {
            return Sent::Cut;
        }
        match resp.json::<serde_json::Value>().await {
            Ok(v) => Sent::Acked {
                accepted: v["accepted"].as_u64().unwrap_or(0),
            },
            Err(_) => Sent::Cut,
        }
    }

    /// Asks for a restore; the batch id when the answer arrived.
    pub async fn restore(&self, ids: &[i64]) -> Option<i64> {
        let resp = self
            .http
            .post(format!("{}/api/v1/restores", self.base))
            .bearer_auth(&self.key)
            .json(&json!({"message_ids": ids, "notify": NOTIFY}))
            .send()
            .await
            .ok()?;
        if resp.status() != 202 {
            return None;
        }
        let v: serde_json::Value = resp.json().await.ok()?;
        v["id"].as_i64()
    }
}

/// Sends batches back to back for random messages until `stop` is set
/// (or the server stops answering); every request ends up in the list.
pub async fn ingest(
    api: Arc<Api>,
    messages: Vec<i64>,
    life: u64,
    seed: u64,
    stop: Arc<AtomicBool>,
) -> Vec<Request> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let mut seq = 0u64;
    while !stop.load(Ordering::SeqCst) {
        let message = messages[rng.random_range(0..messages.len())];
        let ids: Vec<String> = (0..BATCH).map(|i| format!("l{life}-{seq}-{i}")).collect();
        let sent = api.ingest(message, &ids, seq).await;
        let cut = matches!(sent, Sent::Cut);
        out.push(Request { message, ids, sent });
        seq += 1;
        if cut {
            // The process is gone (or refused): nothing more to send.
            break;
        }
        tokio::time::sleep(PACE).await;
    }
    out
}
