//! Filter parsing and day windows: pure rules, no database.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use crate::error::Result;

use super::*;

fn parse(v: Value) -> Result<Audience> {
    Audience::parse(&v)
}

#[test]
fn every_filter_parses_and_round_trips_through_its_canonical_form() {
    let v = json!({"all": [
        {"any": [
            {"filter": "received", "message_id": 1, "step": "welcome"},
            {"filter": "opened", "message_id": 1, "exclude_machine_opens": true, "negate": true},
            {"filter": "clicked", "message_id": 2, "link": "cta"},
            {"filter": "engaged", "message_id": 2},
            {"filter": "converted", "message_id": 3},
            {"filter": "received_variant", "message_id": 3, "variant": "b"},
            {"filter": "in_control_group", "message_id": 3},
            {"filter": "last_received_from", "message_id": 4, "within_days": 7},
        ]},
        {"any": [
            {"filter": "received_with_tag", "tag": "promo"},
            {"filter": "engaged_with_tag", "tag": "promo", "exclude_machine_opens": true},
            {"filter": "last_received_with_tag", "tag": "news", "more_than_days": 30},
            {"filter": "last_received_any", "within_days": 3},
            {"filter": "last_engaged_any", "more_than_days": 90, "negate": true},
        ]},
    ]});
    let audience = parse(v).expect("parses");
    assert_eq!(audience.all.len(), 2);
    assert_eq!(audience.named_messages(), vec![1, 2, 3, 4]);
    assert_eq!(
        audience.tags(),
        vec!["news".to_string(), "promo".to_string()]
    );
    assert!(audience.all[0][1].negate);
    assert_eq!(parse(audience.to_json()).expect("round trip"), audience);
}

#[test]
fn mistakes_get_a_422_naming_the_place_and_the_problem() {
    let cases = [
        (
            json!({"all": [{"any": [{"filter": "opend", "message_id": 1}]}]}),
            "all[0].any[0]: unknown filter \"opend\"",
        ),
        (
            json!({"all": [{"any": [{"filter": "opened"}]}]}),
            "all[0].any[0]: missing message_id",
        ),
        (
            json!({"all": [{"any": [{"filter": "received_variant", "message_id": 1}]}]}),
            "missing variant",
        ),
        (
            json!({"all": [{"any": [{"filter": "last_received_any"}]}]}),
            "exactly one of within_days or more_than_days",
        ),
        (
            json!({"all": [{"any": [{"filter": "last_received_any", "within_days": 0}]}]}),
            "within_days must be 1 to 3650",
        ),
        (
            json!({"all": [{"any": [{"filter": "received", "message_id": 1, "tag": "x"}]}]}),
            "received takes no parameter \"tag\"",
        ),
        (
            json!({"all": [{"any": [{"filter": "received", "message_id": 1, "negate": "yes"}]}]}),
            "negate must be true or false",
        ),
        (
            json!({"all": [{"any": []}]}),
            "all[0]: a group needs 1 to 20 filters",
        ),
        (
            json!({"all": [{"filter": "received"}]}),
            "all[0]: must be {\"any\": [filters]}",
        ),
        (json!({"any": []}), "filter: unknown field \"any\""),
        (json!([1]), "filter: must be an object"),
    ];
    for (value, expected) in cases {
        let err = parse(value.clone()).expect_err("rejected").to_string();
        assert!(err.contains(expected), "{value} -> {err}");
    }
    assert!(parse(json!({"all": []})).expect("empty").is_empty());
}

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
