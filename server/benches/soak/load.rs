//! The load generators. Each records every request it makes: what, when,
//! how long, and whether it succeeded.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::server::{PASSWORD, Server};

pub struct Sample {
    pub op: &'static str,
    pub second: u64,
    pub ms: f64,
    pub error: Option<String>,
}

#[derive(Clone)]
pub struct Recorder {
    started: Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
}

impl Recorder {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            samples: Arc::default(),
        }
    }

    fn record(&self, op: &'static str, began: Instant, error: Option<String>) {
        let sample = Sample {
            op,
            second: began.duration_since(self.started).as_secs(),
            ms: began.elapsed().as_secs_f64() * 1000.0,
            error,
        };
        self.samples.lock().expect("samples").push(sample);
    }

    pub fn take(&self) -> Vec<Sample> {
        std::mem::take(&mut *self.samples.lock().expect("samples"))
    }
}

/// The running server, seen from outside.
pub struct Target {
    client: reqwest::Client,
    base: String,
    key: String,
    cookie: String,
    pub active: Vec<i64>,
    pub expired: Vec<i64>,
    tags: Vec<String>,
}

impl Target {
    pub async fn connect(server: &Server) -> Result<Self, Box<dyn std::error::Error>> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?;
        let cookie =
            super::common::sign_in(&client, &server.base, "admin@demo.recall.dev", PASSWORD)
                .await?;
        let mut target = Self {
            client,
            base: server.base.clone(),
            key: server.api_key.clone(),
            cookie,
            active: Vec::new(),
            expired: Vec::new(),
            tags: Vec::new(),
        };
        let ids = |page: Value| -> Vec<i64> {
            page["items"]
                .as_array()
                .map(|items| items.iter().filter_map(|m| m["id"].as_i64()).collect())
                .unwrap_or_default()
        };
        target.active = ids(target
            .api_get("/api/v1/messages?status=active&per_page=200")
            .await?);
        target.expired = ids(target
            .api_get("/api/v1/messages?data_state=expired&per_page=200")
            .await?);
        let tags = target.api_get("/api/v1/messages?per_page=200").await?;
        let mut all: Vec<String> = tags["items"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|m| m["tags"].as_array().cloned().unwrap_or_default())
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect();
        all.sort();
        all.dedup();
        target.tags = all;
        if target.active.len() < 2 || target.expired.is_empty() || target.tags.is_empty() {
            return Err("the demo data set lacks active or expired messages".into());
        }
        Ok(target)
    }

    async fn api_get(&self, path: &str) -> Result<Value, Box<dyn std::error::Error>> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await?
            .error_for_status()?;
        Ok(response.json().await?)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Option<String> {
        match request.send().await {
            Ok(r) if r.status().is_success() => {
                // Read the whole body: a response counts once it is complete.
                r.bytes().await.err().map(|e| e.to_string())
            }
            Ok(r) => {
                let status = r.status();
                Some(format!("{status}: {}", r.text().await.unwrap_or_default()))
            }
            Err(e) => Some(e.to_string()),
        }
    }
}

/// Batches of 1,000 events at `rate` events/s, mostly for active
/// messages, some for expired ones (late events).
pub async fn ingest(target: Arc<Target>, rec: Recorder, until: Instant, rate: u64, sender: u64) {
    let batches_per_second = (rate as f64 / 1000.0).max(0.1);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / batches_per_second));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let kinds = ["received", "received", "opened", "clicked", "converted"];
    let mut n: u64 = 0;
    while Instant::now() < until {
        tick.tick().await;
        let at = chrono::Utc::now().to_rfc3339();
        let mut body = String::with_capacity(120_000);
        for _ in 0..1000 {
            n += 1;
            let message = if n.is_multiple_of(10) {
                target.expired[(n / 10) as usize % target.expired.len()]
            } else {
                target.active[n as usize % target.active.len()]
            };
            let line = json!({"id": format!("soak-{sender}-{n}"), "message_id": message,
                "user_id": format!("user-{}", (n * 7919) % 50_000), "kind": kinds[n as usize % kinds.len()], "at": at});
            body.push_str(&line.to_string());
            body.push('\n');
        }
        let request = target
            .client
            .post(format!("{}/api/v1/events", target.base))
            .bearer_auth(&target.key)
            .header("content-type", "application/x-ndjson")
            .body(body);
        let began = Instant::now();
        let error = target.send(request).await;
        rec.record("ingest (1,000 events)", began, error);
    }
}

/// A person clicking through the dashboard.
pub async fn browse(target: Arc<Target>, rec: Recorder, until: Instant, who: usize) {
    let mut i = who;
    while Instant::now() < until {
        i += 1;
        let tag = &target.tags[i % target.tags.len()];
        let message = target.active[i % target.active.len()];
        let pages = [
            (
                "dashboard: campaigns by tag",
                format!("/campaigns?tag={tag}"),
            ),
            ("dashboard: landing page", format!("/messages/{message}")),
            ("dashboard: restores", "/restores".to_string()),
            ("dashboard: canvases", "/canvases?state=expired".to_string()),
        ];
        for (op, path) in pages {
            let request = target
                .client
                .get(format!("{}{path}", target.base))
                .header("cookie", &target.cookie);
            let began = Instant::now();
            let error = target.send(request).await;
            rec.record(op, began, error);
        }
    }
}

/// Exact counts of a two-group audience, back to back.
pub async fn evaluate(target: Arc<Target>, rec: Recorder, until: Instant) {
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        let (a, b) = (
            target.active[i % target.active.len()],
            target.active[(i + 1) % target.active.len()],
        );
        let filter = json!({"filter": {"all": [
            {"any": [{"filter": "opened", "message_id": a}]},
            {"any": [{"filter": "clicked", "message_id": b, "negate": true}]},
        ]}});
        let request = target
            .client
            .post(format!("{}/api/v1/segments/evaluate", target.base))
            .bearer_auth(&target.key)
            .json(&filter);
        let began = Instant::now();
        let error = target.send(request).await;
        rec.record("segment evaluation", began, error);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A tag restore every 20 seconds, cycling through the tags.
pub async fn restore(target: Arc<Target>, rec: Recorder, until: Instant) {
    let mut i = 0;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(20)).await;
        let tag = &target.tags[i % target.tags.len()];
        i += 1;
        let request = target
            .client
            .post(format!("{}/api/v1/restores", target.base))
            .bearer_auth(&target.key)
            .json(&json!({"tag": tag, "notify": "ops@example.com"}));
        let began = Instant::now();
        let error = target.send(request).await;
        rec.record("restore request (tag)", began, error);
    }
}

/// Every 45 s, `recall expire` from a second process, as of four months
/// ahead: it expires what the restores brought back, while the server
/// ingests, restores and runs its own passes.
pub async fn expire_beside(command: (PathBuf, PathBuf), rec: Recorder, until: Instant) {
    let (binary, dir) = command;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(45)).await;
        let as_of = (chrono::Utc::now() + chrono::Duration::days(125)).to_rfc3339();
        let began = Instant::now();
        let (binary, dir) = (binary.clone(), dir.clone());
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(&binary)
                .arg("--data-dir")
                .arg(&dir)
                .args(["expire", "--as-of", &as_of])
                .env("RECALL_LOG", "warn")
                .output()
        })
        .await;
        let error = match out {
            Ok(Ok(o)) if o.status.success() => None,
            // The last line is the error; warnings come before it.
            Ok(Ok(o)) => Some(
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("failed without a message")
                    .to_string(),
            ),
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        rec.record("expiry pass (second process)", began, error);
    }
}
