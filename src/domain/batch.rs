//! The ingest request body: a JSON object `{"events": [...]}` or NDJSON
//! (one event object per line). Pure, so the fuzz/property tests can throw
//! anything at it.

use chrono::{DateTime, Utc};
use serde_json::Value;

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
            let input = event_input(item?)?;
            parse_event(input, now)
        })
        .collect())
}

/// Reads one item field by field, so that a wrong type is reported with
/// the field's name (serde's own message names only the type). Any other
/// shape, an array of the fields in order included, is not an event.
fn event_input(item: Value) -> Result<EventInput, String> {
    let Value::Object(fields) = item else {
        return Err(format!(
            "an event must be a JSON object, not {}",
            json_kind(&item)
        ));
    };
    let mut input = EventInput::default();
    for (key, value) in fields {
        if value.is_null() {
            continue;
        }
        let text = |value: Value| match value {
            Value::String(text) => Ok(Some(text)),
            other => Err(format!("{key} must be a string, not {}", json_kind(&other))),
        };
        match key.as_str() {
            "id" => input.id = text(value)?,
            "user_id" => input.user_id = text(value)?,
            "kind" => input.kind = text(value)?,
            "variant" => input.variant = text(value)?,
            "step" => input.step = text(value)?,
            "link" => input.link = text(value)?,
            "message_id" => {
                input.message_id = Some(
                    value
                        .as_i64()
                        .ok_or("message_id must be a positive integer")?,
                )
            }
            "machine" => {
                input.machine = Some(value.as_bool().ok_or("machine must be true or false")?)
            }
            "at" => input.at = Some(value),
            other => {
                return Err(format!(
                    "unknown field {other:?}; an event has id, message_id, user_id, kind, at, variant, step, machine and link"
                ));
            }
        }
    }
    Ok(input)
}

fn json_items(body: &[u8]) -> Result<Vec<Result<Value, String>>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Envelope {
        events: Vec<Value>,
    }
    let body = body.strip_prefix(BOM.as_bytes()).unwrap_or(body);
    if !body.trim_ascii_start().starts_with(b"{") && serde_json::from_slice::<Value>(body).is_ok() {
        return Err(Error::invalid(
            "request body is not a JSON object of the form {\"events\": [...]}",
        ));
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        Error::invalid(format!(
            "request body is not a JSON object of the form {{\"events\": [...]}}: {}",
            describe(&e)
        ))
    })?;
    Ok(envelope.events.into_iter().map(Ok).collect())
}

fn ndjson_items(body: &[u8]) -> Result<Vec<Result<Value, String>>> {
    let text =
        std::str::from_utf8(body).map_err(|_| Error::invalid("NDJSON body is not valid UTF-8"))?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line)
                .map_err(|e| format!("line {} is not JSON: {}", n + 1, describe_in_line(&e)))
        })
        .collect())
}

/// A byte-order mark some tools put first; not JSON, but harmless.
const BOM: &str = "\u{feff}";

/// Each NDJSON line is parsed on its own, so serde's "line 1" would
/// mislead: keep only the column.
fn describe_in_line(err: &serde_json::Error) -> String {
    let text = describe(err);
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match text.strip_suffix(&suffix) {
        Some(problem) => format!("{problem} at column {}", err.column()),
        None => text,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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
                .starts_with("unknown field \"bogus\"")
        );

        let nd = format!("{GOOD}\n\nnot json\n");
        let batch = parse_batch(nd.as_bytes(), BodyFormat::NdJson, now()).expect("readable");
        assert_eq!(batch.len(), 2);
        assert!(
            batch[1]
                .as_ref()
                .expect_err("bad line")
                .starts_with("line 3 is not JSON: expected ident at column 2")
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
}
