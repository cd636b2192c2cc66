//! Validating message input from the API or the dashboard; the use cases
//! that store it are `Engine::create_message` and `Engine::edit_message`.

use chrono::{DateTime, Utc};

use crate::domain::{MessageName, TagName};
use crate::error::{Error, Result};
use crate::store::{MessageEdit, NewMessage, NewStep, NewVariant};
use crate::types::{KeyedInput, MessageInput, MessageKind, MessagePatch, MessageStatus};

const MAX_DESCRIPTION: usize = 2_000;
const MAX_VARIANTS: usize = 26;
const MAX_STEPS: usize = 100;

/// A validated edit from API or dashboard input.
pub fn edit_from_patch(patch: MessagePatch) -> Result<MessageEdit> {
    Ok(MessageEdit {
        name: patch.name.as_deref().map(MessageName::parse).transpose()?,
        description: patch.description.map(validate_description).transpose()?,
        tags: patch.tags.as_deref().map(TagName::parse_all).transpose()?,
        channel: patch.channel,
    })
}

pub fn validate_input(input: MessageInput, now: DateTime<Utc>) -> Result<NewMessage> {
    let name = MessageName::parse(&input.name)?;
    let description = validate_description(input.description)?;
    let tags = TagName::parse_all(&input.tags)?;
    if input.kind == MessageKind::Campaign && !input.steps.is_empty() {
        return Err(Error::invalid(
            "campaigns have no steps; steps belong to Canvases",
        ));
    }
    let mut variants = keyed("variant", &input.variants, MAX_VARIANTS)?
        .into_iter()
        .map(|(key, name)| NewVariant {
            key,
            name,
            is_control: false,
        })
        .collect::<Vec<_>>();
    if variants.is_empty() {
        variants.push(NewVariant {
            key: "default".into(),
            name: "Default".into(),
            is_control: false,
        });
    }
    if input.control_group {
        if variants.iter().any(|v| v.key == "control") {
            return Err(Error::invalid(
                "variant key \"control\" is reserved for the control group",
            ));
        }
        variants.push(NewVariant {
            key: "control".into(),
            name: "Control group".into(),
            is_control: true,
        });
    }
    let steps = keyed("step", &input.steps, MAX_STEPS)?
        .into_iter()
        .map(|(key, name)| NewStep { key, name })
        .collect();
    Ok(NewMessage {
        kind: input.kind,
        name,
        description,
        channel: input.channel,
        status: MessageStatus::Draft,
        tags,
        variants,
        steps,
        created_at: now,
        started_at: None,
        stopped_at: None,
    })
}

fn validate_description(text: String) -> Result<String> {
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(Error::invalid(format!(
            "description is longer than {MAX_DESCRIPTION} characters"
        )));
    }
    Ok(text.trim().to_string())
}

/// Keys are what senders put in events, so they are short and plain.
fn keyed(what: &str, items: &[KeyedInput], max: usize) -> Result<Vec<(String, String)>> {
    if items.len() > max {
        return Err(Error::invalid(format!("at most {max} {what}s")));
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(items.len());
    for item in items {
        let key = item.key.trim();
        let valid = !key.is_empty()
            && key.len() <= 64
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(Error::invalid(format!(
                "{what} key {key:?} must be 1-64 letters, digits, '-', '_' or '.'"
            )));
        }
        if out.iter().any(|(k, _)| k == key) {
            return Err(Error::invalid(format!("{what} key {key:?} is used twice")));
        }
        let name = item
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(key);
        if name.chars().count() > 100 {
            return Err(Error::invalid(format!(
                "{what} name is longer than 100 characters"
            )));
        }
        out.push((key.to_string(), name.to_string()));
    }
    Ok(out)
}
