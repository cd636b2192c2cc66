//! Segment counts on the bitmaps (issue #18), through the engine as every
//! adapter asks: validate, look up steps and tags, catch up with the
//! change sequence, combine bitmaps, list expired inputs.

use std::path::Path;
use std::time::Instant;

use recall::clock::Clock;
use recall::engine::{Actor, Config, Engine};
use recall::mail::Mailer;
use recall::storage::LongTermStorage;
use recall::store::{Db, Workspace};
use serde_json::{Value, json};

use super::report::Row;
use super::{data, percentile};

/// The benchmark segment: opened X AND NOT clicked Y AND received any
/// message tagged T.
pub fn benchmark_segment(ids: &[i64]) -> Value {
    json!({"all": [
        {"any": [{"filter": "opened", "message_id": ids[1]}]},
        {"any": [{"filter": "clicked", "message_id": ids[2], "negate": true}]},
        {"any": [{"filter": "received_with_tag", "tag": "t-bench"}]},
    ]})
}

/// Twenty groups, each an OR of five filters of every family.
fn wide_audience(ids: &[i64]) -> Value {
    let n = ids.len();
    let groups: Vec<Value> = (0..20)
        .map(|g| {
            let m = |k: usize| ids[(g * 5 + k) % n];
            json!({"any": [
                {"filter": "opened", "message_id": m(0), "exclude_machine_opens": true},
                {"filter": "clicked", "message_id": m(1)},
                {"filter": "received", "message_id": m(2), "negate": g % 3 == 0},
                {"filter": "last_received_from", "message_id": m(3), "within_days": 30 + g},
                if g % 2 == 0 {
                    json!({"filter": "engaged_with_tag", "tag": "t-bench"})
                } else {
                    json!({"filter": "last_engaged_any", "more_than_days": 7})
                },
            ]})
        })
        .collect();
    json!({ "all": groups })
}

pub fn engine_on(db: &Db, dir: &Path) -> Result<Engine, Box<dyn std::error::Error>> {
    let config = Config::in_dir(dir);
    let archive = LongTermStorage::local(&dir.join("archive"))?;
    let mailer = Mailer::new(None, &config.mail_from, dir.join("outbox"))?;
    Ok(Engine::assemble(
        db.clone(),
        archive,
        mailer,
        Clock::system(),
        &config,
    ))
}

/// Milliseconds of `runs` counts of `filter`, sorted, and the last count.
async fn time_counts(
    engine: &Engine,
    actor: &Actor,
    filter: &Value,
    runs: usize,
) -> Result<(Vec<f64>, i64), Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(runs);
    let mut count = 0;
    for _ in 0..runs {
        let t = Instant::now();
        count = engine.evaluate(actor, filter, &[], data::t0()).await?.count;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((times, count))
}

/// The benchmark segment's p50 at the current size (a fresh engine, so
/// its bitmaps see every row however it was written).
pub async fn p50_at(
    db: &Db,
    ws: &Workspace,
    dir: &Path,
    ids: &[i64],
) -> Result<f64, Box<dyn std::error::Error>> {
    let engine = engine_on(db, dir)?;
    engine.build_segment_index().await?;
    let actor = Actor::cli(ws.clone());
    let (times, _) = time_counts(&engine, &actor, &benchmark_segment(ids), 100).await?;
    Ok(percentile(&times, 0.5))
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS"))?.to_string();
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Every bitmap figure at full size; `small_p50` is the benchmark
/// segment's p50 at a tenth of the events.
#[allow(clippy::too_many_arguments)]
pub async fn figures(
    db: &Db,
    ws: &Workspace,
    dir: &Path,
    ids: &[i64],
    total: i64,
    users: i64,
    small_p50: f64,
    rows: &mut Vec<Row>,
) -> Result<(), Box<dyn std::error::Error>> {
    let engine = engine_on(db, dir)?;
    let actor = Actor::cli(ws.clone());
    let before = rss_mb();
    let t = Instant::now();
    engine.build_segment_index().await?;
    let build_s = t.elapsed().as_secs_f64();
    let after = rss_mb();
    rows.push(Row {
        figure: "segment bitmaps: cold start",
        how: format!("build every bitmap from {total} hot events and {users} profiles in one snapshot (counts are answered in SQL until it is done)"),
        target: "reported",
        result: format!("{build_s:.1} s"),
        met: None,
    });
    rows.push(Row {
        figure: "segment bitmaps: memory",
        how: format!(
            "process RSS with every bitmap of the data set loaded ({before:.0} MB before the build)"
        ),
        target: "<= 300 MB",
        result: format!("{after:.0} MB"),
        met: Some(after <= 300.0),
    });

    let (times, count) = time_counts(&engine, &actor, &benchmark_segment(ids), 300).await?;
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    rows.push(Row {
        figure: "segment count (bitmaps)",
        how: format!("the benchmark segment through the engine (validate, catch up, combine, expired inputs) over {total} hot events, {users} users, 300 runs ({count} users match)"),
        target: "p50 <= 5 ms, p99 <= 20 ms",
        result: format!("p50 {p50:.2} ms, p99 {p99:.2} ms"),
        met: Some(p50 <= 5.0 && p99 <= 20.0),
    });
    let ratio = p50 / small_p50.max(1e-9);
    rows.push(Row {
        figure: "segment count: cost vs events",
        how: format!("p50 of the same segment at {total} events ({p50:.2} ms) over its p50 at a tenth of them ({small_p50:.2} ms)"),
        target: "<= 2x",
        result: format!("{ratio:.2}x"),
        met: Some(ratio <= 2.0),
    });

    let (times, count) = time_counts(&engine, &actor, &wide_audience(ids), 100).await?;
    let p99 = percentile(&times, 0.99);
    rows.push(Row {
        figure: "20-group audience (bitmaps)",
        how: format!("20 groups, each an OR of 5 filters (opens without machine opens, clicks, negated receipts, last received within N days, engaged with a tag or not engaged for 7 days), 100 runs ({count} users match)"),
        target: "p99 <= 50 ms",
        result: format!("p50 {:.2} ms, p99 {p99:.2} ms", percentile(&times, 0.5)),
        met: Some(p99 <= 50.0),
    });
    Ok(())
}
