//! The JSON form of filters: parsing with errors that name the place and
//! the problem, and the canonical form that is stored.

use serde_json::{Map, Value};

use super::{
    Audience, DaysAgo, Filter, FilterError, FilterKind, FilterPlace, MAX_FILTERS_PER_GROUP,
    MAX_GROUPS, Param, Rule,
};

/// The key of the list of groups.
pub const ALL: &str = "all";
/// The key of a group's list of filters.
pub const ANY: &str = "any";
/// The key of a filter's name.
pub const NAME: &str = "filter";
/// The key of a filter's "has not".
pub const NEGATE: &str = "negate";

/// `{"all":[{"any":[...]}, ...]}` around filters already in wire form.
pub fn audience_json(groups: impl IntoIterator<Item = Vec<Value>>) -> Value {
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|g| serde_json::json!({ ANY: g }))
        .collect();
    serde_json::json!({ ALL: groups })
}

/// The filters of each group, read leniently: what is not shaped like a
/// group is skipped. For readers that want to keep what they know of a
/// tree the parser would refuse as a whole.
pub fn groups_of(value: &Value) -> Vec<&[Value]> {
    value
        .get(ALL)
        .and_then(Value::as_array)
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| g.get(ANY).and_then(Value::as_array))
                .map(Vec::as_slice)
                .collect()
        })
        .unwrap_or_default()
}

impl Audience {
    /// Parses and validates the wire form; errors name the place and the
    /// problem, e.g. `all[0].any[1]: unknown filter "opend"`.
    pub fn parse(value: &Value) -> Result<Self, FilterError> {
        let whole = |reason: String| FilterError::new(FilterPlace::Whole, reason);
        let root = value
            .as_object()
            .ok_or_else(|| whole("must be an object with \"all\"".into()))?;
        if let Some(key) = root.keys().find(|k| k.as_str() != ALL) {
            return Err(whole(format!("unknown field {key:?}")));
        }
        let groups = match root.get(ALL) {
            None | Some(Value::Null) => return Ok(Audience { all: Vec::new() }),
            Some(Value::Array(groups)) => groups,
            Some(_) => {
                return Err(FilterError::new(
                    FilterPlace::Groups,
                    "must be a list of groups",
                ));
            }
        };
        if groups.len() > MAX_GROUPS {
            return Err(FilterError::new(
                FilterPlace::Groups,
                format!("at most {MAX_GROUPS} groups"),
            ));
        }
        let mut all = Vec::with_capacity(groups.len());
        for (g, group) in groups.iter().enumerate() {
            let at = FilterPlace::Group(g);
            let filters = group
                .as_object()
                .and_then(|o| o.get(ANY))
                .and_then(Value::as_array)
                .ok_or_else(|| FilterError::new(at, "must be {\"any\": [filters]}"))?;
            if filters.is_empty() || filters.len() > MAX_FILTERS_PER_GROUP {
                return Err(FilterError::new(
                    at,
                    format!("a group needs 1 to {MAX_FILTERS_PER_GROUP} filters"),
                ));
            }
            let parsed = filters
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    Filter::parse(f).map_err(|reason| {
                        FilterError::new(
                            FilterPlace::Filter {
                                group: g,
                                filter: i,
                            },
                            reason,
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            all.push(parsed);
        }
        Ok(Audience { all })
    }

    /// The canonical wire form (what is stored).
    pub fn to_json(&self) -> Value {
        audience_json(
            self.all
                .iter()
                .map(|g| g.iter().map(Filter::to_json).collect()),
        )
    }
}

impl Filter {
    /// Parses one filter of the wire form; the error is the problem, for
    /// the caller to put at the filter's place.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let obj = value.as_object().ok_or("a filter must be an object")?;
        let name = match obj.get(NAME) {
            None | Some(Value::Null) => return Err("missing \"filter\" (its name)".into()),
            Some(Value::String(name)) => name.as_str(),
            Some(_) => return Err("\"filter\" must be a filter name such as \"opened\"".into()),
        };
        let p = Params { obj };
        let negate = p.flag(NEGATE)?;
        let kind = FilterKind::from_name(name).ok_or_else(|| format!("unknown filter {name:?}"))?;
        let rule = match kind {
            FilterKind::Received => Rule::Received {
                message_id: p.message()?,
                step: p.text(Param::Step)?,
            },
            FilterKind::Opened => Rule::Opened {
                message_id: p.message()?,
                step: p.text(Param::Step)?,
                exclude_machine_opens: p.param_flag(Param::ExcludeMachineOpens)?,
            },
            FilterKind::Clicked => Rule::Clicked {
                message_id: p.message()?,
                step: p.text(Param::Step)?,
                link: p.text(Param::Link)?,
            },
            FilterKind::Engaged => Rule::Engaged {
                message_id: p.message()?,
                step: p.text(Param::Step)?,
                exclude_machine_opens: p.param_flag(Param::ExcludeMachineOpens)?,
            },
            FilterKind::Converted => Rule::Converted {
                message_id: p.message()?,
                step: p.text(Param::Step)?,
            },
            FilterKind::ReceivedVariant => Rule::ReceivedVariant {
                message_id: p.message()?,
                variant: p.required_text(Param::Variant)?,
            },
            FilterKind::InControlGroup => Rule::InControlGroup {
                message_id: p.message()?,
            },
            FilterKind::LastReceivedFrom => Rule::LastReceivedFrom {
                message_id: p.message()?,
                days: p.days()?,
            },
            FilterKind::ReceivedWithTag => Rule::ReceivedWithTag {
                tag: p.required_text(Param::Tag)?,
            },
            FilterKind::EngagedWithTag => Rule::EngagedWithTag {
                tag: p.required_text(Param::Tag)?,
                exclude_machine_opens: p.param_flag(Param::ExcludeMachineOpens)?,
            },
            FilterKind::LastReceivedWithTag => Rule::LastReceivedWithTag {
                tag: p.required_text(Param::Tag)?,
                days: p.days()?,
            },
            FilterKind::LastReceivedAny => Rule::LastReceivedAny { days: p.days()? },
            FilterKind::LastEngagedAny => Rule::LastEngagedAny { days: p.days()? },
        };
        let takes = |key: &str| kind.params().iter().any(|p| p.key() == key);
        if let Some(key) = obj
            .keys()
            .find(|k| ![NAME, NEGATE].contains(&k.as_str()) && !takes(k))
        {
            return Err(format!("{name} takes no parameter {key:?}"));
        }
        Ok(Filter { negate, rule })
    }

    /// The canonical wire form: every parameter the filter has, flags
    /// included, and `negate`.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert(NAME.into(), Value::from(self.rule.kind().name()));
        let mut put = |param: Param, value: Value| {
            if !value.is_null() {
                obj.insert(param.key().into(), value);
            }
        };
        match &self.rule {
            Rule::Received { message_id, step } | Rule::Converted { message_id, step } => {
                put(Param::MessageId, Value::from(*message_id));
                put(Param::Step, Value::from(step.clone()));
            }
            Rule::Opened {
                message_id,
                step,
                exclude_machine_opens,
            }
            | Rule::Engaged {
                message_id,
                step,
                exclude_machine_opens,
            } => {
                put(Param::MessageId, Value::from(*message_id));
                put(Param::Step, Value::from(step.clone()));
                put(
                    Param::ExcludeMachineOpens,
                    Value::from(*exclude_machine_opens),
                );
            }
            Rule::Clicked {
                message_id,
                step,
                link,
            } => {
                put(Param::MessageId, Value::from(*message_id));
                put(Param::Step, Value::from(step.clone()));
                put(Param::Link, Value::from(link.clone()));
            }
            Rule::ReceivedVariant {
                message_id,
                variant,
            } => {
                put(Param::MessageId, Value::from(*message_id));
                put(Param::Variant, Value::from(variant.clone()));
            }
            Rule::InControlGroup { message_id } => {
                put(Param::MessageId, Value::from(*message_id));
            }
            Rule::LastReceivedFrom { message_id, days } => {
                put(Param::MessageId, Value::from(*message_id));
                put(days.param(), Value::from(days.days()));
            }
            Rule::ReceivedWithTag { tag } => put(Param::Tag, Value::from(tag.clone())),
            Rule::EngagedWithTag {
                tag,
                exclude_machine_opens,
            } => {
                put(Param::Tag, Value::from(tag.clone()));
                put(
                    Param::ExcludeMachineOpens,
                    Value::from(*exclude_machine_opens),
                );
            }
            Rule::LastReceivedWithTag { tag, days } => {
                put(Param::Tag, Value::from(tag.clone()));
                put(days.param(), Value::from(days.days()));
            }
            Rule::LastReceivedAny { days } | Rule::LastEngagedAny { days } => {
                put(days.param(), Value::from(days.days()));
            }
        }
        obj.insert(NEGATE.into(), Value::Bool(self.negate));
        Value::Object(obj)
    }
}

impl DaysAgo {
    /// The key it goes under: `within_days` or `more_than_days`.
    pub fn param(self) -> Param {
        match self {
            DaysAgo::Within(_) => Param::WithinDays,
            DaysAgo::MoreThan(_) => Param::MoreThanDays,
        }
    }

