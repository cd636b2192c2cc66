//! What the bitmaps hold: per message, one bitmap of profile ids per
//! distinct combination of the attributes filters narrow by; per message
//! and per workspace, users by the time slot of their latest event.
//!
//! A profile's index is its database id (assigned once, never reused:
//! profiles are never deleted), so bitmaps iterate in the user order the
//! SQL evaluator returns.

use std::collections::{BTreeMap, HashMap};

use roaring::RoaringBitmap;

use crate::error::{Error, Result};
use crate::store::changes::{FactRow, ProfileRow};

/// Latest-event times are kept by 15-minute slot: every time zone in use
/// today is a whole number of quarter hours from UTC, so each midnight a
/// day window starts at is a slot boundary, and "at or after midnight" is
/// "in this slot or a later one", exactly.
pub(crate) const SLOT_MS: i64 = 15 * 60 * 1000;

pub(crate) fn slot_of(ms: i64) -> i64 {
    ms.div_euclid(SLOT_MS)
}

pub(crate) const RECEIVED: u8 = 1;
pub(crate) const OPENED: u8 = 2;
pub(crate) const CLICKED: u8 = 3;

/// The attributes of an event that some filter reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FactKey {
    pub kind: u8,
    pub variant: i64,
    pub step: i64,
    pub machine: bool,
    pub link: Option<Box<str>>,
}

/// Users by the slot of their latest event of some set: each user is in
/// exactly one slot's bitmap.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct LatestBySlot {
    pub slots: BTreeMap<i64, RoaringBitmap>,
}

impl LatestBySlot {
    /// Records an event at `slot` for `user`, who moves forward only.
    /// Events mostly arrive in time order, so the slots at or after this
    /// one are few and are checked first.
    fn record(&mut self, user: u32, slot: i64) {
        if self.slots.range(slot..).any(|(_, b)| b.contains(user)) {
            return;
        }
        let earlier = self
            .slots
            .range_mut(..slot)
            .rev()
            .find_map(|(at, users)| users.remove(user).then_some((*at, users.is_empty())));
        if let Some((at, true)) = earlier {
            self.slots.remove(&at);
        }
        self.slots.entry(slot).or_default().insert(user);
    }

    /// Moves `user` from `old` (if any) to `new`.
    fn moved(&mut self, user: u32, old: Option<i64>, new: i64) {
        if let Some(old) = old
            && let Some(users) = self.slots.get_mut(&old)
        {
            users.remove(user);
            if users.is_empty() {
                self.slots.remove(&old);
            }
        }
        self.slots.entry(new).or_default().insert(user);
    }

    /// Users whose latest event is in `from` or later.
    pub fn since(&self, from: i64) -> RoaringBitmap {
        union(self.slots.range(from..).map(|(_, b)| b))
    }

    /// Users whose latest event is before `until`.
    pub fn before(&self, until: i64) -> RoaringBitmap {
        union(self.slots.range(..until).map(|(_, b)| b))
    }
}

pub(crate) fn union<'a>(bitmaps: impl Iterator<Item = &'a RoaringBitmap>) -> RoaringBitmap {
    use roaring::MultiOps;
    bitmaps.union()
}

/// One message's hot rows, as bitmaps.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct MessageFacts {
    pub facts: HashMap<FactKey, RoaringBitmap>,
    pub last_received: LatestBySlot,
}

impl MessageFacts {
    /// From all of one message's rows in key order (kind, profile, time):
    /// each user's latest receipt is the last row of their run.
    pub fn from_rows(rows: &[FactRow]) -> Result<Self> {
        let mut facts = MessageFacts::default();
        for (i, row) in rows.iter().enumerate() {
            let user = profile_index(row.profile_id)?;
            facts.insert_fact(row, user);
            let last_of_run = rows
                .get(i + 1)
                .is_none_or(|next| next.kind != row.kind || next.profile_id != row.profile_id);
            if row.kind == i64::from(RECEIVED) && last_of_run {
                facts
                    .last_received
                    .slots
                    .entry(slot_of(row.at))
                    .or_default()
                    .insert(user);
            }
        }
        Ok(facts)
    }

    /// Adds one new row.
    pub fn apply(&mut self, row: &FactRow) -> Result<()> {
        let user = profile_index(row.profile_id)?;
        self.insert_fact(row, user);
        if row.kind == i64::from(RECEIVED) {
            self.last_received.record(user, slot_of(row.at));
        }
        Ok(())
    }

    fn insert_fact(&mut self, row: &FactRow, user: u32) {
        let key = FactKey {
            kind: u8::try_from(row.kind).unwrap_or(u8::MAX),
            variant: row.variant,
            step: row.step,
            machine: row.machine != 0,
            link: row.link.as_deref().map(Box::from),
        };
        self.facts.entry(key).or_default().insert(user);
    }
}

