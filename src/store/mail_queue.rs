//! Outgoing mail, queued in the database so that the email reporting a
//! change commits with the change and survives a crash before delivery.

use chrono::{DateTime, Utc};

use super::sql::{Tx, query, query_as, query_scalar};
use super::{Db, Workspace, from_ms, to_ms};
use crate::error::{Error, Result};

/// A queued email. `key` is its deterministic Message-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub key: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// After this many failed attempts a mail stays queued but is no longer
/// retried automatically (an operator sees it with its error).
pub const MAX_ATTEMPTS: i64 = 12;

#[derive(sqlx::FromRow)]
struct MailRow {
    id: i64,
    key: String,
    recipients: String,
    subject: String,
    body_text: String,
    body_html: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
    attempts: i64,
    last_error: Option<String>,
}

impl TryFrom<MailRow> for QueuedMail {
    type Error = Error;

    fn try_from(row: MailRow) -> Result<Self> {
        let recipients = serde_json::from_str(&row.recipients).map_err(|_| Error::Internal)?;
        Ok(Self {
            id: row.id,
            key: row.key,
            recipients,
            subject: row.subject,
            text: row.body_text,
            html: row.body_html,
            created_at: from_ms(row.created_at),
            sent_at: row.sent_at.map(from_ms),
            attempts: row.attempts,
            last_error: row.last_error,
        })
    }
}

/// An email about to be queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDraft {
    pub key: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Queues a mail inside the caller's transaction; queuing the same key
/// twice keeps the first.
pub(crate) async fn queue_mail(conn: &mut Tx, mail: &MailDraft, now: DateTime<Utc>) -> Result<()> {
    let recipients = serde_json::to_string(&mail.recipients).map_err(|_| Error::Internal)?;
    query(
        "INSERT INTO outgoing_mail (key, recipients, subject, body_text, body_html, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
    )
    .bind(&mail.key)
    .bind(recipients)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(to_ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "id, key, recipients, subject, body_text, body_html, created_at, sent_at, attempts, last_error";

impl Db {
    /// Mail not yet delivered and still worth retrying, oldest first.
    pub async fn pending_mail(&self, limit: i64) -> Result<Vec<QueuedMail>> {
        let rows: Vec<MailRow> = query_as(&format!(
            "SELECT {COLUMNS} FROM outgoing_mail WHERE sent_at IS NULL AND attempts < ? \
             ORDER BY id LIMIT ?"
        ))
        .bind(MAX_ATTEMPTS)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(QueuedMail::try_from).collect()
    }

    /// Every queued mail, newest first (operators, tests).
    pub async fn recent_mail(&self, limit: i64) -> Result<Vec<QueuedMail>> {
        let rows: Vec<MailRow> = query_as(&format!(
            "SELECT {COLUMNS} FROM outgoing_mail ORDER BY id DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(QueuedMail::try_from).collect()
    }

    pub async fn mark_mail_sent(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        query(
            "UPDATE outgoing_mail SET sent_at = ?, attempts = attempts + 1, last_error = NULL \
             WHERE id = ?",
        )
        .bind(to_ms(now))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn mark_mail_failed(&self, id: i64, error: &str) -> Result<()> {
        query("UPDATE outgoing_mail SET attempts = attempts + 1, last_error = ? WHERE id = ?")
            .bind(error)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Email addresses of a workspace's admins, for operational mail.
    pub async fn admin_emails(&self, ws: &Workspace) -> Result<Vec<String>> {
        Ok(query_scalar(
            "SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id \
             WHERE m.workspace_id = ? AND m.role = 'admin' ORDER BY u.email",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?)
    }
}
