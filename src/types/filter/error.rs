//! What is wrong with a filter, and where: the builder highlights the row
//! from the place; the engine turns the whole into a 422 whose text reads
//! `all[0].any[1]: unknown filter "opend"`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where in the wire form a mistake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FilterPlace {
    /// The value as a whole (`filter`).
    Whole,
    /// The list of groups (`all`).
    Groups,
    /// One group (`all[g]`).
    Group(usize),
    /// One filter of a group (`all[g].any[f]`).
    Filter { group: usize, filter: usize },
}

impl fmt::Display for FilterPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterPlace::Whole => f.write_str("filter"),
            FilterPlace::Groups => f.write_str("all"),
            FilterPlace::Group(g) => write!(f, "all[{g}]"),
            FilterPlace::Filter { group, filter } => write!(f, "all[{group}].any[{filter}]"),
        }
    }
}

/// A filter the parser (or the engine's check against the workspace)
/// refused: the place, and the problem in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{at}: {reason}")]
pub struct FilterError {
    pub at: FilterPlace,
    /// The problem, e.g. `unknown filter "opend"`.
    pub reason: String,
}

impl FilterError {
    pub fn new(at: FilterPlace, reason: impl Into<String>) -> Self {
        Self {
            at,
            reason: reason.into(),
        }
    }

    /// The group it is in, if it is in one.
    pub fn group(&self) -> Option<usize> {
        match self.at {
            FilterPlace::Group(g) | FilterPlace::Filter { group: g, .. } => Some(g),
            FilterPlace::Whole | FilterPlace::Groups => None,
        }
    }

    /// The filter's index within its group, if it is about one filter.
    pub fn filter(&self) -> Option<usize> {
        match self.at {
            FilterPlace::Filter { filter, .. } => Some(filter),
            _ => None,
        }
    }
}

impl From<FilterError> for crate::Error {
    fn from(err: FilterError) -> Self {
        crate::Error::Invalid(err.to_string())
    }
}
