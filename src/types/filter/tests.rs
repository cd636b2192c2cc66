//! The wire form of filters: every filter parses and round-trips, and
//! mistakes name their place both in words and as a structured place.

use serde_json::{Value, json};

use super::*;

fn parse(v: Value) -> Result<Audience, FilterError> {
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
fn the_place_is_structured_and_the_text_is_unchanged() {
    let err = parse(json!({"all": [
        {"any": [{"filter": "received", "message_id": 1}]},
        {"any": [{"filter": "received", "message_id": 1}, {"filter": "opend"}]},
    ]}))
    .expect_err("rejected");
    assert_eq!(
        err,
        FilterError::new(
            FilterPlace::Filter {
                group: 1,
                filter: 1
            },
            "unknown filter \"opend\""
        )
    );
    assert_eq!((err.group(), err.filter()), (Some(1), Some(1)));
    assert_eq!(err.to_string(), "all[1].any[1]: unknown filter \"opend\"");
    let engine = crate::Error::from(err);
    assert_eq!(engine.status_code(), 422);
    assert_eq!(
        engine.to_string(),
        "all[1].any[1]: unknown filter \"opend\""
    );

    let group = parse(json!({"all": [{"any": []}]})).expect_err("empty group");
    assert_eq!((group.group(), group.filter()), (Some(0), None));
    let whole = parse(json!([1])).expect_err("not an object");
    assert_eq!(whole.at, FilterPlace::Whole);
    assert_eq!(whole.to_string(), "filter: must be an object with \"all\"");
    let groups = parse(json!({"all": 3})).expect_err("not a list");
    assert_eq!(groups.to_string(), "all: must be a list of groups");
}

#[test]
fn every_kind_takes_the_parameters_its_canonical_form_has() {
    for kind in FilterKind::ALL {
        assert_eq!(FilterKind::from_name(kind.name()), Some(kind));
    }
    let canonical = parse(json!({"all": [{"any": [
        {"filter": "clicked", "message_id": 2, "step": "s", "link": "cta"},
        {"filter": "last_received_with_tag", "tag": "news", "more_than_days": 30},
    ]}]}))
    .expect("parses")
    .to_json();
    for f in canonical["all"][0]["any"].as_array().expect("filters") {
        let kind = FilterKind::from_name(f["filter"].as_str().expect("name")).expect("known");
        for key in f.as_object().expect("object").keys() {
            assert!(
                ["filter", "negate"].contains(&key.as_str())
                    || kind.params().iter().any(|p| p.key() == key),
                "{key}"
            );
        }
    }
}
