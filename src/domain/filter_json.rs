//! The JSON form of filters: parsing with errors that name the place and
//! the problem, and the canonical form that is stored.

use serde_json::{Map, Value};

use super::filters::{MAX_FILTERS_PER_GROUP, MAX_GROUPS};
use super::{Audience, DaysAgo, Filter, Rule};
use crate::error::{Error, Result};

impl Audience {
    /// Parses and validates the wire form; errors name the place and the
    /// problem, e.g. `all[0].any[1]: unknown filter "opend"`.
    pub fn parse(value: &Value) -> Result<Self> {
        let root = value
            .as_object()
            .ok_or_else(|| invalid("filter", "must be an object with \"all\""))?;
        if let Some(key) = root.keys().find(|k| k.as_str() != "all") {
            return Err(invalid("filter", &format!("unknown field {key:?}")));
        }
        let groups = match root.get("all") {
            None | Some(Value::Null) => return Ok(Audience { all: Vec::new() }),
            Some(Value::Array(groups)) => groups,
            Some(_) => return Err(invalid("all", "must be a list of groups")),
        };
        if groups.len() > MAX_GROUPS {
            return Err(invalid("all", &format!("at most {MAX_GROUPS} groups")));
        }
        let mut all = Vec::with_capacity(groups.len());
        for (g, group) in groups.iter().enumerate() {
            let at = format!("all[{g}]");
            let filters = group
                .as_object()
                .and_then(|o| o.get("any"))
                .and_then(Value::as_array)
                .ok_or_else(|| invalid(&at, "must be {\"any\": [filters]}"))?;
            if filters.is_empty() || filters.len() > MAX_FILTERS_PER_GROUP {
                return Err(invalid(
                    &at,
                    &format!("a group needs 1 to {MAX_FILTERS_PER_GROUP} filters"),
                ));
            }
            let parsed = filters
                .iter()
                .enumerate()
                .map(|(i, f)| parse_filter(f, &format!("{at}.any[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            all.push(parsed);
        }
        Ok(Audience { all })
    }

    /// The canonical wire form (what is stored).
    pub fn to_json(&self) -> Value {
        let groups: Vec<Value> = self
            .all
            .iter()
            .map(|g| serde_json::json!({ "any": g.iter().map(filter_json).collect::<Vec<_>>() }))
            .collect();
        serde_json::json!({ "all": groups })
    }
}

fn invalid(at: &str, what: &str) -> Error {
    Error::invalid(format!("{at}: {what}"))
}

fn parse_filter(value: &Value, at: &str) -> Result<Filter> {
    let obj = value
        .as_object()
        .ok_or_else(|| invalid(at, "a filter must be an object"))?;
    let name = match obj.get("filter") {
        None | Some(Value::Null) => return Err(invalid(at, "missing \"filter\" (its name)")),
        Some(Value::String(name)) => name.as_str(),
        Some(_) => {
            return Err(invalid(
                at,
                "\"filter\" must be a filter name such as \"opened\"",
            ));
        }
    };
    let p = Params { obj, at };
    let negate = p.flag("negate")?;
    let (rule, allowed): (Rule, &[&str]) = match name {
        "received" => (
            Rule::Received {
                message_id: p.message()?,
                step: p.text("step")?,
            },
            &["message_id", "step"],
        ),
        "opened" => (
            Rule::Opened {
                message_id: p.message()?,
                step: p.text("step")?,
                exclude_machine_opens: p.flag("exclude_machine_opens")?,
            },
            &["message_id", "step", "exclude_machine_opens"],
        ),
        "clicked" => (
            Rule::Clicked {
                message_id: p.message()?,
                step: p.text("step")?,
                link: p.text("link")?,
            },
            &["message_id", "step", "link"],
        ),
        "engaged" => (
            Rule::Engaged {
                message_id: p.message()?,
                step: p.text("step")?,
                exclude_machine_opens: p.flag("exclude_machine_opens")?,
            },
            &["message_id", "step", "exclude_machine_opens"],
        ),
        "converted" => (
            Rule::Converted {
                message_id: p.message()?,
                step: p.text("step")?,
            },
            &["message_id", "step"],
        ),
        "received_variant" => (
            Rule::ReceivedVariant {
                message_id: p.message()?,
                variant: p.required_text("variant")?,
            },
            &["message_id", "variant"],
        ),
        "in_control_group" => (
            Rule::InControlGroup {
                message_id: p.message()?,
            },
            &["message_id"],
        ),
        "last_received_from" => (
            Rule::LastReceivedFrom {
                message_id: p.message()?,
                days: p.days()?,
            },
            &["message_id", "within_days", "more_than_days"],
        ),
        "received_with_tag" => (
            Rule::ReceivedWithTag {
                tag: p.required_text("tag")?,
            },
            &["tag"],
        ),
        "engaged_with_tag" => (
            Rule::EngagedWithTag {
                tag: p.required_text("tag")?,
                exclude_machine_opens: p.flag("exclude_machine_opens")?,
            },
            &["tag", "exclude_machine_opens"],
        ),
        "last_received_with_tag" => (
            Rule::LastReceivedWithTag {
                tag: p.required_text("tag")?,
                days: p.days()?,
            },
            &["tag", "within_days", "more_than_days"],
        ),
        "last_received_any" => (
            Rule::LastReceivedAny { days: p.days()? },
            &["within_days", "more_than_days"],
        ),
        "last_engaged_any" => (
            Rule::LastEngagedAny { days: p.days()? },
            &["within_days", "more_than_days"],
        ),
        other => return Err(invalid(at, &format!("unknown filter {other:?}"))),
    };
    if let Some(key) = obj
        .keys()
        .find(|k| !["filter", "negate"].contains(&k.as_str()) && !allowed.contains(&k.as_str()))
    {
        return Err(invalid(at, &format!("{name} takes no parameter {key:?}")));
    }
    Ok(Filter { negate, rule })
}

struct Params<'a> {
    obj: &'a Map<String, Value>,
    at: &'a str,
}

impl Params<'_> {
    fn message(&self) -> Result<i64> {
        match self.obj.get("message_id") {
            None | Some(Value::Null) => Err(invalid(self.at, "missing message_id")),
            Some(value) => value
                .as_i64()
                .filter(|id| *id > 0)
                .ok_or_else(|| invalid(self.at, "message_id must be a positive integer")),
        }
    }

    fn text(&self, key: &str) -> Result<Option<String>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 200 => {
                Ok(Some(s.trim().to_string()))
            }
            Some(_) => Err(invalid(
                self.at,
                &format!("{key} must be a non-empty string"),
            )),
        }
    }

    fn required_text(&self, key: &str) -> Result<String> {
        self.text(key)?
            .ok_or_else(|| invalid(self.at, &format!("missing {key}")))
    }

    fn flag(&self, key: &str) -> Result<bool> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(self.at, &format!("{key} must be true or false"))),
        }
    }

    fn days(&self) -> Result<DaysAgo> {
        let get = |key: &str| -> Result<Option<u32>> {
            match self.obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .filter(|d| (1..=3650).contains(d))
                    .map(|d| Some(d as u32))
                    .ok_or_else(|| invalid(self.at, &format!("{key} must be 1 to 3650"))),
            }
        };
        match (get("within_days")?, get("more_than_days")?) {
            (Some(d), None) => Ok(DaysAgo::Within(d)),
            (None, Some(d)) => Ok(DaysAgo::MoreThan(d)),
            _ => Err(invalid(
                self.at,
                "give exactly one of within_days or more_than_days",
            )),
        }
    }
}

