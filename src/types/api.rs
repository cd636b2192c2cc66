//! Request bodies of the REST API and the dashboard's forms.

use serde::{Deserialize, Serialize};

use super::message::{Channel, MessageKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    pub kind: MessageKind,
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
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub channel: Channel,
    /// Campaign A/B variants or Canvas variations. At least one; a message
    /// sent without variants gets a single variant `default`.
    #[serde(default)]
    pub variants: Vec<KeyedInput>,
    /// Adds a control group (variant key `control`).
    #[serde(default)]
    pub control_group: bool,
    /// Canvas steps, in order. Campaigns have none.
    #[serde(default)]
    pub steps: Vec<KeyedInput>,
}

/// A variant or step: a stable key senders use in events, and a display
/// name (defaults to the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyedInput {
    pub key: String,
    pub name: Option<String>,
}

/// Fields left out stay as they are. An edit counts as activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MessagePatch {
    /// Trimmed, 1 to 200 characters, no control characters.
    #[cfg_attr(
        feature = "engine",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*\\S[^\\x00-\\x1f\\x7f-\\x9f]*$"
        )
    )]
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub channel: Option<Channel>,
}

/// "Keep data available": pin a message's data hot, optionally until a date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PinInput {
    /// RFC 3339; omitted or null keeps the data until it is unpinned.
    #[serde(default)]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}
