//! `make soak`: ten minutes of everything at once against the release
//! binary: ingest at half the measured capacity, dashboard browsing,
//! segment evaluations, restores, and expiry passes (the server's own
//! scheduler plus `recall expire` from a second process that keeps
//! expiring what was just restored). Reports errors, latency percentiles
//! per minute and the server's memory over time into RELIABILITY.md.
//!
//! `SOAK_SECONDS` (default 600) and `SOAK_INGEST_RATE` (events/s,
//! default 25,000) change the run.

#[path = "../common.rs"]
mod common;
mod load;
mod report;
mod server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use load::{Recorder, Target};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("soak failed: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let seconds = env_or("SOAK_SECONDS", 600);
    let rate = env_or("SOAK_INGEST_RATE", 25_000);
    let dir = tempfile::tempdir()?;
    let server = server::Server::start(dir.path())?;
    let target = Arc::new(Target::connect(&server).await?);
    println!(
        "soak: {seconds} s against {} ({} active, {} expired messages), ingest {rate} events/s",
        server.base,
        target.active.len(),
        target.expired.len()
    );

    let recorder = Recorder::new();
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    // Two senders, each with half the rate, so one slow request does not
    // stall the stream.
    for sender in 0..2 {
        tasks.spawn(load::ingest(
            target.clone(),
            recorder.clone(),
            until,
            rate / 2,
            sender,
        ));
    }
    for browser in 0..2 {
        tasks.spawn(load::browse(
            target.clone(),
            recorder.clone(),
            until,
            browser,
        ));
    }
    tasks.spawn(load::evaluate(target.clone(), recorder.clone(), until));
    tasks.spawn(load::restore(target.clone(), recorder.clone(), until));
    tasks.spawn(load::expire_beside(
        server.command(),
        recorder.clone(),
        until,
    ));

    let mut memory = vec![(0, server.rss_mb())];
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    while Instant::now() < until {
        tick.tick().await;
        memory.push((started.elapsed().as_secs(), server.rss_mb()));
    }
    while let Some(done) = tasks.join_next().await {
        done?;
    }
    memory.push((started.elapsed().as_secs(), server.rss_mb()));
    let log = server.stop()?;
    let samples = recorder.take();
    report::write(&report::Soak {
        seconds,
        rate,
        samples,
        memory,
        log_errors: log,
    })?;
    println!("wrote the soak section of RELIABILITY.md");
    Ok(())
}
