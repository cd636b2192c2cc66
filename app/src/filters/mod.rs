//! Retargeting filters as the builder edits them: drafts that may still be
//! half filled in, read from and written to the wire form the engine
//! parses (`recall::types::filter`, shared with the engine and compiled
//! into this bundle), and the same filters in words. Pure, so it is tested
//! without a browser.
//!
//! The shared parser is the judge of a draft's shape: the builder runs it
//! before asking the server, and its structured [`FilterError`] says which
//! row a mistake is in. What needs the workspace (does message 7 have step
//! "welcome"?) only the engine can tell.
//!
//! [`FilterError`]: recall::types::filter::FilterError

mod audience;
mod choice;
mod draft;
mod labels;
mod words;

#[cfg(test)]
mod tests;

pub use audience::{AudienceDraft, Complaint};
pub use choice::{MessageChoice, kind_label};
pub use draft::{DaysMode, FilterDraft, Missing};
pub use labels::Labelled;
pub use recall::types::filter::{Family, FilterKind};
