//! Segment counts on compressed bitmaps (issue #18).
//!
//! The bitmaps are derived from the rows and kept in memory, never stored:
//! a process builds them from the database in the background at start-up
//! and, before every count, applies what other transactions committed
//! since (the change sequence of migration 0009). A count therefore sees
//! every change committed before it was asked, in this process or any
//! other sharing the database. Until the first build is done, counts come
//! from the SQL evaluator, which is exact but slower: a start-up never
//! serves a wrong count.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use roaring::RoaringBitmap;
use tokio::sync::{Mutex, RwLock, RwLockReadGuard};

use chrono::{DateTime, Utc};

use crate::domain::Audience;
use crate::error::Result;
use crate::store::changes::{self, FactRow, Tx};
use crate::store::{Db, Workspace};

mod eval;
mod facts;

use eval::Evaluator;
pub(crate) use eval::page;
use facts::{MessageFacts, ProfileFacts, ProfileSlots};

/// Everything the bitmaps know, as of change `applied`.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Bitmaps {
    pub applied: i64,
    pub messages: HashMap<i64, MessageFacts>,
    pub workspaces: HashMap<i64, ProfileFacts>,
    profile_slots: ProfileSlots,
}

impl Bitmaps {
    /// Reads everything in one snapshot.
    pub(crate) async fn build(db: &Db) -> Result<Self> {
        let mut tx = db.read_snapshot().await?;
        Self::build_in(&mut tx).await
    }

    async fn build_in(tx: &mut Tx) -> Result<Self> {
        let mut bitmaps = Bitmaps {
            applied: changes::current_seq(tx).await?,
            ..Bitmaps::default()
        };
        for id in changes::all_message_ids(tx).await? {
            let rows = changes::message_rows(tx, id).await?;
            if !rows.is_empty() {
                bitmaps.messages.insert(id, MessageFacts::from_rows(&rows)?);
            }
        }
        let mut after = 0;
        loop {
            let page = changes::profiles_after(tx, after, 50_000).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for profile in &page {
                bitmaps
                    .profile_slots
                    .apply(&mut bitmaps.workspaces, profile)?;
            }
        }
        Ok(bitmaps)
    }

    /// Total number of values held, for the memory report.
    pub(crate) fn cardinality(&self) -> u64 {
        let messages: u64 = self
            .messages
            .values()
            .map(|m| m.facts.values().map(RoaringBitmap::len).sum::<u64>())
            .sum();
        messages + self.workspaces.values().map(|p| p.users.len()).sum::<u64>()
    }
}

/// What changed after some number, read in one snapshot.
struct Delta {
    upto: i64,
    reloaded: HashMap<i64, Vec<FactRow>>,
    /// `(seq, message)` of each reload: the rows a restore wrote.
    reloads: HashSet<(i64, i64)>,
    rows: Vec<FactRow>,
    profiles: Vec<changes::ProfileRow>,
}

/// The process's bitmaps, shared by every request.
#[derive(Debug, Default)]
pub struct SegmentIndex {
    state: RwLock<Option<Bitmaps>>,
    /// Held by whoever builds or catches up, so it happens once at a time.
    updating: Mutex<()>,
    /// A background build is coming: until it is done, counts use SQL
    /// rather than build the bitmaps inline.
    background: AtomicBool,
}

impl SegmentIndex {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub async fn is_built(&self) -> bool {
        self.state.read().await.is_some()
    }

    /// Says a background build is on its way (call before spawning it).
    pub fn build_in_background(&self) {
        self.background.store(true, Ordering::SeqCst);
    }

    /// Builds the bitmaps now unless they are built or being built.
    pub async fn build(&self, db: &Db) -> Result<()> {
        let _turn = self.updating.lock().await;
        let built = self.build_holding_turn(db).await;
        if built.is_err() {
            // Let the next count try again rather than wait for nobody.
            self.background.store(false, Ordering::SeqCst);
        }
        built
    }

    async fn build_holding_turn(&self, db: &Db) -> Result<()> {
        if self.state.read().await.is_some() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let bitmaps = Bitmaps::build(db).await?;
        tracing::info!(
            messages = bitmaps.messages.len(),
            values = bitmaps.cardinality(),
            ms = started.elapsed().as_millis() as u64,
            "segment bitmaps built"
        );
        *self.state.write().await = Some(bitmaps);
        Ok(())
    }

    /// The bitmaps with every committed change applied, or `None` while
    /// another task builds them for the first time (the caller answers
    /// with SQL meanwhile). With nobody building, the first call builds.
    pub(crate) async fn current(&self, db: &Db) -> Result<Option<RwLockReadGuard<'_, Bitmaps>>> {
        let committed = db.data_seq().await?;
        loop {
            let built = {
                let state = self.state.read().await;
                match state.as_ref() {
                    Some(b) if b.applied >= committed => {
                        return Ok(Some(RwLockReadGuard::map(state, |s| {
                            s.as_ref().expect("checked above")
                        })));
                    }
                    Some(_) => true,
                    None => false,
                }
            };
            if !built && self.background.load(Ordering::SeqCst) {
                return Ok(None);
            }
            let Ok(_turn) = self.updating.try_lock() else {
                if !built {
                    return Ok(None);
                }
                // Someone else is catching up: wait for them, then look again.
                drop(self.updating.lock().await);
                continue;
            };
            if !built {
                self.build_holding_turn(db).await?;
                continue;
            }
            let applied = match self.state.read().await.as_ref() {
                Some(b) => b.applied,
                None => continue,
            };
            let delta = read_delta(db, applied).await?;
            if let Some(bitmaps) = self.state.write().await.as_mut() {
                apply(bitmaps, delta)?;
            }
        }
    }
}

