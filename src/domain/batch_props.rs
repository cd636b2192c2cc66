//! Property tests of the ingest body parser (issue #10, hostile input):
//! nothing panics, valid events come back exactly as sent, and every
//! rejection names the field (and, in NDJSON, the line) at fault.
//! Case counts follow `PROPTEST_CASES` (256 unless set).

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, TimeZone, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Map, Value, json};

use super::arbitrary_json;
use super::batch::{BodyFormat, MAX_EVENTS_PER_REQUEST, parse_batch};
use super::events::{EventKind, ParsedEvent};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
        .single()
        .expect("valid")
}

const KINDS: [EventKind; 5] = [
    EventKind::Received,
    EventKind::Opened,
    EventKind::Clicked,
    EventKind::Converted,
    EventKind::Control,
];

/// Printable text of 1..=max characters (what the parser accepts).
fn field(max: usize) -> impl Strategy<Value = String> {
    prop::string::string_regex(&format!("[^\\p{{C}}]{{1,{max}}}")).expect("regex")
}

/// A valid event, and the JSON a sender would post for it: optional
/// fields left out or sent as null, `at` as RFC 3339 in any offset or as
/// epoch milliseconds.
fn valid_event() -> impl Strategy<Value = (ParsedEvent, Value)> {
    let earliest = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("valid")
        .timestamp_millis();
    let latest = (now() + Duration::hours(24)).timestamp_millis();
    (
        (
            field(128),
            1..=i64::MAX,
            field(256),
            prop::sample::select(&KINDS[..]),
        ),
        (earliest..=latest, 0..3_u8, -840..=840_i32),
        (
            prop::option::of(field(64)),
            prop::option::of(field(64)),
            prop::option::of(field(256)),
            prop::option::of(any::<bool>()),
        ),
        any::<bool>(),
    )
        .prop_map(
            |((id, message_id, user_id, kind), (ms, at_form, offset), optional, nulls)| {
                let (variant, step, link, machine) = optional;
                let link = link.filter(|_| kind == EventKind::Clicked);
                let machine = machine.filter(|m| !m || kind == EventKind::Opened);
                let at = Utc.timestamp_millis_opt(ms).single().expect("in range");
                let at_json = match at_form {
                    0 => json!(ms),
                    1 => json!(at.to_rfc3339_opts(SecondsFormat::Millis, true)),
                    _ => {
                        let tz = FixedOffset::east_opt(offset * 60).expect("offset");
                        json!(
                            at.with_timezone(&tz)
                                .to_rfc3339_opts(SecondsFormat::AutoSi, false)
                        )
                    }
                };
                let mut obj = Map::new();
                obj.insert("id".into(), json!(id));
                obj.insert("message_id".into(), json!(message_id));
                obj.insert("user_id".into(), json!(user_id));
                obj.insert("kind".into(), json!(kind.as_str()));
                obj.insert("at".into(), at_json);
                for (key, value) in [
                    ("variant", json!(variant)),
                    ("step", json!(step)),
                    ("link", json!(link)),
                    ("machine", json!(machine)),
                ] {
                    if nulls || !value.is_null() {
                        obj.insert(key.into(), value);
                    }
                }
                let event = ParsedEvent {
                    id,
                    message_id,
                    user_id,
                    kind,
                    variant,
                    step,
                    at,
                    machine: machine.unwrap_or(false),
                    link,
                };
                (event, Value::Object(obj))
            },
        )
}

