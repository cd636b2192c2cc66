//! API keys: per workspace, scoped, shown once, stored hashed, revocable.
//!
//! Keys are 128 random bits, so a fast hash (SHA-256) is the right tool:
//! slow password hashes such as argon2 protect low-entropy secrets, and
//! would only add latency to every API call here.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::sql::{Tx, query, query_as, query_scalar};
use super::{Db, Workspace, from_ms, to_ms};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// POST events.
    Ingest,
    /// Read messages, segments and restores.
    Read,
    /// Create and change messages, segments and restores.
    Manage,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Ingest, Scope::Read, Scope::Manage];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Manage => "manage",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        match text.trim() {
            "ingest" => Ok(Scope::Ingest),
            "read" => Ok(Scope::Read),
            "manage" => Ok(Scope::Manage),
            other => Err(Error::invalid(format!(
                "unknown scope {other:?}; expected ingest, read or manage"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

type KeyRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

fn key_from_row(row: KeyRow) -> ApiKey {
    let (id, workspace_id, name, prefix, scopes, created_at, last_used_at, revoked_at) = row;
    ApiKey {
        id,
        workspace_id,
        name,
        prefix,
        scopes: scopes
            .split(',')
            .filter_map(|s| Scope::parse(s).ok())
            .collect(),
        created_at: from_ms(created_at),
        last_used_at: last_used_at.map(from_ms),
        revoked_at: revoked_at.map(from_ms),
    }
}

const COLUMNS: &str =
    "id, workspace_id, name, prefix, scopes, created_at, last_used_at, revoked_at";

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Db {
    /// Creates a key and returns it with the secret (one transaction of its
    /// own; the engine uses [`insert_api_key`] to audit in the same one).
    pub async fn create_api_key(
        &self,
        ws: &Workspace,
        name: &str,
        scopes: &[Scope],
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, String)> {
        let mut tx = self.write_tx().await?;
        let (id, secret) = insert_api_key(&mut tx, ws, name, scopes, now).await?;
        tx.commit().await?;
        Ok((self.api_key(ws, id).await?, secret))
    }

    pub async fn api_key(&self, ws: &Workspace, id: i64) -> Result<ApiKey> {
        let row: Option<KeyRow> = query_as(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE id = ? AND workspace_id = ?"
        ))
        .bind(id)
        .bind(ws.id)
        .fetch_optional(self.pool())
        .await?;
        row.map(key_from_row)
            .ok_or_else(|| Error::not_found(format!("API key {id}")))
    }

    pub async fn list_api_keys(&self, ws: &Workspace) -> Result<Vec<ApiKey>> {
        let rows: Vec<KeyRow> = query_as(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE workspace_id = ? ORDER BY id"
        ))
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(key_from_row).collect())
    }

    /// The live key for a presented secret, recording its use. Any failure
    /// (unknown, malformed, revoked) is the same `Unauthenticated`.
    pub async fn authenticate_api_key(&self, secret: &str, now: DateTime<Utc>) -> Result<ApiKey> {
        let prefix = secret
            .strip_prefix("rk_")
            .and_then(|rest| rest.split('_').next())
            .filter(|p| p.len() == 8)
            .ok_or(Error::Unauthenticated)?;
        let found: Option<(i64, String)> =
            query_as("SELECT id, secret_hash FROM api_keys WHERE prefix = ?")
                .bind(prefix)
                .fetch_optional(self.pool())
                .await?;
        let (id, hash) = found.ok_or(Error::Unauthenticated)?;
        if hash != digest(secret) {
            return Err(Error::Unauthenticated);
        }
        let row: KeyRow = query_as(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        let key = key_from_row(row);
        if key.revoked_at.is_some() {
            return Err(Error::Unauthenticated);
        }
        // Recorded at most once a minute so busy keys do not turn every
        // request into a write.
        if key
            .last_used_at
            .is_none_or(|at| at < now - chrono::Duration::minutes(1))
        {
            query("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
            .bind(to_ms(now))
            .bind(key.id)
            .bind(to_ms(now) - 60_000)
            .execute(self.pool())
            .await?;
        }
        Ok(key)
    }
}

/// Inserts a key and returns its id with the secret, which is never stored
/// and cannot be shown again.
pub(crate) async fn insert_api_key(
    tx: &mut Tx,
    ws: &Workspace,
    name: &str,
    scopes: &[Scope],
    now: DateTime<Utc>,
) -> Result<(i64, String)> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::invalid("key name must be 1-100 characters"));
    }
    if scopes.is_empty() {
        return Err(Error::invalid("a key needs at least one scope"));
    }
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    let prefix = hex::encode(&bytes[..4]);
    let secret = format!("rk_{prefix}_{}", hex::encode(&bytes[4..]));
    let scope_text: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let id: i64 = query_scalar(
        "INSERT INTO api_keys (workspace_id, name, prefix, secret_hash, scopes, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(ws.id)
    .bind(name)
    .bind(&prefix)
    .bind(digest(&secret))
    .bind(scope_text.join(","))
    .bind(to_ms(now))
    .fetch_one(&mut *tx)
    .await?;
    Ok((id, secret))
}

/// Revokes a key of `ws` (revoking twice keeps the first time).
pub(crate) async fn revoke_api_key(
    tx: &mut Tx,
    ws: &Workspace,
    id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let done = query(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND workspace_id = ?",
    )
    .bind(to_ms(now))
    .bind(id)
    .bind(ws.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(Error::not_found(format!("API key {id}")));
    }
    Ok(())
}
