//! The one error type that crosses the wire: REST responses, server
//! functions and the CLI all map from it.

use serde::{Deserialize, Serialize};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Error {
    /// 400/422: the request itself is wrong; the text says how.
    #[error("{0}")]
    Invalid(String),
    /// 401: nobody we know is asking.
    #[error("authentication required")]
    Unauthenticated,
    /// 403: known, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: does not exist, or belongs to another workspace (never 403, so
    /// ids of other tenants cannot be probed).
    #[error("{0} not found")]
    NotFound(String),
    /// 409: the request conflicts with the current state (illegal status
    /// transition, duplicate name).
    #[error("{0}")]
    Conflict(String),
    /// 429: too many attempts; the text says when to try again.
    #[error("{0}")]
    RateLimited(String),
    /// 503: a dependency (long-term storage, mail) is down; the text says
    /// which, never why in detail.
    #[error("{0}")]
    Unavailable(String),
    /// 503: another process held the database's write lock for longer than
    /// this one waits for it (SQLITE_BUSY); the same request later works.
    #[error("the database is busy: another process held its write lock too long; try again")]
    Busy,
    /// 500: details were logged on the server and are never sent out.
    #[error("internal error")]
    Internal,
}

impl Error {
    pub fn invalid(text: impl Into<String>) -> Self {
        Self::Invalid(text.into())
    }

    pub fn conflict(text: impl Into<String>) -> Self {
        Self::Conflict(text.into())
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    /// The HTTP status each variant stands for.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Invalid(_) => 422,
            Self::Unauthenticated => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::RateLimited(_) => 429,
            Self::Unavailable(_) | Self::Busy => 503,
            Self::Internal => 500,
        }
    }
}

#[cfg(feature = "engine")]
impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        if is_busy(&err) {
            tracing::warn!(error = %err, "database busy");
            return Self::Busy;
        }
        tracing::error!(error = %err, "database error");
        Self::Internal
    }
}

/// SQLITE_BUSY or SQLITE_LOCKED, with any extended code: the busy
/// timeout ran out while another connection held a lock.
#[cfg(feature = "engine")]
fn is_busy(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() else {
        return false;
    };
    use sqlx::error::DatabaseError;
    sqlite
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

#[cfg(feature = "engine")]
impl From<sqlx::migrate::MigrateError> for Error {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        tracing::error!(error = %err, "migration error");
        Self::Internal
    }
}

#[cfg(feature = "engine")]
impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        tracing::error!(error = %err, "i/o error");
        Self::Internal
    }
}
