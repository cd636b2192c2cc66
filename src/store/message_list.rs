//! The Campaigns and Canvases list: search, tags, kind, status and data
//! state filters, sorting and paging, as one query per page.

use chrono::{DateTime, Utc};

use super::messages::{COLUMNS, MessageRow};
use super::sql::QueryBuilder;
use super::{Db, Workspace, to_ms};
use crate::error::Result;
use crate::types::{DataState, MessageListQuery, MessageSummary, Page, SortKey};

impl Db {
    pub async fn list_messages(
        &self,
        ws: &Workspace,
        query: &MessageListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page<MessageSummary>> {
        let query = query.clone().normalized();
        let mut count = QueryBuilder::new("SELECT COUNT(*) FROM messages m WHERE ");
        push_filters(&mut count, ws, &query, now);
        let total: i64 = count.build_query_scalar().fetch_one(self.pool()).await?;

        let mut select = QueryBuilder::new(format!("SELECT {COLUMNS} FROM messages m WHERE "));
        push_filters(&mut select, ws, &query, now);
        let dir = if query.descending { "DESC" } else { "ASC" };
        let order = match query.sort {
            SortKey::LastActivity => "m.last_activity_at",
            SortKey::Name => "LOWER(m.name)",
            SortKey::Created => "m.created_at",
        };
        select.push(format!(" ORDER BY {order} {dir}, m.id {dir} LIMIT "));
        select.push_bind(i64::from(query.per_page));
        select.push(" OFFSET ");
        select.push_bind(query.offset() as i64);
        let rows: Vec<MessageRow> = select.build_query_as().fetch_all(self.pool()).await?;

        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut tags = self.tags_of(&ids).await?;
        let items = rows
            .into_iter()
            .map(|row| {
                let t = tags.remove(&row.id).unwrap_or_default();
                row.into_summary(ws, t, now)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total: total as u64,
            page: query.page,
            per_page: query.per_page,
        })
    }

    /// Ids of every message matching the filter, across all pages (for
    /// "select all N matching").
    pub async fn matching_message_ids(
        &self,
        ws: &Workspace,
        query: &MessageListQuery,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let query = query.clone().normalized();
        let mut select = QueryBuilder::new("SELECT m.id FROM messages m WHERE ");
        push_filters(&mut select, ws, &query, now);
        select.push(" ORDER BY m.id");
        Ok(select.build_query_scalar().fetch_all(self.pool()).await?)
    }
}

/// Appends the WHERE conditions shared by the count and the page query.
fn push_filters(
    qb: &mut QueryBuilder,
    ws: &Workspace,
    query: &MessageListQuery,
    now: DateTime<Utc>,
) {
    qb.push("m.workspace_id = ").push_bind(ws.id);
    if let Some(kind) = query.kind {
        qb.push(" AND m.kind = ").push_bind(kind.as_str());
    }
    match query.status {
        Some(status) => {
            qb.push(" AND m.status = ").push_bind(status.as_str());
        }
        None => {
            qb.push(" AND m.status <> 'archived'");
        }
    }
    if !query.q.is_empty() {
        let pattern = format!("%{}%", escape_like(&query.q));
        qb.push(" AND LOWER(m.name) LIKE LOWER(")
            .push_bind(pattern)
            .push(") ESCAPE '\\'");
    }
    if !query.tags.is_empty() {
        let tags: Vec<String> = query.tags.iter().map(|t| t.trim().to_lowercase()).collect();
        qb.push(
            " AND m.id IN (SELECT mt.message_id FROM message_tags mt JOIN tags t ON t.id = mt.tag_id \
             WHERE t.workspace_id = ",
        )
        .push_bind(ws.id)
        .push(" AND t.name IN (");
        let mut sep = qb.separated(", ");
        for tag in &tags {
            sep.push_bind(tag.clone());
        }
        qb.push(") GROUP BY mt.message_id HAVING COUNT(*) = ")
            .push_bind(tags.len() as i64)
            .push(")");
    }
    if let Some(state) = query.data_state {
        push_state_filter(qb, state, now);
    }
}

fn push_state_filter(qb: &mut QueryBuilder, state: DataState, now: DateTime<Utc>) {
    let stopped = " AND m.location = 'hot' AND m.status IN ('stopped', 'archived') AND ";
    let retained = |qb: &mut QueryBuilder| {
        qb.push("(m.retained_refs > 0 OR (m.pinned = 1 AND (m.pinned_until IS NULL OR m.pinned_until > ")
            .push_bind(to_ms(now))
            .push(")))");
    };
    match state {
        DataState::Live => {
            qb.push(" AND m.location = 'hot' AND m.status IN ('draft', 'active')");
        }
        DataState::Available => {
            qb.push(stopped).push("NOT ");
            retained(qb);
        }
        DataState::Retained => {
            qb.push(stopped);
            retained(qb);
        }
        DataState::Expired => {
            qb.push(" AND m.location = 'archived'");
        }
        DataState::Restoring => {
            qb.push(" AND m.location = 'restoring'");
        }
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
