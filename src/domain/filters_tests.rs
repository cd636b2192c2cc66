//! Day windows: pure rules, no database. (Parsing is tested with the wire
//! form in `types::filter`.)

use chrono::{TimeZone, Utc};

use super::*;

#[test]
fn day_windows_count_whole_days_in_the_workspace_time_zone() {
    // 02:00 on 10 March in UTC is still 9 March in New York.
    let now = Utc
        .with_ymd_and_hms(2026, 3, 10, 2, 0, 0)
        .single()
        .expect("t");
    let ny = chrono_tz::America::New_York;
    let (from, until) = day_bounds(DaysAgo::Within(1), now, &ny);
    assert_eq!(until, None);
    // "Less than 1 day ago" = today (9 March, New York), from local
    // midnight, which is already daylight time (UTC-4) since 8 March.
    assert_eq!(from, Utc.with_ymd_and_hms(2026, 3, 9, 4, 0, 0).single());
    let (from, _) = day_bounds(DaysAgo::Within(1), now, &Utc);
    assert_eq!(from, Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).single());

    // "More than 7 days ago" = before 2 March (local, still UTC-5).
    let (from, until) = day_bounds(DaysAgo::MoreThan(7), now, &ny);
    assert_eq!(from, None);
    assert_eq!(until, Utc.with_ymd_and_hms(2026, 3, 2, 5, 0, 0).single());
}
