//! An audience as drafted, and what is wrong with it, placed at its row.

use recall::types::filter::{Audience, FilterError, FilterPlace, wire};
use serde_json::Value;

use super::{FilterDraft, Missing};

/// An audience as drafted: every group must match (AND), and within a
/// group any filter may (OR).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AudienceDraft {
    pub groups: Vec<Vec<FilterDraft>>,
}

impl AudienceDraft {
    /// The wire form. Order is kept, so the parser's places point at the
    /// same rows the builder shows.
    pub fn to_json(&self) -> Value {
        wire::audience_json(
            self.groups
                .iter()
                .map(|g| g.iter().map(FilterDraft::to_json).collect()),
        )
    }

    /// Reads the wire form; filters it does not know are counted in the
    /// second value so the page can say so instead of dropping them.
    pub fn from_json(value: &Value) -> (Self, usize) {
        let mut unknown = 0;
        let groups = wire::groups_of(value)
            .into_iter()
            .map(|filters| {
                filters
                    .iter()
                    .filter_map(|f| {
                        let parsed = FilterDraft::from_json(f);
                        unknown += usize::from(parsed.is_none());
                        parsed
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|g| !g.is_empty())
            .collect();
        (Self { groups }, unknown)
    }

    /// The wire form, once the shared parser accepts it; otherwise where
    /// and why it does not, without asking the server.
    pub fn checked_json(&self) -> Result<Value, FilterError> {
        let json = self.to_json();
        Audience::parse(&json)?;
        Ok(json)
    }

    /// The first filter that still needs something chosen.
    pub fn missing(&self) -> Option<Missing> {
        self.groups.iter().enumerate().find_map(|(g, group)| {
            group.iter().enumerate().find_map(|(f, filter)| {
                filter.missing().map(|what| Missing {
                    group: g,
                    filter: f,
                    what,
                })
            })
        })
    }

    /// Messages named by specific filters, for looking up their names.
    pub fn message_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .groups
            .iter()
            .flatten()
            .filter(|f| f.kind.takes_message())
            .filter_map(|f| f.message_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// A refused filter as the builder shows it: the row (or group) it is
/// about, if any, and what to say there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    pub group: Option<usize>,
    pub filter: Option<usize>,
    pub text: String,
}

impl Complaint {
    /// A refusal that names no row (the server's, in words).
    pub fn unplaced(text: impl Into<String>) -> Self {
        Self {
            group: None,
            filter: None,
            text: text.into(),
        }
    }
}

impl From<&FilterError> for Complaint {
    /// A group or a filter gets the reason alone, shown at its row; a
    /// mistake in the whole keeps its place in the text.
    fn from(err: &FilterError) -> Self {
        match err.at {
            FilterPlace::Group(_) | FilterPlace::Filter { .. } => Self {
                group: err.group(),
                filter: err.filter(),
                text: err.reason.clone(),
            },
            FilterPlace::Whole | FilterPlace::Groups => Self::unplaced(err.to_string()),
        }
    }
}
