//! Work that one process at a time may do (the expiry scheduler, mail
//! delivery) when several `recall serve` processes share a database: the
//! process holding the named lease does it, renewing the lease well before
//! it runs out; when that process dies, another takes the lease once it
//! has run out.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::store::Db;

/// The default time a dead holder blocks the others.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// This process's name as a lease holder: `serve-<pid>-<random>`.
pub fn process_holder() -> String {
    format!("serve-{}-{:08x}", std::process::id(), rand::random::<u32>())
}

#[derive(Clone, Debug)]
pub struct Leader {
    db: Db,
    name: &'static str,
    holder: String,
    lease: Duration,
}

impl Leader {
    pub fn new(db: Db, name: &'static str, holder: impl Into<String>, lease: Duration) -> Self {
        Self {
            db,
            name,
            holder: holder.into(),
            lease,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How often the holder renews: a third of the lease, so two renewals
    /// can fail (a slow database) before it runs out.
    pub fn renew_every(&self) -> Duration {
        self.lease / 3
    }

    /// Takes the lease or renews it; `true` while this process leads.
    pub async fn hold(&self, now: DateTime<Utc>) -> Result<bool> {
        let until = now + chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::MAX);
        self.db
            .take_lease(self.name, &self.holder, until, now)
            .await
    }

    /// Gives the lease up (clean shutdown): another process can lead at
    /// once instead of waiting for it to run out.
    pub async fn release(&self) -> Result<()> {
        self.db.release_lease(self.name, &self.holder).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{fresh, t0};

    #[tokio::test]
    async fn one_holder_at_a_time_and_a_dead_holder_is_taken_over() {
        let t = fresh().await;
        let lease = Duration::from_secs(60);
        let a = Leader::new(t.db.clone(), "expiry", "serve-1-a", lease);
        let b = Leader::new(t.db.clone(), "expiry", "serve-2-b", lease);
        let other = Leader::new(t.db.clone(), "mail", "serve-2-b", lease);

        assert!(a.hold(t0()).await.expect("take"));
        assert!(!b.hold(t0()).await.expect("refused"), "a holds it");
        assert!(
            other.hold(t0()).await.expect("other name"),
            "names are independent"
        );
        // a renews before it runs out; b is still refused after a's first term.
        let later = t0() + chrono::Duration::seconds(50);
        assert!(a.hold(later).await.expect("renew"));
        let after_first_term = t0() + chrono::Duration::seconds(70);
        assert!(!b.hold(after_first_term).await.expect("renewed"));
        assert_eq!(
            t.db.lease_holder("expiry", after_first_term)
                .await
                .expect("holder")
                .as_deref(),
            Some("serve-1-a")
        );
        // a dies: once its lease runs out, b takes it, and a cannot come back.
        let a_gone = later + chrono::Duration::seconds(61);
        assert!(b.hold(a_gone).await.expect("take over"));
        assert!(!a.hold(a_gone).await.expect("refused"));
        // A clean stop hands over at once.
        b.release().await.expect("release");
        assert!(a.hold(a_gone).await.expect("take after release"));
    }
}
