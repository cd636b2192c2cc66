//! The end of a round: restart and let everything finish, with nothing
//! killed. Three lives: finish what the kills left (jobs, batches, mail);
//! after aging, expire everything (every event must then be in long-term
//! storage exactly once); then restore everything by tag (every event
//! must be hot exactly once). Each ends by SIGTERM and is checked.

use std::path::Path;
use std::time::{Duration, Instant};

use recall::store::Db;

use super::Error;
use super::ledger::Ledger;
use super::load::Api;
use super::seed;
use super::server::Server;
use super::verify::{self, Counts, Settled};

/// A settle life that has not finished by then is itself a failure.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(240);

#[derive(Debug, Default, Clone, Copy)]
pub struct Final {
    pub expired: Counts,
    pub restored: Counts,
    pub settled: Settled,
    pub timed_out: u64,
}

/// Work left: open jobs, open batches, unsent mail; and where the data
/// of the seeded messages is.
async fn state(db: &Db) -> Result<(i64, i64, i64, i64, i64), Error> {
    let one = |sql: &'static str| {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(db.sqlite_pool().expect("the harness runs on SQLite"))
    };
    Ok((
        one("SELECT COUNT(*) FROM restore_jobs WHERE status IN ('queued', 'running')").await?
            + one("SELECT COUNT(*) FROM restore_batches WHERE finished_at IS NULL").await?,
        one("SELECT COUNT(*) FROM outgoing_mail WHERE sent_at IS NULL AND attempts < 5").await?,
        one("SELECT COUNT(*) FROM messages WHERE location = 'hot'").await?,
        one("SELECT COUNT(*) FROM messages WHERE location <> 'hot'").await?,
        one("SELECT COUNT(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE m.location <> 'hot'")
            .await?,
    ))
}

/// Runs the server until `done(state)` holds; false on timeout.
async fn run_until(
    dir: &Path,
    key: &str,
    tag_restore: bool,
    done: impl Fn((i64, i64, i64, i64, i64)) -> bool,
) -> Result<bool, Error> {
    let log = dir.join("settle.log");
    seed::lapse_leases(dir).await?;
    let server = Server::start(dir, &log)?;
    if tag_restore {
        let api = Api::new(&server.base, key);
        let body = serde_json::json!({"tag": seed::TAG, "notify": super::load::NOTIFY});
        let resp = api
            .http
            .post(format!("{}/api/v1/restores", api.base))
            .bearer_auth(&api.key)
            .json(&body)
            .send()
            .await?;
        if resp.status() != 202 {
            return Err(format!("tag restore answered {}", resp.status()).into());
        }
    }
    let db = Db::open_in_dir(dir).await?;
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    let mut finished = false;
    while Instant::now() < deadline {
        if done(state(&db).await?) {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    db.close().await;
    server.terminate()?;
    let _ = std::fs::remove_file(&log);
    Ok(finished)
}

pub async fn round_end(
    dir: &Path,
    key: &str,
    ledger: &Ledger,
    follower: &verify::Follower,
    problems: &mut Vec<String>,
) -> Result<Final, Error> {
    let mut f = Final::default();
    let quiet = |(open, mail, ..): (i64, i64, i64, i64, i64)| open == 0 && mail == 0;
    if !run_until(dir, key, false, quiet).await? {
        f.timed_out += 1;
        problems.push("jobs, batches or mail still open after the recovery life".into());
    }
    seed::age(dir).await?;
    let all_expired = |(open, mail, hot, _, late): (i64, i64, i64, i64, i64)| {
        open == 0 && mail == 0 && hot == 0 && late == 0
    };
    if !run_until(dir, key, false, all_expired).await? {
        f.timed_out += 1;
        problems.push("not every message expired in the expiry life".into());
    }
    f.expired = verify::events(dir, ledger, Some("archived"), problems).await?;
    f.expired.bitmaps_differ = follower.differs(problems, "all expired").await?;
    let all_hot = |(open, mail, _, not_hot, _): (i64, i64, i64, i64, i64)| {
        open == 0 && mail == 0 && not_hot == 0
    };
    if !run_until(dir, key, true, all_hot).await? {
        f.timed_out += 1;
        problems.push("not every message restored in the restore life".into());
    }
    f.restored = verify::events(dir, ledger, Some("hot"), problems).await?;
    f.restored.bitmaps_differ = follower.differs(problems, "all restored").await?;
    f.settled = verify::settled(dir, problems).await?;
    Ok(f)
}
