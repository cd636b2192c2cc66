//! List-page queries: the same shape drives the dashboard URL, the server
//! function and `GET /api/v1/messages`.

use serde::{Deserialize, Serialize};

use super::message::{DataState, MessageKind, MessageStatus};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    LastActivity,
    Name,
    Created,
}

impl SortKey {
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::LastActivity => "last_activity",
            SortKey::Name => "name",
            SortKey::Created => "created",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "last_activity" => Some(SortKey::LastActivity),
            "name" => Some(SortKey::Name),
            "created" => Some(SortKey::Created),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct MessageListQuery {
    pub kind: Option<MessageKind>,
    /// Case-insensitive substring of the name.
    pub q: String,
    /// Every listed tag must be present (chips narrow the list).
    pub tags: Vec<String>,
    /// `None` lists everything but archived messages.
    pub status: Option<MessageStatus>,
    pub data_state: Option<DataState>,
    pub sort: SortKey,
    /// Newest/largest first when true.
    pub descending: bool,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl MessageListQuery {
    pub const MAX_PER_PAGE: u32 = 200;
    pub const DEFAULT_PER_PAGE: u32 = 50;

    pub fn for_kind(kind: MessageKind) -> Self {
        Self {
            kind: Some(kind),
            ..Self::default()
        }
    }

    /// Clamps paging to sane bounds so a hostile URL cannot ask for a
    /// million rows.
    pub fn normalized(mut self) -> Self {
        self.page = self.page.max(1);
        self.per_page = match self.per_page {
            0 => Self::DEFAULT_PER_PAGE,
            n => n.min(Self::MAX_PER_PAGE),
        };
        self.q = self.q.trim().to_string();
        self.tags.retain(|t| !t.trim().is_empty());
        self
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page)
    }
}

impl Default for MessageListQuery {
    fn default() -> Self {
        Self {
            kind: None,
            q: String::new(),
            tags: Vec::new(),
            status: None,
            data_state: None,
            sort: SortKey::LastActivity,
            descending: true,
            page: 1,
            per_page: Self::DEFAULT_PER_PAGE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Every row matching the filter, across all pages ("select all N").
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        if self.per_page == 0 {
            return 1;
        }
        (self.total.div_ceil(u64::from(self.per_page)) as u32).max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct TagCount {
    pub name: String,
    pub messages: u64,
}
