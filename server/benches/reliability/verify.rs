//! The checks. `events` compares, per message, the multiset of event ids
//! in the place that holds the message's data (hot rows for hot data;
//! listed segments plus late hot rows for expired or restoring data) with
//! what was accepted. `settled` checks that everything ended: jobs,
//! batches, one email per batch, no garbage in long-term storage.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use recall::storage::SegmentReader;
use recall::store::Db;

use super::Error;
use super::ledger::Ledger;

/// A second process's view: the segment bitmaps, kept up to date from the
/// database's change sequence while the server under test writes and is
/// killed.
pub struct Follower {
    pub db: Db,
    pub index: recall::service::bitmaps::SegmentIndex,
}

impl Follower {
    pub async fn open(dir: &Path) -> Result<Self, Error> {
        let db = Db::open_in_dir(dir).await?;
        let index = recall::service::bitmaps::SegmentIndex::default();
        index.build(&db).await?;
        Ok(Self { db, index })
    }

    /// 1 if the followed bitmaps differ from a rebuild from the rows.
    pub async fn differs(&self, problems: &mut Vec<String>, when: &str) -> Result<u64, Error> {
        if self.index.verify(&self.db).await? {
            Ok(0)
        } else {
            problems.push(format!(
                "{when}: followed segment bitmaps differ from a rebuild"
            ));
            Ok(1)
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Accepted events missing from where the message's data is.
    pub lost: u64,
    /// Extra copies of an event (accepted or uncertain) where the data is.
    pub duplicated: u64,
    /// Events present that nobody sent (should be impossible).
    pub phantom: u64,
    /// Uncertain events found stored (once), and not found.
    pub uncertain_stored: u64,
    pub uncertain_absent: u64,
    /// Listed segments that are missing, corrupt or of the wrong size.
    pub broken_segments: u64,
    /// Segment rows of a hot message that are not in its hot rows: a later
    /// re-expiry reusing those segments would lose events.
    pub stale_segment_rows: u64,
    /// Messages whose data is not where the check expected it.
    pub wrong_state: u64,
    /// Checks where a second process's segment bitmaps, followed change
    /// by change while the server wrote, differed from a rebuild.
    pub bitmaps_differ: u64,
}

impl Counts {
    pub fn clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.phantom == 0
            && self.broken_segments == 0
            && self.stale_segment_rows == 0
            && self.wrong_state == 0
            && self.bitmaps_differ == 0
    }
}

/// Event ids of every listed segment of one message, verified as a
/// restore would (checksum, row count); `None` if any is unreadable.
fn segment_ids(archive: &Path, segments: &[(String, i64, String)]) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    for (path, rows, checksum) in segments {
        let bytes = std::fs::read(archive.join(path)).ok()?;
        let reader =
            SegmentReader::open(axum::body::Bytes::from(bytes), checksum, *rows as u64).ok()?;
        for group in 0..reader.row_groups() {
            ids.extend(
                reader
                    .read_row_group(group)
                    .ok()?
                    .into_iter()
                    .map(|e| e.event_id),
            );
        }
    }
    Some(ids)
}

