//! Workspaces: the tenants. Every other row belongs to exactly one.

use chrono::{DateTime, Utc};

use super::sql::{query, query_as};
use super::{Db, from_ms, to_ms};
use crate::domain::RetentionWindow;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub retention: RetentionWindow,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct WorkspaceRow {
    id: i64,
    slug: String,
    name: String,
    retention_months: Option<i64>,
    timezone: String,
    created_at: i64,
}

impl From<WorkspaceRow> for Workspace {
    fn from(row: WorkspaceRow) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            name: row.name,
            retention: RetentionWindow::from_months(row.retention_months),
            timezone: row.timezone,
            created_at: from_ms(row.created_at),
        }
    }
}

const COLUMNS: &str = "id, slug, name, retention_months, timezone, created_at";

impl Db {
    /// Returns the workspace with this slug, creating it when missing.
    pub async fn ensure_workspace(
        &self,
        slug: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Workspace> {
        validate_slug(slug)?;
        query(
            "INSERT INTO workspaces (slug, name, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(slug)
        .bind(name)
        .bind(to_ms(now))
        .execute(self.pool())
        .await?;
        self.workspace_by_slug(slug).await
    }

    pub async fn workspace_by_slug(&self, slug: &str) -> Result<Workspace> {
        let row: Option<WorkspaceRow> =
            query_as(&format!("SELECT {COLUMNS} FROM workspaces WHERE slug = ?"))
                .bind(slug)
                .fetch_optional(self.pool())
                .await?;
        row.map(Workspace::from)
            .ok_or_else(|| Error::not_found(format!("workspace {slug:?}")))
    }

    pub async fn workspace(&self, id: i64) -> Result<Workspace> {
        let row: Option<WorkspaceRow> =
            query_as(&format!("SELECT {COLUMNS} FROM workspaces WHERE id = ?"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        row.map(Workspace::from)
            .ok_or_else(|| Error::not_found("workspace"))
    }

    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>> {
        let rows: Vec<WorkspaceRow> =
            query_as(&format!("SELECT {COLUMNS} FROM workspaces ORDER BY slug"))
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(Workspace::from).collect())
    }
}

fn validate_slug(slug: &str) -> Result<()> {
    let ok = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "workspace slug must be 1-64 lowercase letters, digits or dashes",
        ))
    }
}
