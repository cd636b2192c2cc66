//! Audiences on bitmaps: each filter is a set of profile ids, a group the
//! union of its filters, the audience the intersection of its groups, and
//! "not" the complement within the workspace's users: the same algebra as
//! the SQL evaluator (`store::evaluate`), which stays as its test oracle.

use chrono::{DateTime, Utc};
use roaring::RoaringBitmap;

use super::Bitmaps;
use super::facts::{CLICKED, FactKey, LatestBySlot, OPENED, RECEIVED, SLOT_MS, slot_of, union};
use crate::domain::filters::day_bounds;
use crate::domain::{Audience, DaysAgo, EventKind, Rule};
use crate::error::{Error, Result};
use crate::store::Workspace;
use crate::store::changes::FilterCatalog;

/// A day window's bound, as a slot; `None` when the bound is not a slot
/// boundary (a zone whose offset is not whole quarter hours), which the
/// caller answers with the SQL evaluator instead.
enum Window {
    Since(i64),
    Before(i64),
    /// The window has no bound (its date is out of range): SQL matches
    /// nothing for a message's events and refuses it for profile times.
    Unbounded,
}

/// A bitmap answer would not be exact here; the SQL evaluator answers.
#[derive(Debug)]
pub(crate) struct NotExact;

pub(crate) struct Evaluator<'a> {
    pub bitmaps: &'a Bitmaps,
    pub ws: &'a Workspace,
    pub catalog: &'a FilterCatalog,
    pub now: DateTime<Utc>,
    pub tz: chrono_tz::Tz,
}

