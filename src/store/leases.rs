//! Named leases in the database: at most one holder at a time, taken over
//! when the holder stops renewing.

use chrono::{DateTime, Utc};

use super::sql::{query, query_scalar};
use super::{Db, to_ms};
use crate::error::Result;

impl Db {
    /// Takes `name` for `holder` until `until`, or renews it if `holder`
    /// has it already. `false`: someone else holds it and it has not run
    /// out at `now`.
    ///
    /// The upsert is atomic on its own, so on PostgreSQL it does not queue
    /// behind other processes' write transactions (a renewal that waited
    /// for a long restore commit could let a live leader's lease run out).
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.concurrent_tx().await?;
        let taken: Option<String> = query_scalar(
            "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
             WHERE leases.holder = excluded.holder OR leases.until < ?4 \
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(to_ms(until))
        .bind(to_ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(taken.is_some())
    }

    /// Gives `name` up if `holder` has it (a clean shutdown), so another
    /// process need not wait for it to run out.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let mut tx = self.concurrent_tx().await?;
        query("DELETE FROM leases WHERE name = ? AND holder = ?")
            .bind(name)
            .bind(holder)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who holds `name` at `now`, if anyone.
    pub async fn lease_holder(&self, name: &str, now: DateTime<Utc>) -> Result<Option<String>> {
        Ok(
            query_scalar("SELECT holder FROM leases WHERE name = ? AND until >= ?")
                .bind(name)
                .bind(to_ms(now))
                .fetch_optional(self.pool())
                .await?,
        )
    }
}
