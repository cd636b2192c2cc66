//! `make reliability`: randomized crash trials against the release binary
//! (issue #10). Expiry, restore and ingest run in `recall serve`; the
//! process is SIGKILLed at random moments spread over every step of a
//! move, restarted, and in the end left to finish; after every kill and at
//! the end, the events in hot and long-term storage are compared with what
//! the service accepted. Writes its section of RELIABILITY.md.
//!
//! # Layout
//! - [`server`]: one life of the binary, its log, SIGKILL / SIGTERM.
//! - [`seed`]: due data written straight into SQLite; time passing.
//! - [`load`]: ingest and restore requests through the REST API.
//! - [`ledger`]: what was acknowledged, what was cut by a kill.
//! - [`trial`]: one kill and the check of what it left.
//! - [`phase`]: which step each worker was in when the kill came.
//! - [`landing`]: whether the kills hit the steps they aimed at.
//! - [`settle`]: the end of a round: recover, expire all, restore all.
//! - [`verify`]: the checks.
//! - [`report`]: its section of RELIABILITY.md.
//!
//! `RELIABILITY_TRIALS` (default 200), `RELIABILITY_SEED` (default: from
//! the clock; printed), `RELIABILITY_ROWS` (events per large campaign,
//! default 70,000: two Parquet row groups).

mod landing;
mod ledger;
mod load;
mod phase;
mod report;
mod seed;
mod server;
mod settle;
mod trial;
mod verify;

use std::path::PathBuf;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use ledger::Ledger;
use phase::Step;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Kills per data directory before it is left to finish and checked.
const KILLS_PER_ROUND: usize = 40;

/// Steps a kill can be aimed at (the rest are at random times).
const TARGETS: [Step; 11] = [
    Step::ExpiryPlan,
    Step::ExpiryWrite,
    Step::ExpiryCommit,
    Step::ExpiryCleanup,
    Step::ExpiryGc,
    Step::RestoreClaim,
    Step::RestoreStage,
    Step::RestoreCommit,
    Step::BatchClose,
    Step::EmailQueued,
    Step::EmailWritten,
];

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("reliability failed: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Error> {
    let binary = repo_root().join("target/release/recall");
    if !binary.exists() {
        return Err(format!("{} is missing: run `make build` first", binary.display()).into());
    }
    let trials = env_u64("RELIABILITY_TRIALS").unwrap_or(200).max(1) as usize;
    let seed = env_u64("RELIABILITY_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    });
    let rows = env_u64("RELIABILITY_ROWS").unwrap_or(70_000).max(10) as i64;
    let sizes = [rows, rows, rows, rows, 3_000, 3_000];
    println!("reliability: {trials} trials, seed {seed} (RELIABILITY_SEED={seed} repeats it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let mut outcomes = Vec::new();
    let mut finals = Vec::new();
    let mut problems = Vec::new();
    let mut totals = [0u64; 5];
    let mut accepted_total = 0;
    let mut rounds = 0;
    while outcomes.len() < trials {
        rounds += 1;
        let dir = tempfile::Builder::new()
            .prefix("recall-reliability-")
            .tempdir()?;
        let mut ledger = Ledger::default();
        let seeded = seed::seed(dir.path(), &sizes, &mut ledger).await?;
        let kills = KILLS_PER_ROUND.min(trials - outcomes.len());
        let follower = std::sync::Arc::new(verify::Follower::open(dir.path()).await?);
        let mut round = trial::Round {
            dir: dir.path(),
            key: &seeded.key,
            messages: &seeded.messages,
            ledger: &mut ledger,
            rng: &mut rng,
            problems: &mut problems,
            follower: follower.clone(),
        };
        for _ in 0..kills {
            let life = outcomes.len() as u64 + 1;
            let target = if round.rng.random_bool(0.25) {
                None
            } else {
                Some(TARGETS[round.rng.random_range(0..TARGETS.len())])
            };
            let o = round.trial(life, target).await?;
            println!(
                "trial {life:>3}: target {:<14} landed {:?} / {:?} / {:?}{}{}{}",
                target.map(|t| format!("{t:?}")).unwrap_or("random".into()),
                o.landed.expiry,
                o.landed.restore,
                o.landed.batch,
                if target.is_some() && !o.target_seen {
                    ", step not begun"
                } else {
                    ""
                },
                if o.ingest_in_flight {
                    ", ingest cut"
                } else {
                    ""
                },
                if o.counts.clean() {
                    ""
                } else {
                    "  ** PROBLEM **"
                }
            );
            outcomes.push(o);
        }
        println!("round {rounds}: recovering, expiring all, restoring all");
        let f =
            settle::round_end(dir.path(), &seeded.key, &ledger, &follower, &mut problems).await?;
        println!("round {rounds}: {f:?}");
        finals.push(f);
        for (t, v) in totals.iter_mut().zip([
            ledger.acked_requests,
            ledger.acked_events,
            ledger.cut_requests,
            ledger.cut_events,
            ledger.short_answers,
        ]) {
            *t += v;
        }
        accepted_total += ledger.total_accepted();
    }
    let mut command = std::env::var("RELIABILITY_COMMAND")
        .unwrap_or_else(|_| "cargo bench -p server --bench reliability".into());
    if let Ok(n) = std::env::var("RELIABILITY_TRIALS") {
        command = format!("RELIABILITY_TRIALS={n} {command}");
    }
    let summary = report::Summary {
        command,
        seed,
        rounds,
        sizes: &sizes,
        outcomes: &outcomes,
        finals: &finals,
        ledger: totals,
        accepted_total,
        problems: &problems,
        seconds: started.elapsed().as_secs_f64(),
    };
    println!("\n{}", landing::render(&outcomes));
    report::write(&summary)?;
    println!(
        "wrote RELIABILITY.md ({} problems) in {:.0} s",
        problems.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
