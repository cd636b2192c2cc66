//! Restores as the API, the CLI and the dashboard see them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::error::Error;

wire_enum_impl!(
    /// Where one message's restore stands.
    JobStatus { Queued => "queued", Running => "running", Succeeded => "succeeded", Failed => "failed" }
);

impl JobStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed)
    }
}

/// What to restore: some messages, or every message carrying a tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    #[serde(default)]
    pub message_ids: Vec<i64>,
    #[serde(default)]
    pub tag: Option<String>,
    /// Who gets the completion email when the request does not come from
    /// a signed-in person (API keys, the CLI).
    #[serde(default)]
    pub notify: Option<String>,
}

/// One message's restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct RestoreJob {
    pub id: i64,
    pub message_id: i64,
    pub message_name: String,
    pub status: JobStatus,
    pub rows_total: i64,
    pub rows_loaded: i64,
    pub bytes_total: i64,
    pub error: Option<String>,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl RestoreJob {
    /// Progress in whole percent (0 when there is nothing to load yet).
    pub fn percent(&self) -> u8 {
        if self.status == JobStatus::Succeeded {
            return 100;
        }
        if self.rows_total <= 0 {
            return 0;
        }
        ((self.rows_loaded.min(self.rows_total) * 100) / self.rows_total) as u8
    }
}

/// A message a request left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct RestoreSkip {
    pub message_id: i64,
    pub reason: String,
}

/// A request and its jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct RestoreBatch {
    pub id: i64,
    /// Who asked: `user:<email>`, `apikey:<id>` or `cli`.
    pub requested_by: String,
    /// What was asked for, in words ("tag promo", "3 messages").
    pub selection: String,
    pub created_at: DateTime<Utc>,
    /// Set when every job has ended.
    pub finished_at: Option<DateTime<Utc>>,
    pub jobs: Vec<RestoreJob>,
    pub skipped: Vec<RestoreSkip>,
}

/// What a restore would do, shown before anything is queued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct RestorePreview {
    pub messages: i64,
    pub rows: i64,
    pub bytes: i64,
    pub estimated_seconds: i64,
    pub skipped: Vec<RestoreSkip>,
}
