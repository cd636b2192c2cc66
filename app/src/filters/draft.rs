//! One filter as typed so far, and its wire form.

use recall::types::filter::{DaysAgo, Filter, FilterKind, Param, Rule, wire};
use serde_json::{Map, Value, json};

/// "Less than N days ago" or "more than N days ago".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DaysMode {
    #[default]
    Within,
    MoreThan,
}

impl DaysMode {
    /// The parameter the days go under.
    pub fn param(self) -> Param {
        match self {
            DaysMode::Within => Param::WithinDays,
            DaysMode::MoreThan => Param::MoreThanDays,
        }
    }

    pub fn key(self) -> &'static str {
        self.param().key()
    }

    pub fn parse(key: &str) -> Self {
        if key == DaysMode::MoreThan.key() {
            DaysMode::MoreThan
        } else {
            DaysMode::Within
        }
    }

    fn of(days: DaysAgo) -> Self {
        match days {
            DaysAgo::Within(_) => DaysMode::Within,
            DaysAgo::MoreThan(_) => DaysMode::MoreThan,
        }
    }
}

/// One filter as typed so far. Text fields hold what the person typed;
/// turning them into the wire form is `to_json`'s job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterDraft {
    pub kind: FilterKind,
    pub negate: bool,
    pub message_id: Option<i64>,
    /// Step key; empty means any step.
    pub step: String,
    pub variant: String,
    pub link: String,
    pub exclude_machine_opens: bool,
    pub days_mode: DaysMode,
    pub days: String,
    pub tag: String,
}

impl Default for FilterDraft {
    fn default() -> Self {
        Self {
            kind: FilterKind::Received,
            negate: false,
            message_id: None,
            step: String::new(),
            variant: String::new(),
            link: String::new(),
            exclude_machine_opens: false,
            days_mode: DaysMode::Within,
            days: "30".to_string(),
            tag: String::new(),
        }
    }
}

/// Something the person still has to fill in before the engine is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub group: usize,
    pub filter: usize,
    pub what: &'static str,
}

impl FilterDraft {
    /// Only the parameters this kind takes, so switching the type picker
    /// back and forth never sends leftovers the engine would refuse.
    pub fn to_json(&self) -> Value {
        let k = self.kind;
        let mut obj = Map::new();
        obj.insert(wire::NAME.into(), json!(k.name()));
        if k.takes_message()
            && let Some(id) = self.message_id
        {
            obj.insert(Param::MessageId.key().into(), json!(id));
        }
        for (param, value) in [
            (Param::Step, &self.step),
            (Param::Link, &self.link),
            (Param::Variant, &self.variant),
            (Param::Tag, &self.tag),
        ] {
            if k.takes(param) && !value.trim().is_empty() {
                obj.insert(param.key().into(), json!(value.trim()));
            }
        }
        if k.takes_machine_opens() && self.exclude_machine_opens {
            obj.insert(Param::ExcludeMachineOpens.key().into(), json!(true));
        }
        if k.takes_days() {
            let days = self.days.trim();
            // A number goes as a number; anything else goes as typed, so
            // the parser's own message says what is wrong with it.
            let value = days
                .parse::<u64>()
                .map_or_else(|_| json!(days), |d| json!(d));
            obj.insert(self.days_mode.key().into(), value);
        }
        if self.negate {
            obj.insert(wire::NEGATE.into(), json!(true));
        }
        Value::Object(obj)
    }

    /// Reads one filter of the wire form with the shared parser; `None`
    /// for one it refuses (a kind this dashboard does not know), which the
    /// caller reports.
    pub fn from_json(value: &Value) -> Option<Self> {
        Filter::parse(value).ok().map(|f| Self::from_filter(&f))
    }

    /// A parsed filter, to edit.
    pub fn from_filter(filter: &Filter) -> Self {
        let rule = &filter.rule;
        let mut draft = Self {
            kind: rule.kind(),
            negate: filter.negate,
            message_id: rule.message_id(),
            step: rule.step().unwrap_or_default().to_string(),
            tag: rule.tag().unwrap_or_default().to_string(),
            ..Self::default()
        };
        match rule {
            Rule::Clicked { link, .. } => draft.link = link.clone().unwrap_or_default(),
            Rule::ReceivedVariant { variant, .. } => draft.variant = variant.clone(),
            Rule::Opened {
                exclude_machine_opens,
                ..
            }
            | Rule::Engaged {
                exclude_machine_opens,
                ..
            }
            | Rule::EngagedWithTag {
                exclude_machine_opens,
                ..
            } => draft.exclude_machine_opens = *exclude_machine_opens,
            Rule::LastReceivedFrom { days, .. }
            | Rule::LastReceivedWithTag { days, .. }
            | Rule::LastReceivedAny { days }
            | Rule::LastEngagedAny { days } => {
                draft.days_mode = DaysMode::of(*days);
                draft.days = days.days().to_string();
            }
            _ => {}
        }
        draft
    }

    /// What still has to be chosen, in the words the row shows.
    pub fn missing(&self) -> Option<&'static str> {
        let k = self.kind;
        if k.takes_message() && self.message_id.is_none() {
            Some("Choose a message")
        } else if k.takes_variant() && self.variant.trim().is_empty() {
            Some("Choose a variant")
        } else if k.takes_tag() && self.tag.trim().is_empty() {
            Some("Choose a tag")
        } else if k.takes_days() && self.days.trim().is_empty() {
            Some("Enter a number of days")
        } else {
            None
        }
    }
}
