//! Deliberate failures at named steps of a data move, so tests and the
//! reliability harness can prove that a crash at any step loses nothing.

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// The steps of an expiry or restore where a failure can be injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultPoint {
    /// Writing a segment object.
    Put,
    /// Reading a segment object back (verify, restore, download).
    Get,
    /// Deleting an object (superseded segments, garbage collection).
    Delete,
    /// After the segment is written and verified, before the manifest
    /// commit.
    BeforeCommit,
    /// After the commit, before superseded objects are removed.
    AfterCommit,
}

/// Shared switchboard of armed faults; empty in production.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    armed: Arc<Mutex<Vec<(FaultPoint, u32)>>>,
}

impl Faults {
    /// Fails the `nth` (0-based) future arrival at `point`, once.
    pub fn arm(&self, point: FaultPoint, nth: u32) {
        if let Ok(mut armed) = self.armed.lock() {
            armed.push((point, nth));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut armed) = self.armed.lock() {
            armed.clear();
        }
    }

    /// True when an armed fault has not fired yet.
    pub fn pending(&self) -> bool {
        self.armed.lock().map(|a| !a.is_empty()).unwrap_or(false)
    }

    pub(crate) fn check(&self, point: FaultPoint) -> Result<()> {
        let Ok(mut armed) = self.armed.lock() else {
            return Ok(());
        };
        let mut fire = false;
        armed.retain_mut(|(p, nth)| {
            if *p != point || fire {
                return true;
            }
            if *nth == 0 {
                fire = true;
                false
            } else {
                *nth -= 1;
                true
            }
        });
        if fire {
            Err(Error::Unavailable(format!("injected fault at {point:?}")))
        } else {
            Ok(())
        }
    }
}
