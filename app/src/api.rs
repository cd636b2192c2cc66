//! Server functions: public HTTP endpoints. Each checks who is asking and
//! validates its input, then calls the engine; none holds logic of its own.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
/// Every server function's endpoint under `/api/`. The auth tests call
/// each of them; a unit test in the server checks this list is complete.
pub const SERVER_FUNCTIONS: &[&str] = &[
    "get_viewer",
    "list_messages",
    "list_tags",
    "get_message",
    "get_message_chart",
    "get_audit_log",
    "pin_message",
    "unpin_message",
    "get_retention",
    "set_retention",
    // Segments and audiences (api_segments.rs).
    "list_segments",
    "get_segment",
    "evaluate_filter",
    "save_segment",
    "delete_segment",
    "segment_users",
    "get_audience",
    "set_audience",
    "message_choices",
    "restore_messages",
    // Restores and the outbox (api_restores.rs).
    "preview_restore",
    "request_restore",
    "list_restores",
    "get_restore",
    "message_restore_job",
    "list_outbox",
    "read_outbox_mail",
];

use chrono::{DateTime, NaiveDate, Utc};
use recall::types::{
    AuditEntry, DailyPoint, MessageDetail, MessageListQuery, MessageSummary, Page, TagCount, Viewer,
};
use serde::{Deserialize, Serialize};

#[server(input = Json, endpoint = "get_viewer")]
pub async fn get_viewer() -> Result<Viewer, ServerFnError> {
    use recall::types::Role;
    let s = crate::server::require(Role::Viewer)?;
    Ok(Viewer {
        email: s.email,
        workspace: s.workspace.slug,
        role: s.role,
    })
}

#[server(input = Json, endpoint = "list_messages")]
pub async fn list_messages(query: MessageListQuery) -> Result<Page<MessageSummary>, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine
        .list_messages(&actor, &query, engine.now())
        .await
        .map_err(to_server_error)
}

#[server(input = Json, endpoint = "list_tags")]
pub async fn list_tags() -> Result<Vec<TagCount>, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine.list_tags(&actor).await.map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_message")]
pub async fn get_message(id: i64) -> Result<MessageDetail, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine
        .message(&actor, id, engine.now())
        .await
        .map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_message_chart")]
pub async fn get_message_chart(id: i64) -> Result<Vec<DailyPoint>, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    engine
        .message_chart(&actor, id, engine.now())
        .await
        .map_err(to_server_error)
}

#[server(input = Json, endpoint = "get_audit_log")]
pub async fn get_audit_log() -> Result<Vec<AuditEntry>, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Admin)?;
    engine.audit_log(&actor, 200).await.map_err(to_server_error)
}

/// Keep a message's interaction data available ("pin"), until the end of
/// `until` (a `YYYY-MM-DD` day, UTC) or, without it, until unpinned.
#[server(input = Json, endpoint = "pin_message")]
pub async fn pin_message(id: i64, until: Option<String>) -> Result<(), ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Editor)?;
    let until = parse_pin_end(until.as_deref().unwrap_or_default())
        .map_err(|text| to_server_error(recall::Error::invalid(text)))?;
    let now = engine.now();
    // The engine refuses a past end too; this says it in terms of the day
    // picked on the page.
    if until.is_some_and(|end| end <= now) {
        return Err(to_server_error(recall::Error::invalid(
            "pick today or a later day",
        )));
    }
    engine
        .pin(&actor, id, until, now)
        .await
        .map(|_| ())
        .map_err(to_server_error)
}

/// Stop keeping a message's data available; its retention window starts
/// again now.
#[server(input = Json, endpoint = "unpin_message")]
pub async fn unpin_message(id: i64) -> Result<(), ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Editor)?;
    engine
        .unpin(&actor, id, engine.now())
        .await
        .map(|_| ())
        .map_err(to_server_error)
}

/// The workspace's retention window, as the settings page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionSetting {
    /// Calendar months after a message's last activity; `None` = never.
    pub months: Option<u32>,
}

#[server(input = Json, endpoint = "get_retention")]
pub async fn get_retention() -> Result<RetentionSetting, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Viewer)?;
    let months = engine.retention(&actor).await.map_err(to_server_error)?;
    Ok(RetentionSetting { months })
}

#[server(input = Json, endpoint = "set_retention")]
pub async fn set_retention(months: Option<u32>) -> Result<RetentionSetting, ServerFnError> {
    use crate::server::{acting, to_server_error};
    let (engine, actor) = acting(recall::types::Role::Admin)?;
    let months = engine
        .set_retention(&actor, months, engine.now())
        .await
        .map_err(to_server_error)?;
    Ok(RetentionSetting { months })
}

/// The end of a pin chosen as a day: the last second of that day (UTC), so
/// "until today" still keeps the data for the rest of the day. Empty means
/// no end.
pub fn parse_pin_end(day: &str) -> Result<Option<DateTime<Utc>>, String> {
    let day = day.trim();
    if day.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| format!("{day:?} is not a date (YYYY-MM-DD)"))?;
    let end = date
        .and_hms_opt(23, 59, 59)
        .ok_or_else(|| format!("{day:?} is not a date (YYYY-MM-DD)"))?;
    Ok(Some(end.and_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_lasts_until_the_end_of_the_chosen_day() {
        let end = parse_pin_end("2026-08-01").expect("valid").expect("some");
        assert_eq!(end.to_rfc3339(), "2026-08-01T23:59:59+00:00");
    }

    #[test]
    fn an_empty_pin_end_means_until_unpinned_and_garbage_is_refused() {
        assert_eq!(parse_pin_end("  "), Ok(None));
        assert!(parse_pin_end("next week").is_err());
        assert!(parse_pin_end("2026-02-30").is_err());
    }
}
