//! Garbage collection of long-term storage: objects the manifest does not
//! name, and writes whose writer died.

use chrono::{DateTime, Utc};

use super::{Expiry, PENDING_GRACE};
use crate::error::{Error, Result};
use crate::service::patience::Deadline;

impl Expiry {
    /// Removes objects the manifest does not name, and writes whose writer
    /// died. Lists the store before reading the manifest: an object written
    /// after the listing cannot be mistaken for garbage.
    pub async fn collect_garbage(&self, now: DateTime<Utc>) -> Result<usize> {
        self.collect(now, &self.patience.starting_now()).await
    }

    /// [`Expiry::collect_garbage`], retrying its writes while the database
    /// is busy until `deadline`.
    pub(super) async fn collect(&self, now: DateTime<Utc>, deadline: &Deadline) -> Result<usize> {
        let objects = self.archive.list().await?;
        let known = self.db.known_object_paths().await?;
        let mut removed = 0;
        for object in objects {
            if !known.contains(&object.path) {
                self.archive.delete(&object.path).await?;
                removed += 1;
            }
        }
        // A directory walk: off the async threads.
        let (archive, before) = (self.archive.clone(), now - PENDING_GRACE);
        removed += tokio::task::spawn_blocking(move || archive.remove_stale_staging(before))
            .await
            .map_err(|_| Error::Internal)??;
        for path in self.db.stale_pending_segments(now - PENDING_GRACE).await? {
            // Withdrawing the announcement first makes a late commit of
            // that writer fail, so the object can go.
            let withdrawn = deadline
                .retry("withdraw a dead write", || {
                    self.db.remove_pending_segment(&path)
                })
                .await?;
            if withdrawn {
                self.archive.delete(&path).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
