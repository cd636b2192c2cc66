//! Property tests of the filter JSON parser (issue #10, hostile input):
//! any JSON value is either an audience or a 422 naming the place, every
//! valid tree survives `to_json` and back, and each way of spoiling one
//! filter is reported at that filter's position. Case counts follow
//! `PROPTEST_CASES` (256 unless set).

use proptest::prelude::*;
use serde_json::{Value, json};

use super::arbitrary_json;
use crate::types::filter::{
    Audience, DaysAgo, Filter, FilterPlace, MAX_FILTERS_PER_GROUP, MAX_GROUPS, Rule,
};

/// Text the parser keeps as it is: printable, no surrounding space, at
/// most 200 bytes.
fn text() -> impl Strategy<Value = String> {
    prop::string::string_regex("[^\\s\\p{C}]([^\\p{C}]{0,40}[^\\s\\p{C}])?")
        .expect("regex")
        .prop_filter("200 bytes", |s| s.len() <= 200)
}

fn days() -> impl Strategy<Value = DaysAgo> {
    prop_oneof![
        (1..=3650_u32).prop_map(DaysAgo::Within),
        (1..=3650_u32).prop_map(DaysAgo::MoreThan),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    let id = 1..=i64::MAX;
    let step = || prop::option::of(text());
    prop_oneof![
        (id.clone(), step()).prop_map(|(message_id, step)| Rule::Received { message_id, step }),
        (id.clone(), step(), any::<bool>()).prop_map(|(message_id, step, e)| Rule::Opened {
            message_id,
            step,
            exclude_machine_opens: e
        }),
        (id.clone(), step(), step()).prop_map(|(message_id, step, link)| Rule::Clicked {
            message_id,
            step,
            link
        }),
        (id.clone(), step(), any::<bool>()).prop_map(|(message_id, step, e)| Rule::Engaged {
            message_id,
            step,
            exclude_machine_opens: e
        }),
        (id.clone(), step()).prop_map(|(message_id, step)| Rule::Converted { message_id, step }),
        (id.clone(), text()).prop_map(|(message_id, variant)| Rule::ReceivedVariant {
            message_id,
            variant
        }),
        id.clone()
            .prop_map(|message_id| Rule::InControlGroup { message_id }),
        (id, days()).prop_map(|(message_id, days)| Rule::LastReceivedFrom { message_id, days }),
        text().prop_map(|tag| Rule::ReceivedWithTag { tag }),
        (text(), any::<bool>()).prop_map(|(tag, e)| Rule::EngagedWithTag {
            tag,
            exclude_machine_opens: e
        }),
        (text(), days()).prop_map(|(tag, days)| Rule::LastReceivedWithTag { tag, days }),
        days().prop_map(|days| Rule::LastReceivedAny { days }),
        days().prop_map(|days| Rule::LastEngagedAny { days }),
    ]
}

fn audience() -> impl Strategy<Value = Audience> {
    let filter = (any::<bool>(), rule()).prop_map(|(negate, rule)| Filter { negate, rule });
    prop::collection::vec(prop::collection::vec(filter, 1..=4), 0..=4)
        .prop_map(|all| Audience { all })
}

/// A way to spoil one filter, and the words its error must contain.
fn spoil() -> impl Strategy<Value = (&'static str, Value, &'static str)> {
    prop::sample::select(vec![
        ("filter", json!("opend"), "unknown filter \"opend\""),
        ("filter", json!(7), "\"filter\" must be a filter name"),
        ("negate", json!("yes"), "negate must be true or false"),
        (
            "message_id",
            json!(0),
            "message_id must be a positive integer",
        ),
        (
            "message_id",
            json!("12"),
            "message_id must be a positive integer",
        ),
        ("within_days", json!(0), "must be 1 to 3650"),
        ("more_than_days", json!(3651), "must be 1 to 3650"),
        ("tag", json!("  "), "must be a non-empty string"),
        ("tag", json!("t".repeat(201)), "must be a non-empty string"),
        ("colour", json!("red"), "takes no parameter \"colour\""),
    ])
}

/// The place prefix every error carries: `filter`, `all`, `all[g]` or
/// `all[g].any[i]`, then a colon and the problem.
fn names_a_place(message: &str) -> bool {
    let Some((place, problem)) = message.split_once(": ") else {
        return false;
    };
    let mut rest = place;
    if rest == "filter" || rest == "all" {
        return !problem.is_empty();
    }
    for part in ["all[", "].any["] {
        let Some(after) = rest.strip_prefix(part) else {
            return rest == "]" && !problem.is_empty();
        };
        let digits = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        if digits == 0 {
            return false;
        }
        rest = &after[digits..];
    }
    rest == "]" && !problem.is_empty()
}

proptest! {
    #[test]
    fn arbitrary_json_is_an_audience_or_a_422_naming_the_place(value in arbitrary_json::value()) {
        for candidate in [
            value.clone(),
            json!({ "all": value.clone() }),
            json!({ "all": [value.clone()] }),
            json!({ "all": [{ "any": value.clone() }] }),
            json!({ "all": [{ "any": [value] }] }),
        ] {
            if let Err(err) = Audience::parse(&candidate) {
                let err = crate::Error::from(err);
                prop_assert_eq!(err.status_code(), 422);
                prop_assert!(names_a_place(&err.to_string()), "{}", err);
            }
        }
    }

    #[test]
    fn valid_trees_round_trip_through_the_canonical_form(audience in audience()) {
        let canonical = audience.to_json();
        let parsed = Audience::parse(&canonical).expect("valid tree parses");
        prop_assert_eq!(&parsed, &audience);
        prop_assert_eq!(parsed.to_json(), canonical);
    }

    #[test]
    fn a_spoiled_filter_is_reported_at_its_position(
        audience in audience().prop_filter("a filter to spoil", |a| !a.is_empty()),
        group in any::<prop::sample::Index>(),
        filter in any::<prop::sample::Index>(),
        (key, value, expected) in spoil(),
    ) {
        let mut json = audience.to_json();
        let g = group.index(audience.all.len());
        let i = filter.index(audience.all[g].len());
        let target = &mut json["all"][g]["any"][i];
        let name = target["filter"].as_str().unwrap_or_default().to_string();
        let takes = |k: &str| target.get(k).is_some() || (k == "filter" || k == "negate" || k == "colour");
        // Only spoil what this filter has (or every filter has).
        prop_assume!(takes(key));
        target[key] = value;
        let err = Audience::parse(&json).expect_err("spoiled");
        prop_assert_eq!(err.at, FilterPlace::Filter { group: g, filter: i });
        prop_assert!(err.reason.contains(expected), "{} ({}): {}", key, name, err.reason);
        let err = crate::Error::from(err);
        prop_assert_eq!(err.status_code(), 422);
        let message = err.to_string();
        let place = format!("all[{g}].any[{i}]: ");
        prop_assert!(message.starts_with(&place), "{} ({}): {}", key, name, message);
        prop_assert!(message.contains(expected), "{} ({}): {}", key, name, message);
    }

    #[test]
    fn too_many_or_empty_groups_are_reported_at_the_group(
        groups in 0..=MAX_GROUPS + 2,
        per_group in 0..=MAX_FILTERS_PER_GROUP + 2,
    ) {
        let filter = json!({"filter": "last_received_any", "within_days": 7});
        let group = json!({ "any": vec![filter; per_group] });
        let value = json!({ "all": vec![group; groups] });
        let result = Audience::parse(&value);
        if groups > MAX_GROUPS {
            prop_assert!(result.expect_err("too many groups").to_string().starts_with("all: at most"));
        } else if groups > 0 && !(1..=MAX_FILTERS_PER_GROUP).contains(&per_group) {
            prop_assert!(result.expect_err("bad group").to_string().starts_with("all[0]: a group needs"));
        } else {
            prop_assert_eq!(result.expect("valid").all.len(), groups);
        }
    }
}

#[test]
fn the_place_checker_accepts_only_the_documented_prefixes() {
    for good in ["filter: x", "all: x", "all[3]: x", "all[0].any[12]: x"] {
        assert!(names_a_place(good), "{good}");
    }
    for bad in [
        "x",
        "all[]: x",
        "all[1].any[]: x",
        "all[1]x: y",
        "filters: x",
        "all[0]: ",
    ] {
        assert!(!names_a_place(bad), "{bad}");
    }
}