fn filter_json(f: &Filter) -> Value {
    let mut v = match &f.rule {
        Rule::Received { message_id, step } => {
            serde_json::json!({"filter": "received", "message_id": message_id, "step": step})
        }
        Rule::Opened {
            message_id,
            step,
            exclude_machine_opens,
        } => {
            serde_json::json!({"filter": "opened", "message_id": message_id, "step": step, "exclude_machine_opens": exclude_machine_opens})
        }
        Rule::Clicked {
            message_id,
            step,
            link,
        } => {
            serde_json::json!({"filter": "clicked", "message_id": message_id, "step": step, "link": link})
        }
        Rule::Engaged {
            message_id,
            step,
            exclude_machine_opens,
        } => {
            serde_json::json!({"filter": "engaged", "message_id": message_id, "step": step, "exclude_machine_opens": exclude_machine_opens})
        }
        Rule::Converted { message_id, step } => {
            serde_json::json!({"filter": "converted", "message_id": message_id, "step": step})
        }
        Rule::ReceivedVariant {
            message_id,
            variant,
        } => {
            serde_json::json!({"filter": "received_variant", "message_id": message_id, "variant": variant})
        }
        Rule::InControlGroup { message_id } => {
            serde_json::json!({"filter": "in_control_group", "message_id": message_id})
        }
        Rule::LastReceivedFrom { message_id, days } => with_days(
            serde_json::json!({"filter": "last_received_from", "message_id": message_id}),
            *days,
        ),
        Rule::ReceivedWithTag { tag } => {
            serde_json::json!({"filter": "received_with_tag", "tag": tag})
        }
        Rule::EngagedWithTag {
            tag,
            exclude_machine_opens,
        } => {
            serde_json::json!({"filter": "engaged_with_tag", "tag": tag, "exclude_machine_opens": exclude_machine_opens})
        }
        Rule::LastReceivedWithTag { tag, days } => with_days(
            serde_json::json!({"filter": "last_received_with_tag", "tag": tag}),
            *days,
        ),
        Rule::LastReceivedAny { days } => {
            with_days(serde_json::json!({"filter": "last_received_any"}), *days)
        }
        Rule::LastEngagedAny { days } => {
            with_days(serde_json::json!({"filter": "last_engaged_any"}), *days)
        }
    };
    if let Some(obj) = v.as_object_mut() {
        obj.retain(|_, value| !value.is_null());
        obj.insert("negate".into(), Value::Bool(f.negate));
    }
    v
}

fn with_days(mut v: Value, days: DaysAgo) -> Value {
    if let Some(obj) = v.as_object_mut() {
        let (key, n) = match days {
            DaysAgo::Within(n) => ("within_days", n),
            DaysAgo::MoreThan(n) => ("more_than_days", n),
        };
        obj.insert(key.into(), Value::from(n));
    }
    v
}
