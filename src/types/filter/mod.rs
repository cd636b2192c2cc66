//! Retargeting filters (DESIGN.md §1 "Retargeting filters"): an audience is
//! an AND of OR-groups of filters, each negatable. The stored and wire form
//! is `{"all":[{"any":[FILTER, ...]}, ...]}` with
//! `FILTER = {"filter": NAME, ...params, "negate": bool}`.
//!
//! Compiled into the browser bundle too: the engine and the dashboard's
//! builder parse with the same code, so the builder can point at the row a
//! mistake is in before it asks the server.

mod error;
mod kind;
pub mod wire;

#[cfg(test)]
mod tests;

pub use error::{FilterError, FilterPlace};
pub use kind::{Family, FilterKind, Param};

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
    /// Which of the thirteen filters this is.
    pub fn kind(&self) -> FilterKind {
        match self {
            Rule::Received { .. } => FilterKind::Received,
            Rule::Opened { .. } => FilterKind::Opened,
            Rule::Clicked { .. } => FilterKind::Clicked,
            Rule::Engaged { .. } => FilterKind::Engaged,
            Rule::Converted { .. } => FilterKind::Converted,
            Rule::ReceivedVariant { .. } => FilterKind::ReceivedVariant,
            Rule::InControlGroup { .. } => FilterKind::InControlGroup,
            Rule::LastReceivedFrom { .. } => FilterKind::LastReceivedFrom,
            Rule::ReceivedWithTag { .. } => FilterKind::ReceivedWithTag,
            Rule::EngagedWithTag { .. } => FilterKind::EngagedWithTag,
            Rule::LastReceivedWithTag { .. } => FilterKind::LastReceivedWithTag,
            Rule::LastReceivedAny { .. } => FilterKind::LastReceivedAny,
            Rule::LastEngagedAny { .. } => FilterKind::LastEngagedAny,
        }
    }

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

    /// The step a filter is narrowed to, if it takes one.
    pub fn step(&self) -> Option<&str> {
        match self {
            Rule::Received { step, .. }
            | Rule::Opened { step, .. }
            | Rule::Clicked { step, .. }
            | Rule::Engaged { step, .. }
            | Rule::Converted { step, .. } => step.as_deref(),
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
