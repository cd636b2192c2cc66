//! Interaction events as senders post them, and what ingest answers.

use serde::{Deserialize, Serialize};

/// One event as it arrives. Everything is optional at this layer so that a
/// bad item can be rejected with a reason instead of failing the batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// The sender's idempotency key: the same id twice (for one message) is
    /// one event.
    pub id: Option<String>,
    pub message_id: Option<i64>,
    /// The sender's user id.
    pub user_id: Option<String>,
    /// received, opened, clicked, converted or control.
    pub kind: Option<String>,
    /// Variant key (campaign A/B variant or Canvas variation).
    pub variant: Option<String>,
    /// Canvas step key.
    pub step: Option<String>,
    /// RFC 3339 time, or integer milliseconds since the Unix epoch.
    #[cfg_attr(feature = "engine", schema(value_type = String, example = "2026-11-29T12:00:00Z"))]
    pub at: Option<serde_json::Value>,
    /// An automated (machine) open, e.g. Apple Mail Privacy Protection.
    pub machine: Option<bool>,
    /// Link alias of a click.
    pub link: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct IngestResult {
    /// New events stored (durably, before this answer was sent).
    pub accepted: u64,
    /// Events whose id was already stored for that message.
    pub duplicates: u64,
    /// Items refused, with the position in the batch and the reason.
    pub rejected: Vec<RejectedEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct RejectedEvent {
    pub index: usize,
    pub error: String,
}
