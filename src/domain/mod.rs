//! Pure rules: no database, no clock. Everything that depends on time takes
//! `now` so tests can let three months pass in a line.

pub mod batch;
pub mod events;
pub mod filters;
pub mod lifecycle;
pub mod names;
pub mod restore_plan;
pub mod retention;

#[cfg(test)]
mod arbitrary_json;
#[cfg(test)]
mod batch_props;
#[cfg(test)]
mod filter_props;

pub use crate::types::filter::{
    Audience, DaysAgo, Filter, FilterError, FilterKind, FilterPlace, MAX_FILTERS_PER_GROUP,
    MAX_GROUPS, Rule,
};
pub use events::{EventKind, ParsedEvent, parse_event};
pub use lifecycle::{Transition, apply_transition};
pub use names::{MessageName, TagName};
pub use restore_plan::{RestoreStep, SkipReason, plan_restore};
pub use retention::{DataLocation, RetentionFacts, RetentionWindow, data_state, is_due};
