//! Interaction events: validation of what senders post. Pure; the checks
//! that need the database (does the message exist here, is the variant
//! one of its variants) happen in the ingest service.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::types::EventInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Received = 1,
    Opened = 2,
    Clicked = 3,
    Converted = 4,
    Control = 5,
}

impl EventKind {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "received" => Ok(Self::Received),
            "opened" => Ok(Self::Opened),
            "clicked" => Ok(Self::Clicked),
            "converted" => Ok(Self::Converted),
            "control" => Ok(Self::Control),
            other => Err(format!(
                "unknown kind {other:?}; expected received, opened, clicked, converted or control"
            )),
        }
    }

    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(Self::Received),
            2 => Some(Self::Opened),
            3 => Some(Self::Clicked),
            4 => Some(Self::Converted),
            5 => Some(Self::Control),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Opened => "opened",
            Self::Clicked => "clicked",
            Self::Converted => "converted",
            Self::Control => "control",
        }
    }

    /// Opens and clicks count as engagement for the user's profile.
    pub fn is_engagement(self) -> bool {
        matches!(self, Self::Opened | Self::Clicked)
    }
}

/// An event that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEvent {
    pub id: String,
    pub message_id: i64,
    pub user_id: String,
    pub kind: EventKind,
    pub variant: Option<String>,
    pub step: Option<String>,
    pub at: DateTime<Utc>,
    pub machine: bool,
    pub link: Option<String>,
}

pub const MAX_ID_LEN: usize = 128;
pub const MAX_USER_ID_LEN: usize = 256;
pub const MAX_KEY_LEN: usize = 64;
pub const MAX_LINK_LEN: usize = 256;

/// How far ahead of the server clock an event may be stamped (clock skew).
const MAX_FUTURE: Duration = Duration::hours(24);

/// Validates one posted event against `now`; the error names the field.
pub fn parse_event(input: EventInput, now: DateTime<Utc>) -> Result<ParsedEvent, String> {
    let id = required_text("id", input.id, MAX_ID_LEN)?;
    let message_id = match input.message_id {
        Some(id) if id > 0 => id,
        Some(_) => return Err("message_id must be a positive integer".into()),
        None => return Err("message_id is required".into()),
    };
    let user_id = required_text("user_id", input.user_id, MAX_USER_ID_LEN)?;
    let kind = EventKind::parse(input.kind.as_deref().ok_or("kind is required")?)?;
    let at = parse_time(input.at.ok_or("at is required")?)?;
    if at > now + MAX_FUTURE {
        return Err(format!(
            "at {} is more than a day in the future",
            at.to_rfc3339()
        ));
    }
    let variant = optional_text("variant", input.variant, MAX_KEY_LEN)?;
    let step = optional_text("step", input.step, MAX_KEY_LEN)?;
    let link = optional_text("link", input.link, MAX_LINK_LEN)?;
    if link.is_some() && kind != EventKind::Clicked {
        return Err("link is only allowed on clicked events".into());
    }
    let machine = input.machine.unwrap_or(false);
    if machine && kind != EventKind::Opened {
        return Err("machine is only allowed on opened events".into());
    }
    Ok(ParsedEvent {
        id,
        message_id,
        user_id,
        kind,
        variant,
        step,
        at,
        machine,
        link,
    })
}

/// RFC 3339 text or integer milliseconds since the epoch, from 2000 on.
fn parse_time(value: serde_json::Value) -> Result<DateTime<Utc>, String> {
    let at = match &value {
        serde_json::Value::String(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                format!("at {text:?} is not an RFC 3339 time (e.g. 2026-11-29T12:00:00Z)")
            })?,
        serde_json::Value::Number(n) => n
            .as_i64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            .ok_or_else(|| format!("at {n} is not a time in milliseconds since the epoch"))?,
        _ => return Err("at must be an RFC 3339 string or epoch milliseconds".into()),
    };
    let earliest = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    if at < earliest {
        return Err(format!("at {} is before the year 2000", at.to_rfc3339()));
    }
    Ok(at)
}

fn required_text(field: &str, value: Option<String>, max: usize) -> Result<String, String> {
    match optional_text(field, value, max)? {
        Some(text) => Ok(text),
        None => Err(format!("{field} is required")),
    }
}

fn optional_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, String> {
    let Some(text) = value else { return Ok(None) };
    if text.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    if text.chars().count() > max {
        return Err(format!("{field} is longer than {max} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
            .single()
            .expect("valid")
    }

    fn input(value: serde_json::Value) -> EventInput {
        serde_json::from_value(value).expect("shape")
    }

    fn base() -> serde_json::Value {
        json!({"id": "e1", "message_id": 7, "user_id": "u1", "kind": "opened", "at": "2026-11-29T10:00:00Z"})
    }

    #[test]
    fn a_complete_event_parses_with_rfc3339_or_epoch_millis() {
        let e = parse_event(input(base()), now()).expect("valid");
        assert_eq!(
            (e.kind, e.message_id, e.machine),
            (EventKind::Opened, 7, false)
        );
        let mut v = base();
        v["at"] = json!(1_795_000_000_000_i64);
        assert!(parse_event(input(v), now()).is_ok());
    }

    #[test]
    fn each_missing_or_bad_field_is_named_in_the_error() {
        let cases = [
            ("id", json!(null), "id is required"),
            ("id", json!(""), "id must not be empty"),
            (
                "message_id",
                json!(0),
                "message_id must be a positive integer",
            ),
            ("user_id", json!(null), "user_id is required"),
            ("kind", json!("bounced"), "unknown kind \"bounced\""),
            ("at", json!("yesterday"), "is not an RFC 3339 time"),
            ("at", json!("2027-01-01T00:00:00Z"), "in the future"),
            ("at", json!("1999-12-31T00:00:00Z"), "before the year 2000"),
            ("at", json!(true), "at must be an RFC 3339 string"),
            (
                "variant",
                json!("x".repeat(65)),
                "variant is longer than 64",
            ),
            ("user_id", json!("a\nb"), "control characters"),
        ];
        for (field, value, expected) in cases {
            let mut v = base();
            v[field] = value;
            let err = parse_event(input(v), now()).expect_err(field);
            assert!(err.contains(expected), "{field}: {err}");
        }
    }

    #[test]
    fn machine_and_link_flags_only_fit_their_kinds() {
        let mut v = base();
        v["kind"] = json!("received");
        v["machine"] = json!(true);
        assert!(
            parse_event(input(v), now())
                .expect_err("machine")
                .contains("machine")
        );
        let mut v = base();
        v["link"] = json!("cta");
        assert!(
            parse_event(input(v), now())
                .expect_err("link")
                .contains("link")
        );
        let mut v = base();
        v["kind"] = json!("clicked");
        v["link"] = json!("cta");
        assert_eq!(
            parse_event(input(v), now()).expect("valid").link.as_deref(),
            Some("cta")
        );
    }
}
