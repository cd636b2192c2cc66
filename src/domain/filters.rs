//! Retargeting filters (DESIGN.md §1 "Retargeting filters"): an audience is
//! an AND of OR-groups of filters, each negatable. The stored and wire form
//! is `{"all":[{"any":[FILTER, ...]}, ...]}` with
//! `FILTER = {"filter": NAME, ...params, "negate": bool}`.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Most groups, and filters per group, an audience may have.
pub const MAX_GROUPS: usize = 20;
pub const MAX_FILTERS_PER_GROUP: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// Every group must match (AND).
    pub all: Vec<Vec<Filter>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub negate: bool,
    pub rule: Rule,
}

/// How long ago, in whole days of the workspace's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaysAgo {
    /// Less than N days ago ("within the last N days").
    Within(u32),
    /// More than N days ago.
    MoreThan(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    // Specific: name one message; they retain it while an active message uses them.
    Received {
        message_id: i64,
        step: Option<String>,
    },
    Opened {
        message_id: i64,
        step: Option<String>,
        exclude_machine_opens: bool,
    },
    Clicked {
        message_id: i64,
        step: Option<String>,
        link: Option<String>,
    },
    Engaged {
        message_id: i64,
        step: Option<String>,
        exclude_machine_opens: bool,
    },
    Converted {
        message_id: i64,
        step: Option<String>,
    },
    ReceivedVariant {
        message_id: i64,
        variant: String,
    },
    InControlGroup {
        message_id: i64,
    },
    LastReceivedFrom {
        message_id: i64,
        days: DaysAgo,
    },
    // By tag: never retain anything.
    ReceivedWithTag {
        tag: String,
    },
    EngagedWithTag {
        tag: String,
        exclude_machine_opens: bool,
    },
    LastReceivedWithTag {
        tag: String,
        days: DaysAgo,
    },
    // Profile: only the never-expiring user profiles.
    LastReceivedAny {
        days: DaysAgo,
    },
    LastEngagedAny {
        days: DaysAgo,
    },
}

impl Rule {
    /// The message a specific filter names.
    pub fn message_id(&self) -> Option<i64> {
        match self {
            Rule::Received { message_id, .. }
            | Rule::Opened { message_id, .. }
            | Rule::Clicked { message_id, .. }
            | Rule::Engaged { message_id, .. }
            | Rule::Converted { message_id, .. }
            | Rule::ReceivedVariant { message_id, .. }
            | Rule::InControlGroup { message_id }
            | Rule::LastReceivedFrom { message_id, .. } => Some(*message_id),
            _ => None,
        }
    }

    /// The tag a by-tag filter covers.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Rule::ReceivedWithTag { tag }
            | Rule::EngagedWithTag { tag, .. }
            | Rule::LastReceivedWithTag { tag, .. } => Some(tag),
            _ => None,
        }
    }
}

impl Audience {
    /// Messages named by specific filters (what the audience retains).
    pub fn named_messages(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.filters().filter_map(|f| f.rule.message_id()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = self
            .filters()
            .filter_map(|f| f.rule.tag().map(str::to_string))
            .collect();
        tags.sort();
        tags.dedup();
        tags
    }

    pub fn filters(&self) -> impl Iterator<Item = &Filter> {
        self.all.iter().flatten()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

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
    let name = obj
        .get("filter")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(at, "missing \"filter\" (its name)"))?;
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
        match self.obj.get("message_id").and_then(Value::as_i64) {
            Some(id) if id > 0 => Ok(id),
            Some(_) => Err(invalid(self.at, "message_id must be a positive integer")),
            None => Err(invalid(self.at, "missing message_id")),
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

/// The time range a day condition covers, as `(from, until)` bounds on
/// the event time: whole days in `tz`, counted back from `now`'s date.
/// "Less than N days ago": on one of the last N dates, today included.
/// "More than N days ago": before the date N days back.
pub fn day_bounds<Tz: TimeZone>(
    days: DaysAgo,
    now: DateTime<Utc>,
    tz: &Tz,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let today = now.with_timezone(tz).date_naive();
    let midnight = |date: NaiveDate| -> Option<DateTime<Utc>> {
        tz.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    match days {
        DaysAgo::Within(n) => (
            today
                .checked_sub_days(Days::new(u64::from(n.saturating_sub(1))))
                .and_then(midnight),
            None,
        ),
        DaysAgo::MoreThan(n) => (
            None,
            today
                .checked_sub_days(Days::new(u64::from(n)))
                .and_then(midnight),
        ),
    }
}

#[cfg(test)]
#[path = "filters_tests.rs"]
mod tests;
