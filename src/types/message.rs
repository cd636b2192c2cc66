//! Messages (campaigns and Canvases) as the dashboard and the API see them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::error::Error;

wire_enum_impl!(
    /// A campaign is a single send (with A/B variants); a Canvas is a
    /// multi-step journey.
    MessageKind { Campaign => "campaign", Canvas => "canvas" }
);

wire_enum_impl!(
    /// Lifecycle: `draft -> active <-> stopped`; `archived` hides a message
    /// from default lists.
    MessageStatus { Draft => "draft", Active => "active", Stopped => "stopped", Archived => "archived" }
);

wire_enum_impl!(
    Channel { Email => "email", Push => "push", Sms => "sms", InApp => "in_app", Webhook => "webhook" }
);

wire_enum_impl!(
    /// Where a message's per-user interaction data stands (DESIGN.md §1).
    DataState {
        Live => "live",
        Available => "available",
        Retained => "retained",
        Expired => "expired",
        Restoring => "restoring",
    }
);

wire_enum_impl!(
    /// What a dashboard user may do in a workspace; each role includes the
    /// ones before it.
    Role { Viewer => "viewer", Editor => "editor", Admin => "admin" }
);

impl Role {
    fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Editor => 1,
            Role::Admin => 2,
        }
    }

    /// True when this role includes `required`.
    pub fn allows(self, required: Role) -> bool {
        self.rank() >= required.rank()
    }
}

impl MessageKind {
    /// The word the dashboard uses in sentences ("this campaign").
    pub fn noun(self) -> &'static str {
        match self {
            MessageKind::Campaign => "campaign",
            MessageKind::Canvas => "Canvas",
        }
    }
}

impl DataState {
    pub fn label(self) -> &'static str {
        match self {
            DataState::Live => "Live",
            DataState::Available => "Available",
            DataState::Retained => "Retained",
            DataState::Expired => "Expired",
            DataState::Restoring => "Restoring",
        }
    }
}

impl MessageStatus {
    pub fn label(self) -> &'static str {
        match self {
            MessageStatus::Draft => "Draft",
            MessageStatus::Active => "Active",
            MessageStatus::Stopped => "Stopped",
            MessageStatus::Archived => "Archived",
        }
    }
}

/// One row of a list page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct MessageSummary {
    pub id: i64,
    pub kind: MessageKind,
    pub name: String,
    pub channel: Channel,
    pub status: MessageStatus,
    pub tags: Vec<String>,
    pub data_state: DataState,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    /// When the per-user data will move to long-term storage; `None` when it
    /// cannot expire (live, retained, already expired, or retention "never").
    pub expires_at: Option<DateTime<Utc>>,
    /// When it did move, for expired data.
    pub expired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct VariantInfo {
    pub key: String,
    pub name: String,
    pub is_control: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct StepInfo {
    pub key: String,
    pub name: String,
}

/// Counts that never expire (DESIGN.md §1 "Aggregates").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct Aggregates {
    pub received: i64,
    pub unique_opens: i64,
    pub unique_clicks: i64,
    pub conversions: i64,
    pub control: i64,
}

impl Aggregates {
    pub fn add(&mut self, other: &Aggregates) {
        self.received += other.received;
        self.unique_opens += other.unique_opens;
        self.unique_clicks += other.unique_clicks;
        self.conversions += other.conversions;
        self.control += other.control;
    }

    /// A share of `received` as a percentage; 0 when nothing was received.
    pub fn rate(&self, count: i64) -> f64 {
        if self.received == 0 {
            0.0
        } else {
            count as f64 * 100.0 / self.received as f64
        }
    }
}

/// One day of a message's chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct DailyPoint {
    pub day: chrono::NaiveDate,
    pub totals: Aggregates,
}

/// Aggregates for one variant or step (`key` is `None` for events sent
/// without one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct VariantStats {
    pub variant: Option<String>,
    pub step: Option<String>,
    pub totals: Aggregates,
}

/// Everything the landing page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct MessageDetail {
    #[serde(flatten)]
    pub summary: MessageSummary,
    pub description: String,
    pub variants: Vec<VariantInfo>,
    pub steps: Vec<StepInfo>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub aggregates: Aggregates,
    pub by_variant: Vec<VariantStats>,
    /// A person asked to keep the data hot ("keep data available").
    pub pinned: bool,
    /// When that pin ends; `None` with `pinned` means indefinitely.
    pub pinned_until: Option<DateTime<Utc>>,
    /// Why the data is `retained`, one reason per entry.
    pub retained_by: Vec<RetainedBy>,
    /// What long-term storage holds for this message.
    pub archive: ArchiveSummary,
}

/// The manifest of a message's long-term storage, totalled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct ArchiveSummary {
    pub segments: i64,
    pub rows: i64,
    pub bytes: i64,
}

/// One reason a message's data is kept hot past its retention window.
/// Data, not words: the dashboard words it, API clients read its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RetainedBy {
    /// A person chose "keep data available"; `until` `None` means until
    /// unpinned.
    Pin { until: Option<DateTime<Utc>> },
    /// An active message's audience names it, directly or through a saved
    /// segment.
    Audience {
        message_id: i64,
        message_name: String,
        segment: Option<String>,
    },
}
