//! Dashboard users, memberships, sessions, login throttling and the audit
//! log.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::sql::{Tx, query, query_as, query_scalar};
use super::{Db, Workspace, from_ms, on_unique, to_ms};
use crate::error::{Error, Result};
use crate::types::{AuditEntry, Role};

/// A signed-in user in one workspace, resolved from a session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: i64,
    pub email: String,
    pub workspace: Workspace,
    pub role: Role,
}

/// What sign-in needs to check a password.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: i64,
    pub password_hash: String,
}

pub const SESSION_LIFETIME: Duration = Duration::days(14);

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Db {
    pub async fn credentials(&self, email: &str) -> Result<Option<Credentials>> {
        let row: Option<(i64, String)> =
            query_as("SELECT id, password_hash FROM users WHERE email = ?")
                .bind(email)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(user_id, password_hash)| Credentials {
            user_id,
            password_hash,
        }))
    }

    /// The workspace a user lands in after signing in: their first.
    pub async fn home_workspace(&self, user_id: i64) -> Result<Option<i64>> {
        Ok(query_scalar(
            "SELECT workspace_id FROM memberships WHERE user_id = ? ORDER BY workspace_id LIMIT 1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The live session for a cookie token, with the user's current role
    /// (a role change or removal takes effect at the next request).
    pub async fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        let row: Option<(i64, String, i64, String)> = query_as(
            "SELECT u.id, u.email, s.workspace_id, m.role FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             JOIN memberships m ON m.user_id = s.user_id AND m.workspace_id = s.workspace_id \
             WHERE s.token_hash = ? AND s.expires_at > ?",
        )
        .bind(token_hash(token))
        .bind(to_ms(now))
        .fetch_optional(self.pool())
        .await?;
        let Some((user_id, email, workspace_id, role)) = row else {
            return Ok(None);
        };
        let workspace = self.workspace(workspace_id).await?;
        Ok(Some(Session {
            user_id,
            email,
            workspace,
            role: role.parse()?,
        }))
    }

    pub async fn delete_session(&self, token: &str) -> Result<()> {
        query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash(token))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn record_login_failure(&self, key: &str, now: DateTime<Utc>) -> Result<()> {
        query("INSERT INTO login_failures (key, at) VALUES (?, ?)")
            .bind(key)
            .bind(to_ms(now))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn login_failures_since(&self, key: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(
            query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = ? AND at > ?")
                .bind(key)
                .bind(to_ms(since))
                .fetch_one(self.pool())
                .await?,
        )
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        query("DELETE FROM login_failures WHERE key = ?")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records an audit entry on its own (sign-in events and the like; a
    /// change records its entry inside its own transaction, [`record_audit`]).
    pub async fn audit(
        &self,
        workspace_id: Option<i64>,
        actor: &str,
        action: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        record_audit(&mut tx, workspace_id, actor, action, detail, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Newest first.
    pub async fn audit_log(&self, ws: &Workspace, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows: Vec<(i64, String, String, String)> = query_as(
            "SELECT at, actor, action, detail FROM audit_log WHERE workspace_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(ws.id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, detail)| AuditEntry {
                at: from_ms(at),
                actor,
                action,
                detail,
            })
            .collect())
    }
}

/// Writes an audit entry inside the caller's transaction, so the entry and
/// the change it describes commit together or not at all.
pub(crate) async fn record_audit(
    conn: &mut Tx,
    workspace_id: Option<i64>,
    actor: &str,
    action: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    query("INSERT INTO audit_log (workspace_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(workspace_id)
        .bind(to_ms(now))
        .bind(actor)
        .bind(action)
        .bind(detail)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Creates a dashboard user, or sets the password of an existing one, and
/// gives them `role` in `ws`.
pub(crate) async fn upsert_user(
    tx: &mut Tx,
    ws: &Workspace,
    email: &str,
    password_hash: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<i64> {
    let id: i64 = query_scalar(
        "INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?) \
         ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(to_ms(now))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| on_unique(e, || Error::conflict("a user with this email exists")))?;
    query(
        "INSERT INTO memberships (user_id, workspace_id, role) VALUES (?, ?, ?) \
         ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = excluded.role",
    )
    .bind(id)
    .bind(ws.id)
    .bind(role.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// Starts a session and returns the token for the cookie (never stored).
pub(crate) async fn create_session(
    tx: &mut Tx,
    user_id: i64,
    workspace_id: i64,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    query("INSERT INTO sessions (token_hash, user_id, workspace_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(workspace_id)
        .bind(to_ms(now))
        .bind(to_ms(now + SESSION_LIFETIME))
        .execute(&mut *tx)
        .await?;
    Ok(token)
}