/// Compares stored events with the ledger. `expect`: the location every
/// message must have (`None`: any is right).
pub async fn events(
    dir: &Path,
    ledger: &Ledger,
    expect: Option<&str>,
    problems: &mut Vec<String>,
) -> Result<Counts, Error> {
    let db = Db::open_in_dir(dir).await?;
    let archive = dir.join("archive");
    let mut c = Counts::default();
    let empty = HashSet::new();
    for (&message, accepted) in &ledger.accepted {
        let uncertain = ledger.uncertain.get(&message).unwrap_or(&empty);
        let location: String = sqlx::query_scalar("SELECT location FROM messages WHERE id = ?")
            .bind(message)
            .fetch_one(db.sqlite_pool().expect("the crash trials run on SQLite"))
            .await?;
        if expect.is_some_and(|e| e != location) {
            c.wrong_state += 1;
            problems.push(format!(
                "message {message}: data is {location}, expected {expect:?}"
            ));
        }
        let hot: Vec<String> =
            sqlx::query_scalar("SELECT event_id FROM events WHERE message_id = ?")
                .bind(message)
                .fetch_all(db.sqlite_pool().expect("the crash trials run on SQLite"))
                .await?;
        let segments: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT path, rows, checksum FROM segments WHERE message_id = ? ORDER BY id",
        )
        .bind(message)
        .fetch_all(db.sqlite_pool().expect("the crash trials run on SQLite"))
        .await?;
        let Some(archived) = segment_ids(&archive, &segments) else {
            c.broken_segments += 1;
            problems.push(format!("message {message}: a listed segment is unreadable"));
            continue;
        };
        let stored: Vec<&String> = if location == "hot" {
            let hot_set: HashSet<&String> = hot.iter().collect();
            let stale = archived.iter().filter(|id| !hot_set.contains(id)).count() as u64;
            if stale > 0 {
                problems.push(format!(
                    "message {message}: {stale} segment rows are not among its hot rows"
                ));
            }
            c.stale_segment_rows += stale;
            hot.iter().collect()
        } else {
            archived.iter().chain(hot.iter()).collect()
        };
        let mut seen: HashMap<&String, u64> = HashMap::with_capacity(stored.len());
        for id in stored {
            *seen.entry(id).or_default() += 1;
        }
        let lost = accepted.iter().filter(|id| !seen.contains_key(id)).count() as u64;
        let mut duplicated = 0;
        let mut phantom = 0;
        for (id, n) in &seen {
            duplicated += n - 1;
            if uncertain.contains(*id) {
                c.uncertain_stored += 1;
            } else if !accepted.contains(*id) {
                phantom += 1;
            }
        }
        c.uncertain_absent += uncertain.iter().filter(|id| !seen.contains_key(id)).count() as u64;
        if lost + duplicated + phantom > 0 {
            problems.push(format!(
                "message {message} ({location}, {} hot, {} in {} segments): {lost} lost, {duplicated} duplicated, {phantom} phantom",
                hot.len(),
                archived.len(),
                segments.len()
            ));
        }
        c.lost += lost;
        c.duplicated += duplicated;
        c.phantom += phantom;
    }
    db.sqlite_pool()
        .expect("the crash trials run on SQLite")
        .close()
        .await;
    Ok(c)
}

/// After the final recovery: every job and batch ended, one email per
/// finished batch, nothing unlisted left in long-term storage.
#[derive(Debug, Default, Clone, Copy)]
pub struct Settled {
    pub jobs: i64,
    pub jobs_not_succeeded: i64,
    pub batches: i64,
    pub batches_open: i64,
    /// Finished batches without exactly one `.eml` / sent mail row.
    pub batches_without_one_email: i64,
    /// Emails for batches that never finished.
    pub stray_emails: i64,
    pub garbage_files: i64,
    pub pending_left: i64,
}

pub async fn settled(dir: &Path, problems: &mut Vec<String>) -> Result<Settled, Error> {
    let db = Db::open_in_dir(dir).await?;
    let mut s = Settled::default();
    let jobs: Vec<(i64, i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, message_id, status, error FROM restore_jobs")
            .fetch_all(db.sqlite_pool().expect("the crash trials run on SQLite"))
            .await?;
    s.jobs = jobs.len() as i64;
    for (id, message, status, error) in &jobs {
        if status != "succeeded" {
            s.jobs_not_succeeded += 1;
            problems.push(format!("job {id} (message {message}): {status} {error:?}"));
        }
    }
    let batches: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, finished_at FROM restore_batches")
            .fetch_all(db.sqlite_pool().expect("the crash trials run on SQLite"))
            .await?;
    s.batches = batches.len() as i64;
    let outbox = dir.join("outbox");
    for (id, finished) in &batches {
        let key = format!("restore-batch-{id}@recall");
        let file = outbox.join(format!("{key}.eml")).exists();
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outgoing_mail WHERE key = ? AND sent_at IS NOT NULL",
        )
        .bind(&key)
        .fetch_one(db.sqlite_pool().expect("the crash trials run on SQLite"))
        .await?;
        match finished {
            None => {
                s.batches_open += 1;
                problems.push(format!("batch {id} never finished"));
                if file || sent > 0 {
                    s.stray_emails += 1;
                }
            }
            Some(_) if !file || sent != 1 => {
                s.batches_without_one_email += 1;
                problems.push(format!("batch {id}: .eml {file}, sent rows {sent}"));
            }
            Some(_) => {}
        }
    }
    let known: HashSet<String> =
        sqlx::query_scalar("SELECT path FROM segments UNION ALL SELECT path FROM pending_segments")
            .fetch_all(db.sqlite_pool().expect("the crash trials run on SQLite"))
            .await?
            .into_iter()
            .collect();
    s.pending_left = sqlx::query_scalar("SELECT COUNT(*) FROM pending_segments")
        .fetch_one(db.sqlite_pool().expect("the crash trials run on SQLite"))
        .await?;
    let root = dir.join("archive");
    for file in files_under(&root) {
        let rel = file
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !known.contains(&rel) {
            s.garbage_files += 1;
            problems.push(format!("unlisted file left in long-term storage: {rel}"));
        }
    }
    db.sqlite_pool()
        .expect("the crash trials run on SQLite")
        .close()
        .await;
    Ok(s)
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}
