//! Starts the real `recall` binary on port 0 with a fresh data directory,
//! and with a fresh PostgreSQL database when `RECALL_TEST_DATABASE_URL`
//! names a server (`make test-postgres`).

#![allow(dead_code)]

pub mod campaigns;
pub mod moto;
pub mod scale;
pub mod smtp;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const DEMO_PASSWORD: &str = "demo-password-123";
pub const ADMIN: &str = "admin@demo.recall.dev";
pub const VIEWER: &str = "viewer@demo.recall.dev";

pub struct Server {
    pub base: String,
    pub data_dir: tempfile::TempDir,
    /// The PostgreSQL database this server uses, if not SQLite.
    pub database_url: Option<String>,
    child: Child,
}

/// A new, empty PostgreSQL database when the tests run against one.
pub fn fresh_database_url() -> Option<String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let admin = std::env::var("RECALL_TEST_DATABASE_URL").ok()?;
    let name = format!(
        "recall_bin_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let status = Command::new("psql")
        .args([admin.as_str(), "-q", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .status()
        .expect("run psql");
    assert!(status.success(), "create database {name}");
    let (base, _) = admin.rsplit_once('/').expect("admin url ends in /DATABASE");
    Some(format!("{base}/{name}"))
}

impl Server {
    pub fn start(extra: &[&str]) -> Self {
        Self::start_with_env(extra, &[])
    }

    /// Like `start`, with extra environment variables.
    pub fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_on(fresh_database_url(), extra, env)
    }

    /// Like `start_with_env`, on a given PostgreSQL database (`None`:
    /// SQLite in the data directory), so several servers can share one.
    pub fn start_on(database_url: Option<String>, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(binary())
            .envs(database_url.iter().map(|url| ("DATABASE_URL", url)))
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.path())
            .args(extra)
            .env("RECALL_LOG", "warn")
            .env("RECALL_DEMO_PASSWORD", DEMO_PASSWORD)
            .envs(env.iter().copied())
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn recall");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("server exited before it was ready")
                .expect("read line");
            if let Some(url) = line.strip_prefix("Recall is running at ") {
                break url.trim().to_string();
            }
        };
        Self {
            base,
            data_dir,
            database_url,
            child,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The binary, pointed at this server's database (add `--data-dir`).
    pub fn recall(&self) -> Command {
        let mut command = Command::new(binary());
        command.envs(self.database_url.iter().map(|url| ("DATABASE_URL", url)));
        command
    }

    pub fn data_path(&self) -> &Path {
        self.data_dir.path()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no cleanup; waits until the process is gone.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }

    /// Sends SIGTERM and waits for the process to exit on its own.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Runs a CLI command on the server's data directory; returns stdout,
    /// panicking with stderr when it fails.
    #[allow(dead_code)]
    pub fn cli(&self, args: &[&str]) -> String {
        let output = self.cli_output(args);
        assert!(
            output.status.success(),
            "recall {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf8")
    }

    #[allow(dead_code)]
    pub fn cli_output(&self, args: &[&str]) -> std::process::Output {
        self.recall()
            .args(args)
            .arg("--data-dir")
            .arg(self.data_path())
            .env("RECALL_LOG", "warn")
            .output()
            .expect("run recall")
    }

    /// Creates an API key with the CLI on the server's data directory.
    pub fn api_key(&self, scopes: &str) -> String {
        let output = self
            .recall()
            .args([
                "apikey",
                "create",
                "--name",
                "test",
                "--scopes",
                scopes,
                "--data-dir",
            ])
            .arg(self.data_path())
            .output()
            .expect("run apikey create");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("utf8")
            .trim()
            .to_string()
    }

    /// A browser-like client (cookies, same-origin header) signed in as
    /// `email` with the demo password.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let resp = client
            .post(self.url("/login"))
            .header("origin", &self.base)
            .form(&[
                ("email", email),
                ("password", DEMO_PASSWORD),
                ("next", "/campaigns"),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(resp.status(), 303);
        assert_eq!(
            resp.headers()["location"],
            "/campaigns",
            "sign-in failed for {email}"
        );
        client
    }

    /// Calls a server function the way the hydrated app does.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        path: &str,
        args: serde_json::Value,
    ) -> (u16, String) {
        let resp = client
            .post(self.url(path))
            .header("origin", &self.base)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(args.to_string())
            .send()
            .await
            .expect("call");
        (resp.status().as_u16(), resp.text().await.expect("body"))
    }

    pub fn client(&self, key: &str) -> Api {
        Api {
            base: self.base.clone(),
            key: key.to_string(),
            http: reqwest::Client::new(),
        }
    }
}

/// A small JSON client for the REST API.
pub struct Api {
    pub base: String,
    pub key: String,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn raw_put(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .expect("send");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// Any method; the body as text (for non-JSON answers).
    #[allow(dead_code)]
    pub async fn text(&self, method: &str, path: &str) -> (u16, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("send");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }

    pub async fn raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("send");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }
}

/// Runs SQL with psql (unaligned, tuples only, `|` between columns) and
/// answers its output, panicking with psql's error when it fails.
pub fn psql(database_url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            database_url,
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql failed: {}\n{sql}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_recall"))
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