/// Every workspace's users and their never-expiring latest times.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ProfileFacts {
    pub users: RoaringBitmap,
    pub last_received: LatestBySlot,
    pub last_engaged: LatestBySlot,
}

/// Per profile id, the slots it is filed under (to move it later).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ProfileSlots {
    received: HashMap<u32, i64>,
    engaged: HashMap<u32, i64>,
}

impl ProfileSlots {
    /// Files a profile row's times under its workspace.
    pub fn apply(
        &mut self,
        workspaces: &mut HashMap<i64, ProfileFacts>,
        row: &ProfileRow,
    ) -> Result<()> {
        let user = profile_index(row.id)?;
        let ws = workspaces.entry(row.workspace_id).or_default();
        ws.users.insert(user);
        if let Some(at) = row.last_received_at {
            let slot = slot_of(at);
            let old = self.received.insert(user, slot);
            if old != Some(slot) {
                ws.last_received.moved(user, old, slot);
            }
        }
        if let Some(at) = row.last_engaged_at {
            let slot = slot_of(at);
            let old = self.engaged.insert(user, slot);
            if old != Some(slot) {
                ws.last_engaged.moved(user, old, slot);
            }
        }
        Ok(())
    }
}

/// Which of a workspace's latest-time maps an event moves.
type PickLatest = fn(&mut ProfileFacts) -> &mut LatestBySlot;

impl ProfileSlots {
    /// Moves a profile's latest times forward for one new event, as
    /// ingest moves the profile's columns (receipts; opens and clicks).
    pub fn record_event(
        &mut self,
        workspaces: &mut HashMap<i64, ProfileFacts>,
        row: &FactRow,
    ) -> Result<()> {
        let user = profile_index(row.profile_id)?;
        let kind = u8::try_from(row.kind).unwrap_or(u8::MAX);
        let (slots, latest): (&mut HashMap<u32, i64>, PickLatest) = match kind {
            RECEIVED => (&mut self.received, |p| &mut p.last_received),
            OPENED | CLICKED => (&mut self.engaged, |p| &mut p.last_engaged),
            _ => return Ok(()),
        };
        // Profiles are filed before their events are applied.
        let Some(ws) = workspaces.values_mut().find(|p| p.users.contains(user)) else {
            tracing::error!(user, "an event of a profile the bitmaps do not know");
            return Err(Error::Internal);
        };
        let slot = slot_of(row.at);
        let old = slots.get(&user).copied();
        if old.is_none_or(|old| old < slot) {
            slots.insert(user, slot);
            latest(ws).moved(user, old, slot);
        }
        Ok(())
    }
}

/// A profile id as a bitmap index.
pub(crate) fn profile_index(id: i64) -> Result<u32> {
    u32::try_from(id).map_err(|_| {
        tracing::error!(id, "profile id does not fit a 32-bit bitmap index");
        Error::Internal
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(latest: &LatestBySlot) -> Vec<(i64, Vec<u32>)> {
        latest
            .slots
            .iter()
            .map(|(s, b)| (*s, b.iter().collect()))
            .collect()
    }

    #[test]
    fn a_user_moves_to_a_later_slot_only_and_leaves_no_empty_slot_behind() {
        let mut latest = LatestBySlot::default();
        latest.record(7, 10);
        latest.record(7, 4);
        assert_eq!(slots(&latest), vec![(10, vec![7])]);
        latest.record(7, 12);
        latest.record(8, 10);
        assert_eq!(slots(&latest), vec![(10, vec![8]), (12, vec![7])]);
        assert_eq!(latest.since(11).iter().collect::<Vec<_>>(), vec![7]);
        assert_eq!(latest.before(11).iter().collect::<Vec<_>>(), vec![8]);
    }

    #[test]
    fn midnight_in_every_zone_of_today_is_a_slot_boundary() {
        use chrono::{NaiveDate, TimeZone};
        let midnight = NaiveDate::from_ymd_opt(2026, 3, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("date");
        for tz in [
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Asia::Kolkata,
            chrono_tz::America::St_Johns,
        ] {
            let at = tz
                .from_local_datetime(&midnight)
                .earliest()
                .expect("midnight");
            assert_eq!(at.timestamp_millis().rem_euclid(SLOT_MS), 0, "{tz}");
        }
    }

    #[test]
    fn a_profile_id_beyond_32_bits_is_refused_not_truncated() {
        assert_eq!(profile_index(5).ok(), Some(5));
        assert!(profile_index(i64::from(u32::MAX) + 1).is_err());
        assert!(profile_index(-1).is_err());
    }
}
