//! Figures measured through HTTP against the release binary, with wrk as
//! the load generator in its own process.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use recall::store::{Db, Scope};
use recall::types::MessageStatus;

use super::report::Row;
use super::{common, data, repo_root, scaled};

const PASSWORD: &str = "bench-password-123";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path) -> Result<Server, Box<dyn std::error::Error>> {
    let mut child = Command::new(repo_root().join("target/release/recall"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--expiry-interval",
            "0",
            "--data-dir",
        ])
        .arg(dir)
        .env("RECALL_LOG", "warn")
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (base, _) = common::wait_for_address(stdout)?;
    wait_until_ready(&base)?;
    Ok(Server { child, base })
}

/// The body of `/readyz` (HTTP/1.0 by hand: this runs outside tokio).
fn readyz(base: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(base.strip_prefix("http://")?).ok()?;
    stream
        .write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response.split_once("\r\n\r\n")?.1.to_string())
}

/// Waits for `/readyz` to say "ready": the segment bitmaps are built, so
/// the figures measure the steady state, not the start-up build.
fn wait_until_ready(base: &str) -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    loop {
        if readyz(base).is_some_and(|body| body == "ready") {
            println!("server ready in {:.1} s", started.elapsed().as_secs_f64());
            return Ok(());
        }
        if started.elapsed() > std::time::Duration::from_secs(600) {
            return Err("the server was not ready within 10 minutes".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

fn wrk(args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new("wrk").args(args).output()?;
    if !out.status.success() {
        return Err(format!("wrk failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The 99th percentile from wrk's `--latency` table, in milliseconds.
fn p99_ms(report: &str) -> Option<f64> {
    let line = report.lines().find(|l| l.trim_start().starts_with("99%"))?;
    let value = line.split_whitespace().nth(1)?;
    let (number, factor) = if let Some(v) = value.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = value.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = value.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (value, 1.0)
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub async fn run(
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    if Command::new("wrk").arg("--version").output().is_err() {
        notes.push("wrk is not installed (`apt-get install wrk`): HTTP figures skipped.".into());
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let db = Db::open_in_dir(dir.path()).await?;
    let ws = db
        .ensure_workspace("default", "Default", data::t0())
        .await?;
    let messages = scaled(10_000);
    let batch: Vec<_> = (0..messages)
        .map(|i| {
            let tags = [format!("t-{}", i % 20), format!("team-{}", i % 7)];
            let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
            let status = if i % 4 == 0 {
                MessageStatus::Active
            } else {
                MessageStatus::Stopped
            };
            data::new_message(&format!("Campaign {i:05}"), &tags, status, i % 300)
        })
        .collect();
    let ids = db.insert_messages(&ws, &batch).await?;
    let users = scaled(1_000_000);
    data::profiles(&db, &ws, users).await?;
    let preload = scaled(10_000_000);
    let per = (preload / 100).max(1);
    for id in ids.iter().take(100) {
        data::events(&db, *id, per, users).await?;
    }
    let (_, key) = db
        .create_api_key(&ws, "bench", &[Scope::Ingest, Scope::Read], data::t0())
        .await?;
    recall::service::auth::add_user(
        &db,
        &ws,
        "cli",
        "bench@example.com",
        PASSWORD,
        recall::types::Role::Viewer,
        chrono::Utc::now(),
    )
    .await?;
    drop(db);

    let server = start(dir.path())?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = common::sign_in(&client, &server.base, "bench@example.com", PASSWORD).await?;

    // Dashboard: the Campaigns page, tag filter applied, 32 clients.
    let url = format!("{}/campaigns?tag=t-3", server.base);
    let page = client.get(&url).header("cookie", &cookie).send().await?;
    if page.status() != 200 {
        return Err(format!("campaigns page answered {}", page.status()).into());
    }
    let header = format!("Cookie: {cookie}");
    let out = wrk(&["-t2", "-c32", "-d15s", "--latency", "-H", &header, &url])?;
    let p99 = p99_ms(&out).unwrap_or(f64::NAN);
    rows.push(Row {
        figure: "dashboard",
        how: format!("wrk -t2 -c32 -d15s: Campaigns page (server-rendered) of {messages} messages with a tag filter, signed in"),
        target: "p99 <= 30 ms",
        result: format!("p99 {p99:.1} ms ({} req/s)", requests_per_sec(&out)),
        met: Some(p99 <= 30.0),
    });

    // Ingest: batches of 1,000, sustained, into a database that already
    // holds the preloaded events.
    let seconds = std::env::var("BENCH_INGEST_SECONDS").unwrap_or_else(|_| "60".into());
    let script = dir.path().join("ingest.lua");
    let at = (chrono::Utc::now() - chrono::Duration::hours(1)).timestamp_millis();
    let mut f = std::fs::File::create(&script)?;
    write!(
        f,
        r#"local n = 0
local counter = 0
local tid = 0
function setup(thread) n = n + 1; thread:set("tid", n) end
function init(args) tid = tonumber(wrk.thread:get("tid")) or 0 end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer {key}"
wrk.headers["Content-Type"] = "application/x-ndjson"
request = function()
  counter = counter + 1
  local t = {{}}
  for i = 1, 1000 do
    t[i] = string.format('{{"id":"w%d-%d-%d","message_id":{mid},"user_id":"user-%d","kind":"received","at":{at}}}', tid, counter, i, ((counter * 1000 + i) % {users}) + 1)
  end
  return wrk.format(nil, "/api/v1/events", nil, table.concat(t, "\n"))
end
"#,
        mid = ids[0],
    )?;
    drop(f);
    let check = Db::open_in_dir(dir.path()).await?;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(check.sqlite_pool().expect("the harness runs on SQLite"))
        .await?;
    let t = Instant::now();
    let script_arg = script.display().to_string();
    let out = wrk(&[
        "-t2",
        "-c8",
        &format!("-d{seconds}s"),
        "--timeout",
        "10s",
        "-s",
        &script_arg,
        &server.base,
    ])?;
    let secs = t.elapsed().as_secs_f64();
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(check.sqlite_pool().expect("the harness runs on SQLite"))
        .await?;
    let accepted = after - before;
    let events_per_sec = accepted as f64 / secs;
    rows.push(Row {
        figure: "ingest throughput",
        how: format!("wrk -t2 -c8 -d{seconds}s POST /api/v1/events, NDJSON batches of 1,000 distinct events, into a database already holding {before} events; counted in the database"),
        target: ">= 300,000 events/s",
        result: format!("{events_per_sec:.0} events/s ({} req/s, {accepted} events)", requests_per_sec(&out)),
        met: Some(events_per_sec >= 300_000.0),
    });
    let rss = peak_rss_mb(server.child.id()).unwrap_or(f64::NAN);
    rows.push(Row {
        figure: "memory",
        how: "server peak RSS (VmHWM) after the dashboard and ingest runs".into(),
        target: "<= 300 MB",
        result: format!("{rss:.0} MB"),
        met: Some(rss <= 300.0),
    });
    Ok(())
}

fn requests_per_sec(report: &str) -> String {
    report
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?")
        .to_string()
}
