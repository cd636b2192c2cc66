//! Sign-in: passwords (argon2id), throttling, sessions and user creation.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};
use crate::store::{Db, Workspace, users};
use crate::types::Role;

/// Failures tolerated per window before sign-in is refused.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_IP: i64 = 20;
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);
pub const MIN_PASSWORD_CHARS: usize = 10;

pub fn normalize_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(Error::invalid(format!("{raw:?} is not an email address")))
    }
}

pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| Error::Internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|err| {
            tracing::error!(%err, "password hashing failed");
            Error::Internal
        })
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Creates or updates a dashboard user with a role in `ws`.
pub async fn add_user(
    db: &Db,
    ws: &Workspace,
    actor: &str,
    email: &str,
    password: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<i64> {
    let email = normalize_email(email)?;
    let hash = hash_password(password)?;
    let mut tx = db.write_tx().await?;
    let id = users::upsert_user(&mut tx, ws, &email, &hash, role, now).await?;
    users::record_audit(
        &mut tx,
        Some(ws.id),
        actor,
        "user.added",
        &format!("{email} as {role}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Checks a password and opens a session; returns the cookie token.
/// Every failure reads the same, so accounts cannot be probed; too many
/// failures for the account or the address refuse further tries for a while.
pub async fn sign_in(
    db: &Db,
    email: &str,
    password: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let email = email.trim().to_lowercase();
    let account_key = format!("account:{email}");
    let ip_key = format!("ip:{ip}");
    let since = now - FAILURE_WINDOW;
    if db.login_failures_since(&account_key, since).await? >= MAX_FAILURES_PER_ACCOUNT
        || db.login_failures_since(&ip_key, since).await? >= MAX_FAILURES_PER_IP
    {
        return Err(Error::RateLimited(
            "too many failed sign-ins; try again in 15 minutes".into(),
        ));
    }
    let credentials = db.credentials(&email).await?;
    let user_id = match credentials {
        Some(c) if verify_password(password, &c.password_hash) => c.user_id,
        _ => {
            db.record_login_failure(&account_key, now).await?;
            db.record_login_failure(&ip_key, now).await?;
            return Err(Error::Forbidden("wrong email or password".into()));
        }
    };
    let workspace_id = db.home_workspace(user_id).await?.ok_or_else(|| {
        Error::Forbidden("this account has no workspace; ask an admin to add you".into())
    })?;
    db.clear_login_failures(&account_key).await?;
    let mut tx = db.write_tx().await?;
    let token = users::create_session(&mut tx, user_id, workspace_id, now).await?;
    users::record_audit(
        &mut tx,
        Some(workspace_id),
        &format!("user:{email}"),
        "session.signed_in",
        &format!("from {ip}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{fresh, t0};

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").expect("valid"),
            "ann@example.com"
        );
        for bad in ["", "ann", "@x.com", "ann@localhost", "a b@x.com"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_user_signs_in_with_the_right_password_only() {
        let t = fresh().await;
        add_user(
            &t.db,
            &t.ws,
            "cli",
            "ann@example.com",
            "correct horse battery",
            Role::Editor,
            t0(),
        )
        .await
        .expect("add");
        let token = sign_in(
            &t.db,
            "ANN@example.com",
            "correct horse battery",
            "1.2.3.4",
            t0(),
        )
        .await
        .expect("sign in");
        let session =
            t.db.session(&token, t0())
                .await
                .expect("read")
                .expect("live");
        assert_eq!(
            (session.email.as_str(), session.role),
            ("ann@example.com", Role::Editor)
        );
        let err = sign_in(&t.db, "ann@example.com", "wrong password!", "1.2.3.4", t0())
            .await
            .expect_err("wrong");
        assert_eq!(err.status_code(), 403);
        let err = sign_in(&t.db, "nobody@example.com", "whatever123", "1.2.3.4", t0())
            .await
            .expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "wrong email or password",
            "unknown accounts read the same"
        );
    }

    #[tokio::test]
    async fn repeated_failures_lock_the_account_for_a_while() {
        let t = fresh().await;
        add_user(
            &t.db,
            &t.ws,
            "cli",
            "bob@example.com",
            "correct horse battery",
            Role::Viewer,
            t0(),
        )
        .await
        .expect("add");
        for i in 0..MAX_FAILURES_PER_ACCOUNT {
            let ip = format!("10.0.0.{i}");
            assert!(
                sign_in(&t.db, "bob@example.com", "nope-nope-nope", &ip, t0())
                    .await
                    .is_err()
            );
        }
        let err = sign_in(
            &t.db,
            "bob@example.com",
            "correct horse battery",
            "10.9.9.9",
            t0(),
        )
        .await
        .expect_err("locked");
        assert_eq!(err.status_code(), 429);
        let later = t0() + FAILURE_WINDOW + Duration::seconds(1);
        assert!(
            sign_in(
                &t.db,
                "bob@example.com",
                "correct horse battery",
                "10.9.9.9",
                later
            )
            .await
            .is_ok()
        );
    }

    #[tokio::test]
    async fn sessions_expire_and_sign_out_ends_them() {
        let t = fresh().await;
        add_user(
            &t.db,
            &t.ws,
            "cli",
            "cy@example.com",
            "correct horse battery",
            Role::Admin,
            t0(),
        )
        .await
        .expect("add");
        let token = sign_in(&t.db, "cy@example.com", "correct horse battery", "ip", t0())
            .await
            .expect("sign in");
        let after = t0() + crate::store::SESSION_LIFETIME + Duration::seconds(1);
        assert!(t.db.session(&token, after).await.expect("read").is_none());
        let token = sign_in(&t.db, "cy@example.com", "correct horse battery", "ip", t0())
            .await
            .expect("sign in");
        t.db.delete_session(&token).await.expect("delete");
        assert!(t.db.session(&token, t0()).await.expect("read").is_none());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(hash_password("short").is_err());
    }
}
