//! Reads for the retention rules: which messages could expire, and pins.

use chrono::{DateTime, Utc};

use super::messages::{COLUMNS, MessageRow};
use super::sql::{Tx, query, query_as, query_scalar};
use super::{Db, Workspace, to_ms};
use crate::domain::{DataLocation, RetentionFacts};
use crate::error::{Error, Result};

/// A hot message that is not live and not referenced: the only kind that
/// can become due. The caller applies the exact rule (`domain::is_due`).
#[derive(Debug, Clone)]
pub struct ExpiryCandidate {
    pub id: i64,
    pub name: String,
    pub facts: RetentionFacts,
}

pub(super) async fn retention_facts(
    conn: &mut Tx,
    ws: &Workspace,
    id: i64,
) -> Result<Option<RetentionFacts>> {
    let row: Option<MessageRow> = query_as(&format!(
        "SELECT {COLUMNS} FROM messages m WHERE m.id = ? AND m.workspace_id = ?"
    ))
    .bind(id)
    .bind(ws.id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| r.facts()).transpose()
}

impl Db {
    pub async fn expiry_candidates(&self, ws: &Workspace) -> Result<Vec<ExpiryCandidate>> {
        let rows: Vec<MessageRow> = query_as(&format!(
            "SELECT {COLUMNS} FROM messages m WHERE m.workspace_id = ? AND m.location = 'hot' \
             AND m.status IN ('stopped', 'archived') AND m.retained_refs = 0 \
             ORDER BY m.last_activity_at, m.id"
        ))
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(ExpiryCandidate {
                    facts: row.facts()?,
                    id: row.id,
                    name: row.name,
                })
            })
            .collect()
    }

    /// Pins a message's data (see [`pin`]) in a transaction of its own.
    pub async fn pin_message(
        &self,
        ws: &Workspace,
        id: i64,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        pin(&mut tx, ws, id, until, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the retention window (see [`set_retention`]) in a
    /// transaction of its own.
    pub async fn set_retention(&self, ws: &Workspace, months: Option<u32>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        set_retention(&mut tx, ws, months).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a pin (see [`unpin`]) in a transaction of its own.
    pub async fn unpin_message(&self, ws: &Workspace, id: i64, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        unpin(&mut tx, ws, id, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Pins a message's data ("keep data available"), optionally until a
/// date. Only hot data can be pinned: expired data must be restored
/// first.
pub(crate) async fn pin(
    conn: &mut Tx,
    ws: &Workspace,
    id: i64,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    if until.is_some_and(|u| u <= now) {
        return Err(Error::invalid("pin end must be in the future"));
    }
    let location: Option<String> =
        query_scalar("SELECT location FROM messages WHERE id = ? AND workspace_id = ?")
            .bind(id)
            .bind(ws.id)
            .fetch_optional(&mut *conn)
            .await?;
    match location.as_deref() {
        None => return Err(Error::not_found(format!("message {id}"))),
        Some(text) if DataLocation::parse(text) == Some(DataLocation::Hot) => {}
        Some(_) => {
            return Err(Error::conflict(
                "this message's data is in long-term storage; restore it before pinning",
            ));
        }
    }
    query(
        "UPDATE messages SET pinned = 1, pinned_until = ?, updated_at = ? \
         WHERE id = ? AND location = 'hot'",
    )
    .bind(until.map(to_ms))
    .bind(to_ms(now))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes a pin. The end of a pin counts as activity, so the retention
/// window starts again from now.
pub(crate) async fn unpin(
    conn: &mut Tx,
    ws: &Workspace,
    id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = to_ms(now);
    let done = query(
        "UPDATE messages SET \
         last_activity_at = CASE WHEN pinned = 1 AND last_activity_at < ? THEN ? ELSE last_activity_at END, \
         pinned = 0, pinned_until = NULL, updated_at = ? \
         WHERE id = ? AND workspace_id = ?",
    )
    .bind(at)
    .bind(at)
    .bind(at)
    .bind(id)
    .bind(ws.id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::not_found(format!("message {id}")));
    }
    Ok(())
}

/// Changes a workspace's retention window (`None` = never expire).
pub(crate) async fn set_retention(
    conn: &mut Tx,
    ws: &Workspace,
    months: Option<u32>,
) -> Result<()> {
    if months.is_some_and(|m| m == 0 || m > 120) {
        return Err(Error::invalid(
            "retention must be 1 to 120 months, or never",
        ));
    }
    query("UPDATE workspaces SET retention_months = ? WHERE id = ?")
        .bind(months.map(i64::from))
        .bind(ws.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Db {
    /// Of these `(message, expiry date)` pairs, the ones nobody was warned
    /// about yet.
    pub async fn unwarned_expiries(
        &self,
        pairs: &[(i64, DateTime<Utc>)],
    ) -> Result<Vec<(i64, DateTime<Utc>)>> {
        let mut out = Vec::new();
        for (id, at) in pairs {
            let seen: Option<i64> = query_scalar(
                "SELECT message_id FROM expiry_warnings WHERE message_id = ? AND expires_at = ?",
            )
            .bind(id)
            .bind(to_ms(*at))
            .fetch_optional(self.pool())
            .await?;
            if seen.is_none() {
                out.push((*id, *at));
            }
        }
        Ok(out)
    }

    /// Records the warnings and queues the digest in one transaction, so a
    /// digest is neither lost nor sent twice for the same expiry dates.
    pub async fn record_expiry_warning(
        &self,
        pairs: &[(i64, DateTime<Utc>)],
        mail: &super::MailDraft,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for (id, at) in pairs {
            query(
                "INSERT INTO expiry_warnings (message_id, expires_at, warned_at) \
                 VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(to_ms(*at))
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
        }
        if !mail.recipients.is_empty() {
            super::queue_mail(&mut tx, mail, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Db {
    pub async fn message_location(&self, ws: &Workspace, id: i64) -> Result<DataLocation> {
        let location: Option<String> =
            query_scalar("SELECT location FROM messages WHERE id = ? AND workspace_id = ?")
                .bind(id)
                .bind(ws.id)
                .fetch_optional(self.pool())
                .await?;
        let location = location.ok_or_else(|| Error::not_found(format!("message {id}")))?;
        DataLocation::parse(&location).ok_or(Error::Internal)
    }

    /// Footer metadata that makes a segment self-describing to anyone who
    /// opens it without Recall: what the message was and what the variant
    /// and step ordinals mean.
    pub async fn segment_metadata(&self, ws: &Workspace, id: i64) -> Result<Vec<(String, String)>> {
        let (kind, name): (String, String) =
            query_as("SELECT kind, name FROM messages WHERE id = ? AND workspace_id = ?")
                .bind(id)
                .bind(ws.id)
                .fetch_optional(self.pool())
                .await?
                .ok_or_else(|| Error::not_found(format!("message {id}")))?;
        let variants: Vec<(i64, String)> =
            query_as("SELECT ord, key FROM variants WHERE message_id = ? ORDER BY ord")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
        let steps: Vec<(i64, String)> =
            query_as("SELECT ord, key FROM steps WHERE message_id = ? ORDER BY ord")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
        let as_json = |pairs: Vec<(i64, String)>| {
            serde_json::to_string(
                &pairs
                    .into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>(),
            )
            .unwrap_or_default()
        };
        Ok(vec![
            ("recall.workspace".into(), ws.slug.clone()),
            ("recall.message_id".into(), id.to_string()),
            ("recall.message_kind".into(), kind),
            ("recall.message_name".into(), name),
            ("recall.variants".into(), as_json(variants)),
            ("recall.steps".into(), as_json(steps)),
            (
                "recall.kinds".into(),
                r#"{"1":"received","2":"opened","3":"clicked","4":"converted","5":"control"}"#
                    .into(),
            ),
        ])
    }
}

impl Db {
    /// Variant and step keys by ordinal, to name them in exports.
    pub async fn ordinal_keys(
        &self,
        id: i64,
    ) -> Result<(
        std::collections::HashMap<i64, String>,
        std::collections::HashMap<i64, String>,
    )> {
        let variants: Vec<(i64, String)> =
            query_as("SELECT ord, key FROM variants WHERE message_id = ?")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
        let steps: Vec<(i64, String)> = query_as("SELECT ord, key FROM steps WHERE message_id = ?")
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        Ok((variants.into_iter().collect(), steps.into_iter().collect()))
    }
}

/// Where a message's rows are, inside the caller's transaction; `None`
/// when the message is not in `ws`.
pub(crate) async fn location(
    conn: &mut Tx,
    ws: &Workspace,
    id: i64,
) -> Result<Option<DataLocation>> {
    let text: Option<String> =
        query_scalar("SELECT location FROM messages WHERE id = ? AND workspace_id = ?")
            .bind(id)
            .bind(ws.id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(text.as_deref().and_then(DataLocation::parse))
}

/// Of `ids`, the messages of `ws` whose rows are in long-term storage.
pub(crate) async fn expired_among(conn: &mut Tx, ws: &Workspace, ids: &[i64]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for &id in ids {
        if location(conn, ws, id).await? == Some(DataLocation::Archived) {
            out.push(id);
        }
    }
    Ok(out)
}