/// One way to spoil a valid event, and a word its rejection must contain.
fn mutation() -> impl Strategy<Value = (&'static str, Option<Value>, &'static str)> {
    prop::sample::select(vec![
        ("id", None, "id is required"),
        ("id", Some(json!("")), "id must not be empty"),
        ("id", Some(json!("x".repeat(129))), "id is longer than 128"),
        ("id", Some(json!(17)), "id must be a string"),
        ("user_id", None, "user_id is required"),
        (
            "user_id",
            Some(json!("a\u{7}b")),
            "user_id must not contain control",
        ),
        ("user_id", Some(json!(["u"])), "user_id must be a string"),
        ("message_id", None, "message_id is required"),
        (
            "message_id",
            Some(json!(0)),
            "message_id must be a positive integer",
        ),
        (
            "message_id",
            Some(json!(-3)),
            "message_id must be a positive integer",
        ),
        (
            "message_id",
            Some(json!(1.5)),
            "message_id must be a positive integer",
        ),
        (
            "message_id",
            Some(json!("7")),
            "message_id must be a positive integer",
        ),
        (
            "message_id",
            Some(json!(u64::MAX)),
            "message_id must be a positive integer",
        ),
        ("kind", None, "kind is required"),
        ("kind", Some(json!("bounced")), "unknown kind \"bounced\""),
        ("kind", Some(json!(true)), "kind must be a string"),
        ("at", None, "at is required"),
        ("at", Some(json!("yesterday")), "is not an RFC 3339 time"),
        (
            "at",
            Some(json!("2027-06-01T00:00:00Z")),
            "more than a day in the future",
        ),
        ("at", Some(json!(i64::MAX)), "is not a time in milliseconds"),
        ("at", Some(json!(-1)), "before the year 2000"),
        (
            "at",
            Some(json!({"t": 1})),
            "at must be an RFC 3339 string or epoch",
        ),
        (
            "variant",
            Some(json!("v".repeat(65))),
            "variant is longer than 64",
        ),
        ("step", Some(json!("")), "step must not be empty"),
        ("link", Some(json!("l\n")), "link must not contain control"),
        (
            "machine",
            Some(json!("yes")),
            "machine must be true or false",
        ),
        ("colour", Some(json!("red")), "unknown field \"colour\""),
    ])
}

