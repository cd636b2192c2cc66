//! `make bench`: measures every figure of the benchmark issue against its
//! target on this machine and writes BENCHMARKS.md. Engine figures run
//! in-process on real SQLite and a real archive directory; HTTP figures
//! run the release binary and drive it with wrk from a separate process.
//!
//! `BENCH_SCALE` (default 1.0) shrinks every data set for a quick look;
//! only a full-scale run is comparable with the targets.

#[path = "../common.rs"]
mod common;
mod data;
mod http;
mod report;
mod segments;

use std::path::PathBuf;
use std::time::Instant;

use chrono::Duration;
use recall::clock::Clock;
use recall::domain::Audience;
use recall::engine::{Actor, Config, Engine};
use recall::mail::Mailer;
use recall::service::expiry::Expiry;
use recall::storage::LongTermStorage;
use recall::store::Db;
use recall::types::{MessageStatus, RestoreRequest};
use report::Row;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn scale() -> f64 {
    std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(1.0)
}

/// `BENCH_ONLY=engine,http,wasm` runs some parts (for profiling one);
/// a partial run still writes what it measured.
fn part(name: &str) -> bool {
    std::env::var("BENCH_ONLY")
        .map(|only| only.split(',').any(|p| p.trim() == name))
        .unwrap_or(true)
}

fn scaled(n: i64) -> i64 {
    ((n as f64) * scale()).max(1.0) as i64
}

fn rate(n: i64, secs: f64) -> String {
    format!("{:.0} events/s", n as f64 / secs.max(1e-9))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    if part("engine") {
        engine(&mut rows, &mut notes).await?;
    }
    if part("http") {
        http::run(&mut rows, &mut notes).await?;
    }
    if part("wasm") {
        wasm(&mut rows)?;
    }
    let command = if scale() == 1.0 {
        "make bench".to_string()
    } else {
        format!("BENCH_SCALE={} make bench", scale())
    };
    report::write(&rows, &command, &notes)?;
    println!("wrote BENCHMARKS.md");
    Ok(())
}

