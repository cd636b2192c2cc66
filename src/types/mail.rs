//! Mail as the dashboard's Outbox page sees it.

use serde::{Deserialize, Serialize};

/// One `.eml` file in the outbox (mail written there because no SMTP
/// server is configured).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub file: String,
    pub to: Vec<String>,
    pub subject: String,
    /// RFC 3339 when the Date header parses.
    pub date: Option<String>,
    pub bytes: u64,
}
