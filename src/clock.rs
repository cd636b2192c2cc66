//! The server's source of "now". Rules never call the clock themselves;
//! they take `now` as an argument, and use cases get it from the engine's
//! clock. This is the one place that reads the system time.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock;

impl Clock {
    pub fn system() -> Self {
        Self
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
