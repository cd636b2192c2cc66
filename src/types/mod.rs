//! Values that cross the wire. Compiled into the browser bundle too, so
//! nothing here may depend on the database or the clock.

mod api;
mod auth;
mod ingest;
mod list;
mod message;

pub use api::{KeyedInput, MessageInput, MessagePatch, PinInput};
pub use auth::{AuditEntry, Viewer};
pub use ingest::{EventInput, IngestResult, RejectedEvent};

pub use list::{MessageListQuery, Page, SortKey, TagCount};
pub use message::{
    Aggregates, ArchiveSummary, Channel, DailyPoint, DataState, MessageDetail, MessageKind,
    MessageStatus, MessageSummary, Role, StepInfo, VariantInfo, VariantStats,
};