impl Evaluator<'_> {
    /// The users matching every audience, or `Ok(Err(NotExact))`.
    pub fn audience(&self, audiences: &[&Audience]) -> Result<Result<RoaringBitmap, NotExact>> {
        let empty = RoaringBitmap::new();
        let universe = self
            .bitmaps
            .workspaces
            .get(&self.ws.id)
            .map_or(&empty, |p| &p.users);
        let mut result = universe.clone();
        for audience in audiences {
            for group in &audience.all {
                let mut any = RoaringBitmap::new();
                for filter in group {
                    let set = match self.rule(&filter.rule)? {
                        Ok(set) => set,
                        Err(not_exact) => return Ok(Err(not_exact)),
                    };
                    if filter.negate {
                        any |= universe - &set;
                    } else {
                        any |= set;
                    }
                }
                result &= any;
            }
        }
        Ok(Ok(result))
    }

    fn rule(&self, rule: &Rule) -> Result<Result<RoaringBitmap, NotExact>> {
        Ok(Ok(match rule {
            Rule::Received { message_id, step } => {
                self.facts(*message_id, step.as_deref(), |k| k.kind == RECEIVED)
            }
            Rule::Opened {
                message_id,
                step,
                exclude_machine_opens,
            } => self.facts(*message_id, step.as_deref(), |k| {
                k.kind == OPENED && !(*exclude_machine_opens && k.machine)
            }),
            Rule::Clicked {
                message_id,
                step,
                link,
            } => self.facts(*message_id, step.as_deref(), |k| {
                k.kind == CLICKED && link.as_deref().is_none_or(|l| k.link.as_deref() == Some(l))
            }),
            Rule::Engaged {
                message_id,
                step,
                exclude_machine_opens,
            } => self.facts(*message_id, step.as_deref(), |k| {
                engaged(k, *exclude_machine_opens)
            }),
            Rule::Converted { message_id, step } => {
                let converted = EventKind::Converted.code() as u8;
                self.facts(*message_id, step.as_deref(), |k| k.kind == converted)
            }
            Rule::ReceivedVariant {
                message_id,
                variant,
            } => match self.ord(&self.catalog.variants, *message_id, variant) {
                Some(ord) => self.facts(*message_id, None, |k| {
                    k.kind == RECEIVED && k.variant == ord
                }),
                None => RoaringBitmap::new(),
            },
            Rule::InControlGroup { message_id } => {
                let control = EventKind::Control.code() as u8;
                self.facts(*message_id, None, |k| k.kind == control)
            }
            Rule::LastReceivedFrom { message_id, days } => {
                let latest = self
                    .bitmaps
                    .messages
                    .get(message_id)
                    .map(|m| &m.last_received);
                match self.window(*days) {
                    None => return Ok(Err(NotExact)),
                    Some(Window::Unbounded) => RoaringBitmap::new(),
                    Some(window) => latest.map_or_else(RoaringBitmap::new, |l| within(l, &window)),
                }
            }
            Rule::ReceivedWithTag { tag } => self.tagged(tag, |k| k.kind == RECEIVED),
            Rule::EngagedWithTag {
                tag,
                exclude_machine_opens,
            } => self.tagged(tag, |k| engaged(k, *exclude_machine_opens)),
            Rule::LastReceivedWithTag { tag, days } => match self.window(*days) {
                None => return Ok(Err(NotExact)),
                Some(Window::Unbounded) => RoaringBitmap::new(),
                Some(Window::Since(from)) => union(
                    self.tagged_messages(tag)
                        .map(|m| m.last_received.since(from))
                        .collect::<Vec<_>>()
                        .iter(),
                ),
                // Latest of all tagged receipts before `until`: received
                // any, and none of them at or after it.
                Some(Window::Before(until)) => {
                    let received = self.tagged(tag, |k| k.kind == RECEIVED);
                    let later: Vec<RoaringBitmap> = self
                        .tagged_messages(tag)
                        .map(|m| m.last_received.since(until))
                        .collect();
                    received - union(later.iter())
                }
            },
            Rule::LastReceivedAny { days } => {
                match self.profile_window(*days, |p| &p.last_received) {
                    Some(set) => set?,
                    None => return Ok(Err(NotExact)),
                }
            }
            Rule::LastEngagedAny { days } => {
                match self.profile_window(*days, |p| &p.last_engaged) {
                    Some(set) => set?,
                    None => return Ok(Err(NotExact)),
                }
            }
        }))
    }

    /// Union of one message's fact bitmaps that match, narrowed to a step.
    fn facts(
        &self,
        message_id: i64,
        step: Option<&str>,
        keep: impl Fn(&FactKey) -> bool,
    ) -> RoaringBitmap {
        let step = match step {
            Some(key) => match self.ord(&self.catalog.steps, message_id, key) {
                Some(ord) => Some(ord),
                // A step the message does not have matches no event.
                None => return RoaringBitmap::new(),
            },
            None => None,
        };
        let Some(message) = self.bitmaps.messages.get(&message_id) else {
            return RoaringBitmap::new();
        };
        union(
            message
                .facts
                .iter()
                .filter(|(k, _)| step.is_none_or(|s| k.step == s) && keep(k))
                .map(|(_, b)| b),
        )
    }

    fn tagged_messages<'s>(
        &'s self,
        tag: &'s str,
    ) -> impl Iterator<Item = &'s super::facts::MessageFacts> {
        self.catalog
            .tagged
            .iter()
            .filter(move |(t, _)| t == tag)
            .filter_map(|(_, m)| self.bitmaps.messages.get(m))
    }

    fn tagged(&self, tag: &str, keep: impl Fn(&FactKey) -> bool) -> RoaringBitmap {
        union(
            self.tagged_messages(tag)
                .flat_map(|m| m.facts.iter())
                .filter(|(k, _)| keep(k))
                .map(|(_, b)| b),
        )
    }

    fn ord(&self, list: &[(i64, String, i64)], message_id: i64, key: &str) -> Option<i64> {
        list.iter()
            .find(|(m, k, _)| *m == message_id && k == key)
            .map(|(_, _, ord)| *ord)
    }

    /// The slot bound of a day window; `None` if it is not a slot boundary.
    fn window(&self, days: DaysAgo) -> Option<Window> {
        let bound = |t: DateTime<Utc>| {
            let ms = t.timestamp_millis();
            (ms.rem_euclid(SLOT_MS) == 0).then(|| slot_of(ms))
        };
        match day_bounds(days, self.now, &self.tz) {
            (Some(from), _) => bound(from).map(Window::Since),
            (_, Some(until)) => bound(until).map(Window::Before),
            (None, None) => Some(Window::Unbounded),
        }
    }

    fn profile_window(
        &self,
        days: DaysAgo,
        latest: impl Fn(&super::facts::ProfileFacts) -> &LatestBySlot,
    ) -> Option<Result<RoaringBitmap>> {
        let window = self.window(days)?;
        if let Window::Unbounded = window {
            return Some(Err(Error::invalid("day window out of range")));
        }
        let profiles = self.bitmaps.workspaces.get(&self.ws.id);
        Some(Ok(profiles.map_or_else(RoaringBitmap::new, |p| {
            within(latest(p), &window)
        })))
    }
}

fn engaged(k: &FactKey, exclude_machine_opens: bool) -> bool {
    (k.kind == OPENED && !(exclude_machine_opens && k.machine)) || k.kind == CLICKED
}

fn within(latest: &LatestBySlot, window: &Window) -> RoaringBitmap {
    match window {
        Window::Since(from) => latest.since(*from),
        Window::Before(until) => latest.before(*until),
        Window::Unbounded => RoaringBitmap::new(),
    }
}

/// Ids of `set` after `after`, at most `limit`, ascending.
pub(crate) fn page(set: &RoaringBitmap, after: i64, limit: i64) -> Vec<u32> {
    let start = u32::try_from(after.saturating_add(1).max(0)).unwrap_or(u32::MAX);
    let limit = usize::try_from(limit).unwrap_or(0);
    if after >= i64::from(u32::MAX) {
        return Vec::new();
    }
    set.range(start..).take(limit).collect()
}