/// Expiry, restore, storage size and segment evaluation.
async fn engine(
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db = Db::open_in_dir(dir.path()).await?;
    let ws = db
        .ensure_workspace("default", "Default", data::t0())
        .await?;
    let users = scaled(1_000_000);
    let campaigns = 100;
    let per_campaign = scaled(100_000);
    let started = Instant::now();
    data::profiles(&db, &ws, users).await?;
    let mut ids = Vec::new();
    let mut small_p50 = 0.0;
    for i in 0..campaigns {
        if i == campaigns / 10 {
            small_p50 = segments::p50_at(&db, &ws, dir.path(), &ids).await?;
        }
        let tag = if i % 10 == 0 { "t-bench" } else { "other" };
        let m = data::new_message(
            &format!("Campaign {i}"),
            &[tag],
            MessageStatus::Stopped,
            200,
        );
        let id = db.insert_message(&ws, &m).await?;
        data::events(&db, id, per_campaign, users).await?;
        ids.push(id);
    }
    let total = per_campaign * campaigns;
    println!(
        "generated {total} events for {users} users in {:.0?}",
        started.elapsed()
    );

    // Segment evaluation over the hot data: the bitmaps, then the SQL
    // evaluator they replaced (kept as their test oracle).
    segments::figures(&db, &ws, dir.path(), &ids, total, users, small_p50, rows).await?;
    let audience = Audience::parse(&segments::benchmark_segment(&ids))?;
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..30 {
        let t = Instant::now();
        count = db.count_audience(&ws, &[&audience], data::t0()).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    rows.push(Row {
        figure: "segment evaluation (SQL oracle)",
        how: format!("the SQL evaluator's exact count of \"opened X AND NOT clicked Y AND received any with tag T\" over {total} hot events, {users} users, 30 runs ({count} users match)"),
        target: "p50 <= 50 ms, p99 <= 150 ms",
        result: format!("p50 {p50:.1} ms, p99 {p99:.1} ms"),
        met: Some(p50 <= 50.0 && p99 <= 150.0),
    });

    let sqlite_bytes = sqlite_bytes_of(&db, dir.path()).await?;

    // Expiry of every campaign.
    let archive = LongTermStorage::local(&dir.path().join("archive"))?;
    let expiry = Expiry::new(db.clone(), archive.clone());
    let now = data::t0() + Duration::days(400);
    let t = Instant::now();
    let report = expiry.tick(now).await?;
    let secs = t.elapsed().as_secs_f64();
    let moved: i64 = report.moved.iter().map(|m| m.rows).sum();
    let parquet: i64 = report.moved.iter().map(|m| m.bytes).sum();
    rows.push(Row {
        figure: "expiry throughput",
        how: format!("expire {} campaigns totalling {moved} events (write, read back, verify, commit, delete)", report.moved.len()),
        target: ">= 1,000,000 events/s",
        result: rate(moved, secs),
        met: Some(moved as f64 / secs >= 1_000_000.0),
    });
    let ratio = sqlite_bytes as f64 / parquet.max(1) as f64;
    rows.push(Row {
        figure: "long-term storage size",
        how: format!("Parquet segments ({parquet} bytes) vs the same rows in SQLite with their indexes ({sqlite_bytes} bytes)"),
        target: ">= 8x smaller",
        result: format!("{ratio:.1}x smaller"),
        met: Some(ratio >= 8.0),
    });

    // Restore of one large campaign, against SQLite's own copy rate.
    let big_rows = scaled(1_000_000);
    let big = db
        .insert_message(
            &ws,
            &data::new_message("Big", &["big"], MessageStatus::Stopped, 200),
        )
        .await?;
    data::events(&db, big, big_rows, users).await?;
    expiry.tick(now).await?;
    let config = Config::in_dir(dir.path());
    let mailer = Mailer::new(None, &config.mail_from, dir.path().join("outbox"))?;
    let engine = Engine::assemble(db.clone(), archive, mailer, Clock::system(), &config);
    let request = RestoreRequest {
        message_ids: vec![big],
        ..Default::default()
    };
    let t = Instant::now();
    engine
        .request_restore(&Actor::cli(ws.clone()), &request, now)
        .await?;
    engine.restore_worker().run_once(now).await?;
    let restore_secs = t.elapsed().as_secs_f64();
    let restored = db.count_hot_events(big).await?;
    let (reference, bare) = sqlite_copy_rate(&db, big).await?;
    notes.push(format!(
        "Restore reference: `INSERT INTO t SELECT * FROM archive_copy` where `t` has the `events` table's key and dedup index ({reference:.0} rows/s); into a bare table without indexes it runs at {bare:.0} rows/s."
    ));
    let restore_rate = restored as f64 / restore_secs;
    rows.push(Row {
        figure: "restore throughput",
        how: format!("restore one campaign with {restored} events, request to visible; reference: SQLite `INSERT INTO t SELECT * FROM archive_copy` for the same rows into an `events`-shaped table, {reference:.0} rows/s"),
        target: ">= 1,000,000 events/s and >= 50% of the reference",
        result: format!("{} ({:.0}% of the reference)", rate(restored, restore_secs), restore_rate * 100.0 / reference),
        met: Some(restore_rate >= 1_000_000.0 && restore_rate >= reference * 0.5),
    });
    notes.push(format!(
        "Engine data set: {users} users, {campaigns} campaigns x {per_campaign} events, generated in clustered order in {:.0?}.",
        started.elapsed()
    ));
    Ok(())
}

/// Bytes the events of the workspace take in SQLite (table and indexes),
/// measured by copying them into a database of their own.
async fn sqlite_bytes_of(
    db: &Db,
    dir: &std::path::Path,
) -> Result<u64, Box<dyn std::error::Error>> {
    let path = dir.join("events-only.db");
    let mut conn = db
        .sqlite_pool()
        .expect("the harness runs on SQLite")
        .acquire()
        .await?;
    sqlx::query(&format!("ATTACH DATABASE '{}' AS copy", path.display()))
        .execute(&mut *conn)
        .await?;
    for sql in [
        "CREATE TABLE copy.events (message_id INTEGER NOT NULL, kind INTEGER NOT NULL, profile_id INTEGER NOT NULL, at INTEGER NOT NULL, event_id TEXT NOT NULL, variant INTEGER NOT NULL DEFAULT 0, step INTEGER NOT NULL DEFAULT 0, machine INTEGER NOT NULL DEFAULT 0, link TEXT, seq INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (message_id, kind, profile_id, at, event_id)) WITHOUT ROWID",
        "CREATE UNIQUE INDEX copy.events_dedup ON events (message_id, event_id)",
        "CREATE INDEX copy.events_by_seq ON events (seq)",
        "INSERT INTO copy.events SELECT * FROM main.events ORDER BY message_id, kind, profile_id, at, event_id",
        "DETACH DATABASE copy",
    ] {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    let bytes = std::fs::metadata(&path)?.len();
    let _ = std::fs::remove_file(&path);
    Ok(bytes)
}

/// Rows per second SQLite copies the message's rows between two plain
/// tables: the ceiling a restore works under.
/// SQLite's own copy rate for the message's rows, into a table shaped
/// like `events` (same key and dedup index: what a restore writes into)
/// and into a bare table, both in the same database file.
async fn sqlite_copy_rate(db: &Db, id: i64) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    let mut conn = db
        .sqlite_pool()
        .expect("the harness runs on SQLite")
        .acquire()
        .await?;
    sqlx::query("CREATE TABLE archive_copy AS SELECT * FROM events WHERE message_id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let shaped: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL ORDER BY type DESC",
    )
    .fetch_all(&mut *conn)
    .await?;
    for statement in &shaped {
        let renamed = statement
            .replacen("CREATE TABLE events", "CREATE TABLE t", 1)
            .replacen(" ON events ", " ON t ", 1)
            .replace("INDEX events_", "INDEX t_");
        sqlx::query(&renamed).execute(&mut *conn).await?;
    }
    sqlx::query("CREATE TABLE bare AS SELECT * FROM events WHERE 0")
        .execute(&mut *conn)
        .await?;
    let mut rates = Vec::new();
    for table in ["t", "bare"] {
        let t = Instant::now();
        let done = sqlx::query(&format!("INSERT INTO {table} SELECT * FROM archive_copy"))
            .execute(&mut *conn)
            .await?;
        rates.push(done.rows_affected() as f64 / t.elapsed().as_secs_f64().max(1e-9));
    }
    for table in ["t", "bare", "archive_copy"] {
        sqlx::query(&format!("DROP TABLE {table}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok((rates[0], rates[1]))
}

/// Gzip size of the hydrate bundle from the release site build.
fn wasm(rows: &mut Vec<Row>) -> Result<(), Box<dyn std::error::Error>> {
    let pkg = repo_root().join("target/site/pkg");
    let mut total = 0;
    for file in ["recall.wasm", "recall.js"] {
        if !pkg.join(file).exists() {
            return Err(format!(
                "{} is missing: run `make build` first",
                pkg.join(file).display()
            )
            .into());
        }
        let out = std::process::Command::new("gzip")
            .args(["-9", "-c"])
            .arg(pkg.join(file))
            .output()?;
        total += out.stdout.len();
    }
    rows.push(Row {
        figure: "WASM bundle",
        how: "gzip -9 size of target/site/pkg/recall.wasm + recall.js (release build)".into(),
        target: "<= 300 KB",
        result: format!("{:.0} KB", total as f64 / 1024.0),
        met: Some(total <= 300 * 1024),
    });
    Ok(())
}