impl SegmentIndex {
    /// Applies every committed change now (a follower that keeps up).
    pub async fn catch_up(&self, db: &Db) -> Result<()> {
        self.current(db).await.map(drop)
    }

    /// Checks that the bitmaps, brought up to date change by change, equal
    /// bitmaps built afresh from the rows in the same snapshot: what the
    /// crash trials assert after every kill of the writing process.
    pub async fn verify(&self, db: &Db) -> Result<bool> {
        let _turn = self.updating.lock().await;
        let mut tx = db.read_snapshot().await?;
        let applied = self.state.read().await.as_ref().map(|b| b.applied);
        let Some(applied) = applied else {
            return Ok(true);
        };
        let delta = read_delta_in(&mut tx, applied).await?;
        let fresh = Bitmaps::build_in(&mut tx).await?;
        let mut state = self.state.write().await;
        let Some(followed) = state.as_mut() else {
            return Ok(true);
        };
        apply(followed, delta)?;
        Ok(*followed == fresh)
    }

    /// The users matching every audience, from the bitmaps; `None` when
    /// the SQL evaluator must answer (first build not done, or a day
    /// window in a zone that is not whole quarter hours from UTC).
    pub(crate) async fn matching(
        &self,
        db: &Db,
        ws: &Workspace,
        audiences: &[&Audience],
        now: DateTime<Utc>,
    ) -> Result<Option<RoaringBitmap>> {
        let all = [audiences.to_vec()];
        let mut each = self.matching_each(db, ws, &all, now).await?;
        each.pop().unwrap_or(Ok(None))
    }

    /// [`Self::matching`] for several lists of audiences at once (every
    /// saved segment of a list page): one catalog read, one catch-up.
    pub(crate) async fn matching_each(
        &self,
        db: &Db,
        ws: &Workspace,
        lists: &[Vec<&Audience>],
        now: DateTime<Utc>,
    ) -> Result<Vec<Result<Option<RoaringBitmap>>>> {
        let every = lists.iter().flatten();
        let mut named: Vec<i64> = every.clone().flat_map(|a| a.named_messages()).collect();
        named.sort_unstable();
        named.dedup();
        let mut tags: Vec<String> = every.flat_map(|a| a.tags()).collect();
        tags.sort();
        tags.dedup();
        let catalog = db.filter_catalog(ws, &named, &tags).await?;
        let Some(bitmaps) = self.current(db).await? else {
            return Ok(lists.iter().map(|_| Ok(None)).collect());
        };
        let evaluator = Evaluator {
            bitmaps: &bitmaps,
            ws,
            catalog: &catalog,
            now,
            tz: ws.timezone.parse().unwrap_or(chrono_tz::UTC),
        };
        Ok(lists
            .iter()
            .map(|audiences| evaluator.audience(audiences).map(Result::ok))
            .collect())
    }
}

async fn read_delta(db: &Db, after: i64) -> Result<Delta> {
    let mut tx = db.read_snapshot().await?;
    read_delta_in(&mut tx, after).await
}

async fn read_delta_in(tx: &mut Tx, after: i64) -> Result<Delta> {
    let upto = changes::current_seq(tx).await?;
    let reloads: HashSet<(i64, i64)> = changes::reloaded_between(tx, after, upto)
        .await?
        .into_iter()
        .collect();
    let mut reloaded = HashMap::new();
    for (_, id) in &reloads {
        if !reloaded.contains_key(id) {
            reloaded.insert(*id, changes::message_rows(tx, *id).await?);
        }
    }
    let rows = changes::rows_between(tx, after, upto).await?;
    let profiles = changes::profiles_between(tx, after, upto).await?;
    Ok(Delta {
        upto,
        reloaded,
        reloads,
        rows,
        profiles,
    })
}

fn apply(bitmaps: &mut Bitmaps, delta: Delta) -> Result<()> {
    // New profiles first: their events name them.
    for profile in &delta.profiles {
        bitmaps
            .profile_slots
            .apply(&mut bitmaps.workspaces, profile)?;
    }
    for (id, rows) in &delta.reloaded {
        if rows.is_empty() {
            bitmaps.messages.remove(id);
        } else {
            bitmaps.messages.insert(*id, MessageFacts::from_rows(rows)?);
        }
    }
    for row in &delta.rows {
        // A profile's latest times follow every new event; the rows a
        // restore wrote back are old events, not new ones.
        if !delta.reloads.contains(&(row.seq, row.message_id)) {
            bitmaps
                .profile_slots
                .record_event(&mut bitmaps.workspaces, row)?;
        }
        // A reloaded message already has all of its rows.
        if !delta.reloaded.contains_key(&row.message_id) {
            bitmaps
                .messages
                .entry(row.message_id)
                .or_default()
                .apply(row)?;
        }
    }
    bitmaps.applied = delta.upto;
    Ok(())
}

#[cfg(test)]
mod tests;