    pub fn days(self) -> u32 {
        match self {
            DaysAgo::Within(n) | DaysAgo::MoreThan(n) => n,
        }
    }
}

/// One filter's fields, read with the reasons the builder shows.
struct Params<'a> {
    obj: &'a Map<String, Value>,
}

impl Params<'_> {
    fn message(&self) -> Result<i64, String> {
        match self.obj.get(Param::MessageId.key()) {
            None | Some(Value::Null) => Err("missing message_id".into()),
            Some(value) => value
                .as_i64()
                .filter(|id| *id > 0)
                .ok_or_else(|| "message_id must be a positive integer".into()),
        }
    }

    fn text(&self, param: Param) -> Result<Option<String>, String> {
        let key = param.key();
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 200 => {
                Ok(Some(s.trim().to_string()))
            }
            Some(_) => Err(format!("{key} must be a non-empty string")),
        }
    }

    fn required_text(&self, param: Param) -> Result<String, String> {
        self.text(param)?
            .ok_or_else(|| format!("missing {}", param.key()))
    }

    fn param_flag(&self, param: Param) -> Result<bool, String> {
        self.flag(param.key())
    }

    fn flag(&self, key: &str) -> Result<bool, String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("{key} must be true or false")),
        }
    }

    fn days(&self) -> Result<DaysAgo, String> {
        let get = |param: Param| -> Result<Option<u32>, String> {
            let key = param.key();
            match self.obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .filter(|d| (1..=3650).contains(d))
                    .map(|d| Some(d as u32))
                    .ok_or_else(|| format!("{key} must be 1 to 3650")),
            }
        };
        match (get(Param::WithinDays)?, get(Param::MoreThanDays)?) {
            (Some(d), None) => Ok(DaysAgo::Within(d)),
            (None, Some(d)) => Ok(DaysAgo::MoreThan(d)),
            _ => Err("give exactly one of within_days or more_than_days".into()),
        }
    }
}
