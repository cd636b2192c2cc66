//! Long-term storage segments: one immutable, zstd-compressed Parquet file per
//! archived message, holding that message's per-user interaction events.
//!
//! Segments are meant to be read as-is by DuckDB, Spark or pyarrow, so the
//! schema below is a public contract; changing it means a new segment format.
//!
//! | column       | Parquet type                                   |
//! |--------------|------------------------------------------------|
//! | `message_id` | INT64                                          |
//! | `kind`       | INT32 (1 received … 5 control)                 |
//! | `profile_id` | INT64                                          |
//! | `user_id`    | BYTE_ARRAY, STRING                             |
//! | `at`         | INT64, TIMESTAMP(MILLIS, isAdjustedToUTC=true) |
//! | `event_id`   | BYTE_ARRAY, STRING                             |
//! | `variant`    | INT32                                          |
//! | `step`       | INT32                                          |
//! | `machine`    | BOOLEAN                                        |
//! | `link`       | BYTE_ARRAY, STRING, OPTIONAL                   |
//!
//! All columns but `link` are REQUIRED. `kind`, `variant` and `step` are INT32
//! because they are small ordinals and INT32 is what SQL engines call INTEGER.
//! Rows are sorted by (kind, profile_id, at, event_id) within each row group,
//! which is also declared in the footer (`sorting_columns`).
//!
//! Integrity is all-or-nothing: the manifest keeps the SHA-256 and row count of
//! each segment and [`SegmentReader::open`] refuses a file that disagrees with
//! either before any Parquet decoding happens. That order matters: parquet's
//! decoders can panic on damaged pages, so they must only see verified bytes.

use std::sync::Arc;

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::Type;
use sha2::{Digest, Sha256};

mod event_ids;
mod reader;
mod writer;

pub use reader::SegmentReader;
pub use writer::SegmentWriter;

/// Rows per row group: large enough for zstd and dictionaries to pay off,
/// small enough that restoring one group at a time keeps memory bounded.
pub const ROW_GROUP_ROWS: usize = 65_536;

const SCHEMA: &str = "
message recall_event {
    required int64 message_id;
    required int32 kind;
    required int64 profile_id;
    required binary user_id (STRING);
    required int64 occurred_at (TIMESTAMP(MILLIS,true));
    required binary event_id (STRING);
    required int32 variant;
    required int32 step;
    required boolean machine;
    optional binary link (STRING);
}";

/// Leaf indexes of the sort key (kind, profile_id, at, event_id) in [`SCHEMA`].
const SORT_KEY: [i32; 4] = [1, 2, 4, 5];

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The bytes are not the segment the manifest describes, or not a valid one.
    #[error("corrupt segment: {0}")]
    Corrupt(String),
    /// The rows or metadata cannot be written as a segment.
    #[error("cannot encode segment: {0}")]
    Encode(String),
    #[error("row group {index} out of range: segment has {count}")]
    RowGroupOutOfRange { index: usize, count: usize },
}

/// One interaction event as stored hot (the columns of the `events` table) plus the user's external id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedEvent {
    pub message_id: i64,
    pub kind: i64,        // 1 received, 2 opened, 3 clicked, 4 converted, 5 control
    pub profile_id: i64,  // internal user id
    pub user_id: String,  // external user id (so the file is self-describing)
    pub at: i64,          // ms since epoch, UTC
    pub event_id: String, // sender's idempotency key
    pub variant: i64,     // ordinal, 0 = none
    pub step: i64,        // ordinal, 0 = none
    pub machine: bool,
    pub link: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EncodedSegment {
    pub bytes: Bytes,
    pub rows: u64,
    /// Lowercase hex SHA-256 of `bytes`.
    pub checksum: String,
}

/// Lowercase hex SHA-256, the form stored in the manifest.
pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn schema() -> Result<Arc<Type>, ParquetError> {
    parse_message_type(SCHEMA).map(Arc::new)
}

fn encode(e: impl std::fmt::Display) -> SegmentError {
    SegmentError::Encode(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> SegmentError {
    SegmentError::Corrupt(e.to_string())
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
