//! Retention windows and data states (DESIGN.md §1 "Data state",
//! "Retention window").

use chrono::{DateTime, Months, Utc};

use crate::types::{DataState, MessageStatus};

/// How long stopped data stays hot after its last activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionWindow {
    /// Calendar months, so "three months after 31 January" is 30 April.
    Months(u32),
    Never,
}

impl RetentionWindow {
    pub const DEFAULT: RetentionWindow = RetentionWindow::Months(3);

    /// The stored form: months, or `None` for "never".
    pub fn from_months(months: Option<i64>) -> Self {
        match months {
            Some(m) if m > 0 => Self::Months(m.min(1200) as u32),
            _ => Self::Never,
        }
    }

    pub fn months(self) -> Option<u32> {
        match self {
            Self::Months(m) => Some(m),
            Self::Never => None,
        }
    }

    /// The end of the window that starts at `from`.
    pub fn end(self, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Months(m) => from.checked_add_months(Months::new(m)),
            Self::Never => None,
        }
    }
}

/// Where the per-user rows physically are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataLocation {
    Hot,
    Archived,
    Restoring,
}

impl DataLocation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hot => "hot",
            Self::Archived => "archived",
            Self::Restoring => "restoring",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "hot" => Some(Self::Hot),
            "archived" => Some(Self::Archived),
            "restoring" => Some(Self::Restoring),
            _ => None,
        }
    }
}

/// What the data state of one message depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionFacts {
    pub status: MessageStatus,
    pub location: DataLocation,
    pub last_activity_at: DateTime<Utc>,
    /// A person asked to keep the data; `Some(None)` means indefinitely.
    pub pinned_until: Option<Option<DateTime<Utc>>>,
    /// Named by a specific retargeting filter of an active message.
    pub referenced: bool,
}

impl RetentionFacts {
    fn pinned_at(&self, now: DateTime<Utc>) -> bool {
        match self.pinned_until {
            Some(None) => true,
            Some(Some(until)) => until > now,
            None => false,
        }
    }

    /// A pin that ran out counts as activity at the moment it ended.
    fn effective_last_activity(&self) -> DateTime<Utc> {
        match self.pinned_until {
            Some(Some(until)) if until > self.last_activity_at => until,
            _ => self.last_activity_at,
        }
    }
}

/// The data state at `now`, with the expiry date when there is one.
pub fn data_state(
    facts: &RetentionFacts,
    window: RetentionWindow,
    now: DateTime<Utc>,
) -> (DataState, Option<DateTime<Utc>>) {
    match facts.location {
        DataLocation::Restoring => return (DataState::Restoring, None),
        DataLocation::Archived => return (DataState::Expired, None),
        DataLocation::Hot => {}
    }
    match facts.status {
        MessageStatus::Active | MessageStatus::Draft => (DataState::Live, None),
        MessageStatus::Stopped | MessageStatus::Archived => {
            if facts.referenced || facts.pinned_at(now) {
                (DataState::Retained, None)
            } else {
                (
                    DataState::Available,
                    window.end(facts.effective_last_activity()),
                )
            }
        }
    }
}

/// True when the scheduler should move this message's data now.
pub fn is_due(facts: &RetentionFacts, window: RetentionWindow, now: DateTime<Utc>) -> bool {
    matches!(
        data_state(facts, window, now),
        (DataState::Available, Some(end)) if end <= now
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .expect("valid date")
    }

    fn stopped(last: DateTime<Utc>) -> RetentionFacts {
        RetentionFacts {
            status: MessageStatus::Stopped,
            location: DataLocation::Hot,
            last_activity_at: last,
            pinned_until: None,
            referenced: false,
        }
    }

    #[test]
    fn the_window_is_three_calendar_months_clamped_to_month_end() {
        let w = RetentionWindow::DEFAULT;
        assert_eq!(w.end(at(2026, 1, 31)), Some(at(2026, 4, 30)));
        assert_eq!(w.end(at(2026, 11, 15)), Some(at(2027, 2, 15)));
        assert_eq!(RetentionWindow::Never.end(at(2026, 1, 1)), None);
    }

    #[test]
    fn active_and_draft_messages_are_live_and_never_expire() {
        let mut facts = stopped(at(2020, 1, 1));
        for status in [MessageStatus::Active, MessageStatus::Draft] {
            facts.status = status;
            assert_eq!(
                data_state(&facts, RetentionWindow::DEFAULT, at(2026, 1, 1)),
                (DataState::Live, None)
            );
            assert!(!is_due(&facts, RetentionWindow::DEFAULT, at(2026, 1, 1)));
        }
    }

    #[test]
    fn stopped_data_is_available_until_the_window_ends_then_due() {
        let facts = stopped(at(2026, 1, 10));
        let (state, until) = data_state(&facts, RetentionWindow::DEFAULT, at(2026, 2, 1));
        assert_eq!(
            (state, until),
            (DataState::Available, Some(at(2026, 4, 10)))
        );
        assert!(!is_due(&facts, RetentionWindow::DEFAULT, at(2026, 4, 9)));
        assert!(is_due(&facts, RetentionWindow::DEFAULT, at(2026, 4, 10)));
        assert!(!is_due(&facts, RetentionWindow::Never, at(2099, 1, 1)));
    }

    #[test]
    fn archived_messages_still_expire() {
        let mut facts = stopped(at(2026, 1, 10));
        facts.status = MessageStatus::Archived;
        assert!(is_due(&facts, RetentionWindow::DEFAULT, at(2026, 5, 1)));
    }

    #[test]
    fn references_and_pins_retain_and_an_ended_pin_restarts_the_window() {
        let mut facts = stopped(at(2026, 1, 10));
        facts.referenced = true;
        assert_eq!(
            data_state(&facts, RetentionWindow::DEFAULT, at(2027, 1, 1)).0,
            DataState::Retained
        );

        facts.referenced = false;
        facts.pinned_until = Some(None);
        assert_eq!(
            data_state(&facts, RetentionWindow::DEFAULT, at(2027, 1, 1)).0,
            DataState::Retained
        );

        facts.pinned_until = Some(Some(at(2026, 6, 1)));
        assert_eq!(
            data_state(&facts, RetentionWindow::DEFAULT, at(2026, 5, 1)).0,
            DataState::Retained
        );
        assert_eq!(
            data_state(&facts, RetentionWindow::DEFAULT, at(2026, 7, 1)),
            (DataState::Available, Some(at(2026, 9, 1)))
        );
    }

    #[test]
    fn expired_and_restoring_locations_win_over_status() {
        let mut facts = stopped(at(2026, 1, 10));
        facts.location = DataLocation::Archived;
        assert_eq!(
            data_state(&facts, RetentionWindow::DEFAULT, at(2026, 1, 11)),
            (DataState::Expired, None)
        );
        facts.location = DataLocation::Restoring;
        assert_eq!(
            data_state(&facts, RetentionWindow::DEFAULT, at(2026, 1, 11)).0,
            DataState::Restoring
        );
    }
}
