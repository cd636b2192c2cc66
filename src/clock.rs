//! The server's source of "now". Rules never call the clock themselves;
//! they take `now` as an argument. This is the one place that reads it, so
//! a deployment (or a test of the real binary) can shift time on purpose.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset: Duration,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock running `offset` ahead of (or behind) the system clock.
    pub fn shifted(offset: Duration) -> Self {
        Self { offset }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}
