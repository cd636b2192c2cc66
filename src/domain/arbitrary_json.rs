//! Proptest strategies for hostile JSON, shared by the parser property
//! tests: any value at all, with object keys biased towards the names the
//! parsers look for so that generated input reaches past the first check.

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Field names the event and filter parsers know, plus near misses.
const KEYS: &[&str] = &[
    "events",
    "id",
    "message_id",
    "user_id",
    "kind",
    "at",
    "variant",
    "step",
    "machine",
    "link",
    "all",
    "any",
    "filter",
    "negate",
    "tag",
    "within_days",
    "more_than_days",
    "exclude_machine_opens",
    "",
    "ALL",
    "id ",
];

/// Short strings, including control characters, non-BMP text and the
/// words the parsers expect.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,12}",
        2 => prop::sample::select(vec![
            "received", "opened", "clicked", "converted", "control", "engaged",
            "last_received_any", "received_with_tag", "2026-11-29T10:00:00Z", "1",
        ])
        .prop_map(str::to_string),
        1 => ".{0,8}",
        1 => "[\\x00-\\x1f\\u{7f}-\\u{9f}]{1,4}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => text(),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-5_i64..4000).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
    ]
}

/// Any JSON value, nested up to four levels.
pub fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}