fn json_body(events: &[Value]) -> Vec<u8> {
    json!({ "events": events }).to_string().into_bytes()
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_batch(&body, BodyFormat::Json, now());
        let _ = parse_batch(&body, BodyFormat::NdJson, now());
    }

    #[test]
    fn arbitrary_lines_give_one_outcome_per_non_blank_line(
        lines in prop::collection::vec(prop_oneof![".{0,40}", "[ \t\r]{0,3}", "\\{.{0,30}\\}"], 0..20),
    ) {
        let body = lines.join("\n");
        let text = body.strip_prefix('\u{feff}').unwrap_or(&body);
        let expected = text.lines().filter(|l| !l.trim().is_empty()).count();
        match parse_batch(body.as_bytes(), BodyFormat::NdJson, now()) {
            Ok(batch) => prop_assert_eq!(batch.len(), expected),
            Err(err) => {
                prop_assert_eq!(expected, 0);
                prop_assert_eq!(err.status_code(), 422);
            }
        }
    }

    #[test]
    fn arbitrary_json_items_are_each_rejected_with_a_reason_or_parsed(
        items in prop::collection::vec(arbitrary_json::value(), 1..8),
    ) {
        let batch = parse_batch(&json_body(&items), BodyFormat::Json, now()).expect("readable");
        prop_assert_eq!(batch.len(), items.len());
        for outcome in &batch {
            if let Err(reason) = outcome {
                prop_assert!(reason.len() > 8, "unreadable reason {:?}", reason);
                prop_assert!(!reason.contains("struct "), "Rust type in {:?}", reason);
            }
        }
    }

    #[test]
    fn arbitrary_json_bodies_never_panic_and_fail_as_422(body in arbitrary_json::value()) {
        let text = body.to_string();
        for format in [BodyFormat::Json, BodyFormat::NdJson] {
            if let Err(err) = parse_batch(text.as_bytes(), format, now()) {
                prop_assert_eq!(err.status_code(), 422);
                prop_assert!(!err.to_string().contains("struct "), "{}", err);
            }
        }
    }

    #[test]
    fn valid_events_round_trip_in_both_formats(
        events in prop::collection::vec(valid_event(), 1..6),
        blank_lines in prop::collection::vec(0..3_usize, 6),
    ) {
        let (expected, sent): (Vec<ParsedEvent>, Vec<Value>) = events.into_iter().unzip();
        let batch = parse_batch(&json_body(&sent), BodyFormat::Json, now()).expect("readable");
        let parsed: Vec<_> = batch.into_iter().collect::<Result<_, _>>().expect("all valid");
        prop_assert_eq!(&parsed, &expected);

        let mut ndjson = String::new();
        for (event, blanks) in sent.iter().zip(&blank_lines) {
            ndjson.push_str(&"\n".repeat(*blanks));
            ndjson.push_str(&format!("{event}\r\n"));
        }
        let batch = parse_batch(ndjson.as_bytes(), BodyFormat::NdJson, now()).expect("readable");
        let parsed: Vec<_> = batch.into_iter().collect::<Result<_, _>>().expect("all valid");
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn a_spoiled_event_is_rejected_naming_its_field_and_the_rest_still_parse(
        (good, sent) in valid_event(),
        others in prop::collection::vec(valid_event(), 0..4),
        (key, value, expected) in mutation(),
        position in any::<prop::sample::Index>(),
    ) {
        let mut spoiled = sent;
        match value {
            Some(value) => spoiled[key] = value,
            None => { spoiled.as_object_mut().expect("object").remove(key); }
        }
        let mut items: Vec<Value> = others.iter().map(|(_, v)| v.clone()).collect();
        let at = position.index(items.len() + 1);
        items.insert(at, spoiled);
        let batch = parse_batch(&json_body(&items), BodyFormat::Json, now()).expect("readable");
        for (i, outcome) in batch.iter().enumerate() {
            if i == at {
                let reason = outcome.as_ref().expect_err("spoiled");
                prop_assert!(reason.contains(expected), "{} -> {:?}", key, reason);
            } else {
                prop_assert!(outcome.is_ok(), "{:?} (spoiled {} = {})", outcome, key, good.id);
            }
        }
    }

    #[test]
    fn a_broken_ndjson_line_is_named_by_its_number(
        events in prop::collection::vec(valid_event(), 1..5),
        position in any::<prop::sample::Index>(),
        cut in 1..20_usize,
    ) {
        let mut lines: Vec<String> = events.iter().map(|(_, v)| v.to_string()).collect();
        let at = position.index(lines.len());
        let line = &mut lines[at];
        let keep = line.char_indices().map(|(i, _)| i).nth(line.chars().count().saturating_sub(cut)).unwrap_or(0);
        line.truncate(keep.max(1));
        let body = lines.join("\n");
        let batch = parse_batch(body.as_bytes(), BodyFormat::NdJson, now()).expect("readable");
        let reason = batch[at].as_ref().expect_err("broken line");
        let prefix = format!("line {} is not JSON: ", at + 1);
        prop_assert!(reason.starts_with(&prefix), "{:?}", reason);
        prop_assert!(!reason.contains("line 1 column"), "{:?}", reason);
    }
}

#[test]
fn batches_over_the_limit_or_empty_fail_whole_in_both_formats() {
    let (_, sent) = valid_event()
        .new_tree(&mut proptest::test_runner::TestRunner::deterministic())
        .expect("tree")
        .current();
    let line = sent.to_string();
    let nd = vec![line.as_str(); MAX_EVENTS_PER_REQUEST + 1].join("\n");
    let err = parse_batch(nd.as_bytes(), BodyFormat::NdJson, now()).expect_err("too many");
    assert!(err.to_string().contains("the limit is 10000"), "{err}");
    for body in ["", "\n\n \r\n", "\u{feff}"] {
        let err = parse_batch(body.as_bytes(), BodyFormat::NdJson, now()).expect_err("empty");
        assert!(err.to_string().contains("no events"), "{err}");
    }
    let with_bom = format!("\u{feff}{line}");
    assert!(parse_batch(with_bom.as_bytes(), BodyFormat::NdJson, now()).is_ok());
    let positional =
        json!({"events": [["e1", 1, "u", "received", null, null, "2026-11-29T10:00:00Z"]]});
    let batch =
        parse_batch(positional.to_string().as_bytes(), BodyFormat::Json, now()).expect("readable");
    assert_eq!(
        batch[0],
        Err("an event must be a JSON object, not an array".into())
    );
    let err = parse_batch(b"[[[]]]", BodyFormat::Json, now()).expect_err("array body");
    assert!(err.to_string().contains("is not a JSON object"), "{err}");
}
