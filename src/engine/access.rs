//! Who may do what: sign-in and sessions for the dashboard, API keys for
//! REST clients, users and workspaces for operators at the command line.

use chrono::{DateTime, Utc};

use super::{Actor, Engine};
use crate::error::Result;
use crate::service::auth;
use crate::store::{ApiKey, Scope, Session, Workspace, api_keys, users};
use crate::types::Role;

impl Engine {
    /// Checks a password and opens a session; returns the cookie token.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        ip: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        auth::sign_in(&self.db, email, password, ip, now).await
    }

    /// The signed-in person behind a session cookie, if it is still valid.
    pub async fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        self.db.session(token, now).await
    }

    pub async fn sign_out(&self, token: &str) -> Result<()> {
        self.db.delete_session(token).await
    }

    /// The REST client behind a bearer secret, in its key's workspace.
    pub async fn authenticate_api_key(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, Actor)> {
        let key = self.db.authenticate_api_key(secret, now).await?;
        let workspace = self.db.workspace(key.workspace_id).await?;
        let actor = Actor::api_key(&key, workspace);
        Ok((key, actor))
    }

    /// Creates or updates a dashboard user with a role in a workspace.
    pub async fn add_user(
        &self,
        actor: &Actor,
        email: &str,
        password: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        auth::add_user(
            &self.db,
            actor.workspace(),
            &actor.audit_name(),
            email,
            password,
            role,
            now,
        )
        .await
    }

    /// Creates an API key; the secret is returned once and stored hashed.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        name: &str,
        scopes: &[Scope],
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, String)> {
        let ws = actor.workspace();
        let mut tx = self.db.write_tx().await?;
        let (id, secret) = api_keys::insert_api_key(&mut tx, ws, name, scopes, now).await?;
        let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        let detail = format!("key {id} {:?} ({})", name.trim(), names.join(","));
        let actor_name = actor.audit_name();
        users::record_audit(
            &mut tx,
            Some(ws.id),
            &actor_name,
            "apikey.created",
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((self.db.api_key(ws, id).await?, secret))
    }

    pub async fn list_api_keys(&self, actor: &Actor) -> Result<Vec<ApiKey>> {
        self.db.list_api_keys(actor.workspace()).await
    }

    pub async fn revoke_api_key(&self, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<()> {
        let ws = actor.workspace();
        let mut tx = self.db.write_tx().await?;
        api_keys::revoke_api_key(&mut tx, ws, id, now).await?;
        let detail = format!("key {id}");
        let actor_name = actor.audit_name();
        users::record_audit(
            &mut tx,
            Some(ws.id),
            &actor_name,
            "apikey.revoked",
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn workspace(&self, slug: &str) -> Result<Workspace> {
        self.db.workspace_by_slug(slug).await
    }

    /// The workspace with this slug, created when missing.
    pub async fn ensure_workspace(
        &self,
        slug: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Workspace> {
        self.db.ensure_workspace(slug, name, now).await
    }

    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>> {
        self.db.list_workspaces().await
    }

    /// Seeds the demo data set into an empty workspace; how many messages
    /// it created (0 when the workspace already had messages).
    pub async fn seed_demo(&self, actor: &Actor, now: DateTime<Utc>) -> Result<usize> {
        crate::seed::seed_demo(&self.db, actor.workspace(), now).await
    }
}
