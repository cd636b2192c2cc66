//! The ingest request body: a JSON object `{"events": [...]}` or NDJSON
//! (one event object per line). Pure, so the fuzz/property tests can throw
//! anything at it.

use chrono::{DateTime, Utc};

use super::events::{ParsedEvent, parse_event};
use crate::error::{Error, Result};
use crate::types::EventInput;

pub const MAX_EVENTS_PER_REQUEST: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    NdJson,
}

/// Each item parsed or rejected with its reason; the batch itself fails
/// only when it cannot be read at all.
pub type ParsedBatch = Vec<Result<ParsedEvent, String>>;

pub fn parse_batch(body: &[u8], format: BodyFormat, now: DateTime<Utc>) -> Result<ParsedBatch> {
    let items = match format {
        BodyFormat::Json => json_items(body)?,
        BodyFormat::NdJson => ndjson_items(body)?,
    };
    if items.is_empty() {
        return Err(Error::invalid("the batch holds no events"));
    }
    if items.len() > MAX_EVENTS_PER_REQUEST {
        return Err(Error::invalid(format!(
            "the batch holds {} events; the limit is {MAX_EVENTS_PER_REQUEST} per request",
            items.len()
        )));
    }
    Ok(items
        .into_iter()
        .map(|item| {
            let item = item?;
            let input: EventInput = serde_json::from_value(item).map_err(|e| describe(&e))?;
            parse_event(input, now)
        })
        .collect())
}

fn json_items(body: &[u8]) -> Result<Vec<Result<serde_json::Value, String>>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Envelope {
        events: Vec<serde_json::Value>,
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        Error::invalid(format!(
            "request body is not a JSON object of the form {{\"events\": [...]}}: {}",
            describe(&e)
        ))
    })?;
    Ok(envelope.events.into_iter().map(Ok).collect())
}

fn ndjson_items(body: &[u8]) -> Result<Vec<Result<serde_json::Value, String>>> {
    let text =
        std::str::from_utf8(body).map_err(|_| Error::invalid("NDJSON body is not valid UTF-8"))?;
    Ok(text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).map_err(|e| format!("line is not JSON: {}", describe(&e)))
        })
        .collect())
}

/// serde's message without the Rust type names it sometimes includes.
fn describe(err: &serde_json::Error) -> String {
    let text = err.to_string();
    text.replace("struct EventInput", "event")
        .replace("struct Envelope", "body")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
            .single()
            .expect("valid")
    }

    const GOOD: &str =
        r#"{"id":"e1","message_id":1,"user_id":"u","kind":"received","at":"2026-11-29T11:00:00Z"}"#;

    #[test]
    fn json_and_ndjson_bodies_parse_item_by_item() {
        let body = format!(r#"{{"events":[{GOOD},{{"id":"e2"}},{{"bogus":1}}]}}"#);
        let batch = parse_batch(body.as_bytes(), BodyFormat::Json, now()).expect("readable");
        assert!(batch[0].is_ok());
        assert_eq!(
            batch[1].as_ref().expect_err("missing"),
            "message_id is required"
        );
        assert!(
            batch[2]
                .as_ref()
                .expect_err("unknown field")
                .contains("unknown field `bogus`")
        );

        let nd = format!("{GOOD}\n\nnot json\n");
        let batch = parse_batch(nd.as_bytes(), BodyFormat::NdJson, now()).expect("readable");
        assert_eq!(batch.len(), 2);
        assert!(
            batch[1]
                .as_ref()
                .expect_err("bad line")
                .starts_with("line is not JSON")
        );
    }

    #[test]
    fn unreadable_empty_and_oversized_batches_fail_as_a_whole() {
        for (body, expected) in [
            ("{", "is not a JSON object"),
            ("[]", "is not a JSON object"),
            (r#"{"events":[]}"#, "no events"),
            (r#"{"events":[], "x":1}"#, "unknown field"),
        ] {
            let err = parse_batch(body.as_bytes(), BodyFormat::Json, now()).expect_err(body);
            assert_eq!(err.status_code(), 422);
            assert!(err.to_string().contains(expected), "{body}: {err}");
        }
        let many = format!(
            "{{\"events\":[{}]}}",
            vec![GOOD; MAX_EVENTS_PER_REQUEST + 1].join(",")
        );
        let err = parse_batch(many.as_bytes(), BodyFormat::Json, now()).expect_err("too many");
        assert!(err.to_string().contains("the limit is 10000"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_batch(&body, BodyFormat::Json, now());
            let _ = parse_batch(&body, BodyFormat::NdJson, now());
        }

        #[test]
        fn hostile_field_values_are_rejected_per_item_with_a_reason(
            id in proptest::option::of(".{0,200}"),
            user in proptest::option::of(".{0,300}"),
            kind in proptest::option::of("[a-z]{0,12}"),
            at in prop_oneof![Just(serde_json::json!(null)), any::<i64>().prop_map(serde_json::Value::from), ".{0,40}".prop_map(serde_json::Value::from)],
            message_id in any::<i64>(),
        ) {
            let event = serde_json::json!({"id": id, "user_id": user, "kind": kind, "at": at, "message_id": message_id});
            let body = serde_json::json!({"events": [event]}).to_string();
            let batch = parse_batch(body.as_bytes(), BodyFormat::Json, now()).expect("readable");
            prop_assert_eq!(batch.len(), 1);
            if let Err(reason) = &batch[0] {
                prop_assert!(!reason.is_empty());
            }
        }
    }
}
