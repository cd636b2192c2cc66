//! Segments and audiences as the API and the dashboard see them. Filters
//! travel as their JSON form (see `types::filter`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Create or replace a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    /// Trimmed, 1 to 200 characters, no control characters.
    #[cfg_attr(
        feature = "engine",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*\\S[^\\x00-\\x1f\\x7f-\\x9f]*$"
        )
    )]
    pub name: String,
    /// `{"all":[{"any":[FILTER, ...]}, ...]}`
    #[cfg_attr(feature = "engine", schema(value_type = Object))]
    pub filter: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct SegmentView {
    pub id: i64,
    pub name: String,
    #[cfg_attr(feature = "engine", schema(value_type = Object))]
    pub filter: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Messages whose audience includes this segment.
    pub used_by: Vec<i64>,
}

/// An expired message an evaluation would have needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct ExpiredInput {
    pub id: i64,
    pub name: String,
}

/// An exact count, marked incomplete when it needed expired data (which it
/// never silently treats as empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct Evaluation {
    pub count: i64,
    pub incomplete: bool,
    pub expired_messages: Vec<ExpiredInput>,
}

/// Evaluate an unsaved filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EvaluateInput {
    #[cfg_attr(feature = "engine", schema(value_type = Object))]
    pub filter: Value,
}

/// A message's retargeting audience: its own filters AND every segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AudienceInput {
    #[serde(default = "empty_filter")]
    #[cfg_attr(feature = "engine", schema(value_type = Object))]
    pub filter: Value,
    #[serde(default)]
    pub segment_ids: Vec<i64>,
}

fn empty_filter() -> Value {
    serde_json::json!({ "all": [] })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct AudienceView {
    pub message_id: i64,
    #[cfg_attr(feature = "engine", schema(value_type = Object))]
    pub filter: Value,
    pub segment_ids: Vec<i64>,
    pub evaluation: Evaluation,
    /// The restore queued because the audience names expired data.
    pub restore_id: Option<i64>,
}

/// A page of users (external ids); pass `next_cursor` as `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct UserPage {
    pub users: Vec<String>,
    pub next_cursor: Option<i64>,
}

/// A message or segment, named, for links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedRef {
    pub id: i64,
    pub name: String,
}

/// A row of the segment list: the segment, its live count (`None` when it
/// could not be counted; the others still are) and the messages whose
/// audience uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    pub segment: SegmentView,
    pub evaluation: Option<Evaluation>,
    pub used_by: Vec<NamedRef>,
}
