//! Server functions: public HTTP endpoints. Each validates its input, then
//! calls the engine; none holds logic of its own.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use recall::types::{DailyPoint, MessageDetail, MessageListQuery, MessageSummary, Page, TagCount};

#[server(input = Json)]
pub async fn list_messages(query: MessageListQuery) -> Result<Page<MessageSummary>, ServerFnError> {
    use crate::server::{db, to_server_error, workspace};
    let db = db()?;
    let ws = workspace(&db).await?;
    db.list_messages(&ws, &query, chrono::Utc::now())
        .await
        .map_err(to_server_error)
}

#[server(input = Json)]
pub async fn list_tags() -> Result<Vec<TagCount>, ServerFnError> {
    use crate::server::{db, to_server_error, workspace};
    let db = db()?;
    let ws = workspace(&db).await?;
    db.list_tags(&ws).await.map_err(to_server_error)
}

#[server(input = Json)]
pub async fn get_message(id: i64) -> Result<MessageDetail, ServerFnError> {
    use crate::server::{db, to_server_error, workspace};
    let db = db()?;
    let ws = workspace(&db).await?;
    db.message_detail(&ws, id, chrono::Utc::now())
        .await
        .map_err(to_server_error)
}

#[server(input = Json)]
pub async fn get_message_chart(id: i64) -> Result<Vec<DailyPoint>, ServerFnError> {
    use crate::server::{db, to_server_error, workspace};
    let db = db()?;
    let ws = workspace(&db).await?;
    // Checks that the message belongs to this workspace before reading.
    db.message_detail(&ws, id, chrono::Utc::now())
        .await
        .map_err(to_server_error)?;
    db.message_daily_stats(id).await.map_err(to_server_error)
}
