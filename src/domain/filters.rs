//! Retargeting filters (DESIGN.md §1 "Retargeting filters"): an audience is
//! an AND of OR-groups of filters, each negatable. The stored and wire form
//! is `{"all":[{"any":[FILTER, ...]}, ...]}` with
//! `FILTER = {"filter": NAME, ...params, "negate": bool}`.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};

/// Most groups, and filters per group, an audience may have.
pub const MAX_GROUPS: usize = 20;
pub const MAX_FILTERS_PER_GROUP: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// Every group must match (AND).
    pub all: Vec<Vec<Filter>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub negate: bool,
    pub rule: Rule,
}

/// How long ago, in whole days of the workspace's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaysAgo {
    /// Less than N days ago ("within the last N days").
    Within(u32),
    /// More than N days ago.
    MoreThan(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    // Specific: name one message; they retain it while an active message uses them.
    Received {
        message_id: i64,
        step: Option<String>,
    },
    Opened {
        message_id: i64,
        step: Option<String>,
        exclude_machine_opens: bool,
    },
    Clicked {
        message_id: i64,
        step: Option<String>,
        link: Option<String>,
    },
    Engaged {
        message_id: i64,
        step: Option<String>,
        exclude_machine_opens: bool,
    },
    Converted {
        message_id: i64,
        step: Option<String>,
    },
    ReceivedVariant {
        message_id: i64,
        variant: String,
    },
    InControlGroup {
        message_id: i64,
    },
    LastReceivedFrom {
        message_id: i64,
        days: DaysAgo,
    },
    // By tag: never retain anything.
    ReceivedWithTag {
        tag: String,
    },
    EngagedWithTag {
        tag: String,
        exclude_machine_opens: bool,
    },
    LastReceivedWithTag {
        tag: String,
        days: DaysAgo,
    },
    // Profile: only the never-expiring user profiles.
    LastReceivedAny {
        days: DaysAgo,
    },
    LastEngagedAny {
        days: DaysAgo,
    },
}

impl Rule {
    /// The message a specific filter names.
    pub fn message_id(&self) -> Option<i64> {
        match self {
            Rule::Received { message_id, .. }
            | Rule::Opened { message_id, .. }
            | Rule::Clicked { message_id, .. }
            | Rule::Engaged { message_id, .. }
            | Rule::Converted { message_id, .. }
            | Rule::ReceivedVariant { message_id, .. }
            | Rule::InControlGroup { message_id }
            | Rule::LastReceivedFrom { message_id, .. } => Some(*message_id),
            _ => None,
        }
    }

    /// The tag a by-tag filter covers.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Rule::ReceivedWithTag { tag }
            | Rule::EngagedWithTag { tag, .. }
            | Rule::LastReceivedWithTag { tag, .. } => Some(tag),
            _ => None,
        }
    }
}

impl Audience {
    /// Messages named by specific filters (what the audience retains).
    pub fn named_messages(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.filters().filter_map(|f| f.rule.message_id()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = self
            .filters()
            .filter_map(|f| f.rule.tag().map(str::to_string))
            .collect();
        tags.sort();
        tags.dedup();
        tags
    }

    pub fn filters(&self) -> impl Iterator<Item = &Filter> {
        self.all.iter().flatten()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

/// The time range a day condition covers, as `(from, until)` bounds on
/// the event time: whole days in `tz`, counted back from `now`'s date.
/// "Less than N days ago": on one of the last N dates, today included.
/// "More than N days ago": before the date N days back.
pub fn day_bounds<Tz: TimeZone>(
    days: DaysAgo,
    now: DateTime<Utc>,
    tz: &Tz,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let today = now.with_timezone(tz).date_naive();
    let midnight = |date: NaiveDate| -> Option<DateTime<Utc>> {
        tz.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    match days {
        DaysAgo::Within(n) => (
            today
                .checked_sub_days(Days::new(u64::from(n.saturating_sub(1))))
                .and_then(midnight),
            None,
        ),
        DaysAgo::MoreThan(n) => (
            None,
            today
                .checked_sub_days(Days::new(u64::from(n)))
                .and_then(midnight),
        ),
    }
}

#[cfg(test)]
#[path = "filters_tests.rs"]
mod tests;
