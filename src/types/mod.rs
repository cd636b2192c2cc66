//! Values that cross the wire. Compiled into the browser bundle too, so
//! nothing here may depend on the database or the clock.

mod list;
mod message;

pub use list::{MessageListQuery, Page, SortKey, TagCount};
pub use message::{
    Aggregates, Channel, DailyPoint, DataState, MessageDetail, MessageKind, MessageStatus,
    MessageSummary, StepInfo, VariantInfo, VariantStats,
};
