//! One trial: age the data, start the binary, send traffic, SIGKILL it
//! at a chosen moment, then read where the kill landed and check that no
//! accepted event is lost or doubled in the state the kill left behind.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use rand::rngs::StdRng;
use recall::store::Db;

use super::Error;
use super::ledger::Ledger;
use super::load::{self, Api};
use super::phase::{self, After, Landed, Step};
use super::seed;
use super::server::Server;
use super::verify::{self, Counts};

/// A targeted kill waits at most this long for its step to begin (a
/// killed restore job is only taken over when its 5 s lease runs out).
const TARGET_TIMEOUT: Duration = Duration::from_secs(8);

/// An untargeted kill comes at a uniform moment in this many ms after
/// the server is up.
const RANDOM_WINDOW_MS: u64 = 3000;

pub struct Outcome {
    pub target: Option<Step>,
    /// The targeted step's log line appeared before the kill.
    pub target_seen: bool,
    pub landed: Landed,
    pub ingest_in_flight: bool,
    pub counts: Counts,
    pub life: Duration,
    /// Leases of the previous (killed) life that were let run out before
    /// this one started.
    pub leases_lapsed: u64,
}

pub struct Round<'a> {
    pub dir: &'a Path,
    pub key: &'a str,
    pub messages: &'a [i64],
    pub ledger: &'a mut Ledger,
    pub rng: &'a mut StdRng,
    pub problems: &'a mut Vec<String>,
    /// A second process's segment bitmaps, following the writes.
    pub follower: Arc<verify::Follower>,
}

impl Round<'_> {
    pub async fn trial(&mut self, life: u64, target: Option<Step>) -> Result<Outcome, Error> {
        seed::age(self.dir).await?;
        let leases_lapsed = seed::lapse_leases(self.dir).await?;
        let archived: Vec<i64> = seed::locations(self.dir)
            .await?
            .into_iter()
            .filter(|(_, l)| l == "archived")
            .map(|(id, _)| id)
            .collect();
        let start_ms = chrono::Utc::now().timestamp_millis();
        let log = self.dir.join(format!("life-{life}.log"));
        let server = Server::start(self.dir, &log)?;
        let api = Arc::new(Api::new(&server.base, self.key));

        // Restore requests: usually everything expired in one batch (a
        // long restore, and much to re-expire), else one or two small ones.
        if !archived.is_empty() {
            let batches: Vec<Vec<i64>> = if self.rng.random_bool(0.6) {
                vec![archived.clone()]
            } else {
                (0..self.rng.random_range(1..=2))
                    .map(|_| {
                        (0..self.rng.random_range(1..=archived.len().min(2)))
                            .map(|_| archived[self.rng.random_range(0..archived.len())])
                            .collect()
                    })
                    .collect()
            };
            for pick in batches {
                let api = api.clone();
                tokio::spawn(async move { api.restore(&pick).await });
            }
        }
        // Ingest into two messages (whatever their state): messages that
        // get no events meanwhile can finish their moves.
        let busy: Vec<i64> = (0..2)
            .map(|_| self.messages[self.rng.random_range(0..self.messages.len())])
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let ingest = tokio::spawn(load::ingest(
            api.clone(),
            busy,
            life,
            self.rng.random(),
            stop.clone(),
        ));

        // The follower catches up over and over while the server writes,
        // so kills land between its reads as well.
        let following = Arc::new(AtomicBool::new(true));
        let poller = {
            let (follower, on) = (self.follower.clone(), following.clone());
            tokio::spawn(async move {
                while on.load(Ordering::SeqCst) {
                    let _ = follower.index.catch_up(&follower.db).await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };

        let target_seen = match target.and_then(phase::target) {
            Some((needle, jitter_ms)) => {
                let seen = wait_for(&log, needle, TARGET_TIMEOUT).await?;
                let jitter = self.rng.random_range(0..=jitter_ms);
                tokio::time::sleep(Duration::from_millis(jitter)).await;
                seen
            }
            None => {
                let at = self.rng.random_range(0..RANDOM_WINDOW_MS);
                tokio::time::sleep(Duration::from_millis(at)).await;
                false
            }
        };
        let lived = server.started.elapsed();
        stop.store(true, Ordering::SeqCst);
        server.kill()?;

        following.store(false, Ordering::SeqCst);
        poller.await?;
        let requests = ingest.await?;
        let ingest_in_flight = requests
            .iter()
            .any(|r| matches!(r.sent, super::ledger::Sent::Cut));
        for request in requests {
            self.ledger.record(request);
        }
        let after = after_kill(self.dir, start_ms).await?;
        let landed = phase::classify(&std::fs::read_to_string(&log)?, &after);
        let _ = std::fs::remove_file(&log);
        let mut found = Vec::new();
        let mut counts = verify::events(self.dir, self.ledger, None, &mut found).await?;
        counts.bitmaps_differ = self.follower.differs(&mut found, "after the kill").await?;
        for p in found {
            self.problems.push(format!("life {life} ({landed:?}): {p}"));
        }
        Ok(Outcome {
            target,
            target_seen,
            landed,
            ingest_in_flight,
            counts,
            life: lived,
            leases_lapsed,
        })
    }
}

/// Polls the growing log until a line contains `needle`; false on timeout.
/// (Claim lines must also say a row came back: the poll that finds no
/// job logs the same statement.)
async fn wait_for(log: &Path, needle: &str, timeout: Duration) -> Result<bool, Error> {
    let deadline = Instant::now() + timeout;
    let mut offset = 0u64;
    let mut carry = String::new();
    while Instant::now() < deadline {
        let mut file = std::fs::File::open(log)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        if !bytes.is_empty() {
            offset += bytes.len() as u64;
            carry.push_str(&String::from_utf8_lossy(&bytes));
            let complete = carry.rfind('\n').map(|i| i + 1).unwrap_or(0);
            let found = carry[..complete].lines().any(|l| {
                l.contains(needle)
                    && (!needle.contains("status = 'running'") || l.contains("\"rows_returned\":1"))
            });
            if found {
                return Ok(true);
            }
            carry.drain(..complete);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(false)
}

/// What the data directory shows about this life's work.
async fn after_kill(dir: &Path, start_ms: i64) -> Result<After, Error> {
    let db = Db::open_in_dir(dir).await?;
    let pool = db.sqlite_pool().expect("the harness runs on SQLite");
    let announced: Vec<String> =
        sqlx::query_scalar("SELECT path FROM pending_segments WHERE created_at >= ?")
            .bind(start_ms)
            .fetch_all(pool)
            .await?;
    let count = |sql: &'static str| {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(start_ms)
            .fetch_one(pool)
    };
    let moves = count(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('data.expire', 'archive.append') AND at >= ?",
    )
    .await?;
    let jobs =
        count("SELECT COUNT(*) FROM restore_jobs WHERE status = 'succeeded' AND finished_at >= ?")
            .await?;
    let batches = count("SELECT COUNT(*) FROM restore_batches WHERE finished_at >= ?").await?;
    let mail: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outgoing_mail WHERE sent_at IS NULL AND key LIKE 'restore-batch-%'",
    )
    .fetch_one(pool)
    .await?;
    let after = After {
        announced_object_exists: announced
            .iter()
            .any(|p| dir.join("archive").join(p).exists()),
        moves_committed: moves as usize,
        jobs_committed: jobs as usize,
        batches_closed: batches as usize,
        mail_pending: mail > 0,
    };
    db.close().await;
    Ok(after)
}
