//! Day windows of the retargeting filters: the time range "less than /
//! more than N days ago" covers in the workspace's time zone. The filters
//! themselves and their JSON form are shared with the dashboard
//! (`types::filter`) and re-exported from `domain`.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};

use crate::types::filter::DaysAgo;

/// The time range a day condition covers, as `(from, until)` bounds on
/// the event time: whole days in `tz`, counted back from `now`'s date.
/// "Less than N days ago": on one of the last N dates, today included.
/// "More than N days ago": before the date N days back.
pub fn day_bounds<Tz: TimeZone>(
    days: DaysAgo,
    now: DateTime<Utc>,
    tz: &Tz,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let today = now.with_timezone(tz).date_naive();
    let midnight = |date: NaiveDate| -> Option<DateTime<Utc>> {
        tz.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    match days {
        DaysAgo::Within(n) => (
            today
                .checked_sub_days(Days::new(u64::from(n.saturating_sub(1))))
                .and_then(midnight),
            None,
        ),
        DaysAgo::MoreThan(n) => (
            None,
            today
                .checked_sub_days(Days::new(u64::from(n)))
                .and_then(midnight),
        ),
    }
}

#[cfg(test)]
#[path = "filters_tests.rs"]
mod tests;
