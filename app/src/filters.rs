//! Retargeting filters as the builder edits them: drafts that may still be
//! half filled in, their wire form (`{"all":[{"any":[FILTER, ...]}, ...]}`,
//! see DESIGN.md §1), and the same filters in words. Pure, so it is tested
//! without a browser; the engine stays the judge of what is valid.

use recall::types::{DataState, MessageKind, MessageStatus, StepInfo, VariantInfo};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A message as the pickers show it: enough to choose it and its steps or
/// variants, and to see whether its data is still hot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageChoice {
    pub id: i64,
    pub name: String,
    pub kind: MessageKind,
    pub status: MessageStatus,
    pub data_state: DataState,
    pub variants: Vec<VariantInfo>,
    pub steps: Vec<StepInfo>,
}

/// "Campaign" or "Canvas", capitalised for labels.
pub fn kind_label(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Campaign => "Campaign",
        MessageKind::Canvas => "Canvas",
    }
}

/// The three families of DESIGN.md: they differ in what they retain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Specific,
    ByTag,
    Profile,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Specific, Family::ByTag, Family::Profile];

    pub fn label(self) -> &'static str {
        match self {
            Family::Specific => "Specific message",
            Family::ByTag => "By tag",
            Family::Profile => "Profile",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    Received,
    Opened,
    Clicked,
    Engaged,
    Converted,
    ReceivedVariant,
    InControlGroup,
    LastReceivedFrom,
    ReceivedWithTag,
    EngagedWithTag,
    LastReceivedWithTag,
    LastReceivedAny,
    LastEngagedAny,
}

impl FilterKind {
    pub const ALL: [FilterKind; 13] = [
        FilterKind::Received,
        FilterKind::Opened,
        FilterKind::Clicked,
        FilterKind::Engaged,
        FilterKind::Converted,
        FilterKind::ReceivedVariant,
        FilterKind::InControlGroup,
        FilterKind::LastReceivedFrom,
        FilterKind::ReceivedWithTag,
        FilterKind::EngagedWithTag,
        FilterKind::LastReceivedWithTag,
        FilterKind::LastReceivedAny,
        FilterKind::LastEngagedAny,
    ];

    /// The engine's name for it.
    pub fn name(self) -> &'static str {
        match self {
            FilterKind::Received => "received",
            FilterKind::Opened => "opened",
            FilterKind::Clicked => "clicked",
            FilterKind::Engaged => "engaged",
            FilterKind::Converted => "converted",
            FilterKind::ReceivedVariant => "received_variant",
            FilterKind::InControlGroup => "in_control_group",
            FilterKind::LastReceivedFrom => "last_received_from",
            FilterKind::ReceivedWithTag => "received_with_tag",
            FilterKind::EngagedWithTag => "engaged_with_tag",
            FilterKind::LastReceivedWithTag => "last_received_with_tag",
            FilterKind::LastReceivedAny => "last_received_any",
            FilterKind::LastEngagedAny => "last_engaged_any",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What the type picker says.
    pub fn label(self) -> &'static str {
        match self {
            FilterKind::Received => "Received message",
            FilterKind::Opened => "Opened message",
            FilterKind::Clicked => "Clicked message",
            FilterKind::Engaged => "Opened or clicked message",
            FilterKind::Converted => "Converted from message",
            FilterKind::ReceivedVariant => "Received variant",
            FilterKind::InControlGroup => "In control group",
            FilterKind::LastReceivedFrom => "Last received message",
            FilterKind::ReceivedWithTag => "Received message with tag",
            FilterKind::EngagedWithTag => "Opened or clicked message with tag",
            FilterKind::LastReceivedWithTag => "Last received message with tag",
            FilterKind::LastReceivedAny => "Last received any message",
            FilterKind::LastEngagedAny => "Last engaged with any message",
        }
    }

    pub fn family(self) -> Family {
        match self {
            FilterKind::ReceivedWithTag
            | FilterKind::EngagedWithTag
            | FilterKind::LastReceivedWithTag => Family::ByTag,
            FilterKind::LastReceivedAny | FilterKind::LastEngagedAny => Family::Profile,
            _ => Family::Specific,
        }
    }

    pub fn takes_message(self) -> bool {
        self.family() == Family::Specific
    }

    pub fn takes_tag(self) -> bool {
        self.family() == Family::ByTag
    }

    pub fn takes_step(self) -> bool {
        matches!(
            self,
            FilterKind::Received
                | FilterKind::Opened
                | FilterKind::Clicked
                | FilterKind::Engaged
                | FilterKind::Converted
        )
    }

    pub fn takes_machine_opens(self) -> bool {
        matches!(
            self,
            FilterKind::Opened | FilterKind::Engaged | FilterKind::EngagedWithTag
        )
    }

    pub fn takes_link(self) -> bool {
        self == FilterKind::Clicked
    }

    pub fn takes_variant(self) -> bool {
        self == FilterKind::ReceivedVariant
    }

    pub fn takes_days(self) -> bool {
        matches!(
            self,
            FilterKind::LastReceivedFrom
                | FilterKind::LastReceivedWithTag
                | FilterKind::LastReceivedAny
                | FilterKind::LastEngagedAny
        )
    }
}

/// "Less than N days ago" or "more than N days ago".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DaysMode {
    #[default]
    Within,
    MoreThan,
}

impl DaysMode {
    pub fn key(self) -> &'static str {
        match self {
            DaysMode::Within => "within_days",
            DaysMode::MoreThan => "more_than_days",
        }
    }

    pub fn parse(key: &str) -> Self {
        if key == "more_than_days" {
            DaysMode::MoreThan
        } else {
            DaysMode::Within
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
        obj.insert("filter".into(), json!(k.name()));
        if k.takes_message()
            && let Some(id) = self.message_id
        {
            obj.insert("message_id".into(), json!(id));
        }
        let text = |obj: &mut Map<String, Value>, key: &str, value: &str| {
            if !value.trim().is_empty() {
                obj.insert(key.into(), json!(value.trim()));
            }
        };
        if k.takes_step() {
            text(&mut obj, "step", &self.step);
        }
        if k.takes_link() {
            text(&mut obj, "link", &self.link);
        }
        if k.takes_variant() {
            text(&mut obj, "variant", &self.variant);
        }
        if k.takes_tag() {
            text(&mut obj, "tag", &self.tag);
        }
        if k.takes_machine_opens() && self.exclude_machine_opens {
            obj.insert("exclude_machine_opens".into(), json!(true));
        }
        if k.takes_days() {
            let days = self.days.trim();
            // A number goes as a number; anything else goes as typed, so
            // the engine's own message says what is wrong with it.
            let value = days
                .parse::<u64>()
                .map_or_else(|_| json!(days), |d| json!(d));
            obj.insert(self.days_mode.key().into(), value);
        }
        if self.negate {
            obj.insert("negate".into(), json!(true));
        }
        Value::Object(obj)
    }

    /// Reads one filter of the wire form; `None` for one this dashboard
    /// does not know (a newer engine), which the caller reports.
    pub fn from_json(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let kind = FilterKind::parse(obj.get("filter")?.as_str()?)?;
        let text = |key: &str| {
            obj.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let flag = |key: &str| obj.get(key).and_then(Value::as_bool).unwrap_or(false);
        let (days_mode, days) = match (obj.get("within_days"), obj.get("more_than_days")) {
            (Some(d), _) if !d.is_null() => (DaysMode::Within, number_text(d)),
            (_, Some(d)) if !d.is_null() => (DaysMode::MoreThan, number_text(d)),
            _ => (DaysMode::Within, "30".to_string()),
        };
        Some(Self {
            kind,
            negate: flag("negate"),
            message_id: obj.get("message_id").and_then(Value::as_i64),
            step: text("step"),
            variant: text("variant"),
            link: text("link"),
            exclude_machine_opens: flag("exclude_machine_opens"),
            days_mode,
            days,
            tag: text("tag"),
        })
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

    /// The filter in words, e.g. "has not opened Spring sale (excluding
    /// machine opens)". `message` looks up the named message.
    pub fn describe(&self, message: &dyn Fn(i64) -> Option<MessageChoice>) -> String {
        let chosen = self.message_id.and_then(message);
        let m = match (&chosen, self.message_id) {
            (Some(c), _) => format!("“{}”", c.name),
            (None, Some(id)) => format!("message {id}"),
            (None, None) => "a message".to_string(),
        };
        let step_name = |key: &str| {
            chosen
                .as_ref()
                .and_then(|c| c.steps.iter().find(|s| s.key == key))
                .map_or_else(|| key.to_string(), |s| s.name.clone())
        };
        let variant_name = |key: &str| {
            chosen
                .as_ref()
                .and_then(|c| c.variants.iter().find(|v| v.key == key))
                .map_or_else(|| key.to_string(), |v| v.name.clone())
        };
        let days = match self.days_mode {
            DaysMode::Within => format!("less than {} days ago", self.days.trim()),
            DaysMode::MoreThan => format!("more than {} days ago", self.days.trim()),
        };
        let tag = format!("tagged “{}”", self.tag.trim());
        let n = self.negate;
        let verb = |yes: &str, no: &str| if n { no.to_string() } else { yes.to_string() };
        let mut text = match self.kind {
            FilterKind::Received => format!("{} {m}", verb("received", "did not receive")),
            FilterKind::Opened => format!("{} {m}", verb("opened", "did not open")),
            FilterKind::Clicked => format!("{} {m}", verb("clicked", "did not click")),
            FilterKind::Engaged => {
                format!(
                    "{} {m}",
                    verb("opened or clicked", "neither opened nor clicked")
                )
            }
            FilterKind::Converted => {
                format!("{} {m}", verb("converted from", "did not convert from"))
            }
            FilterKind::ReceivedVariant => format!(
                "{} {} of {m}",
                verb("received", "did not receive"),
                variant_name(self.variant.trim())
            ),
            FilterKind::InControlGroup => {
                format!("{} the control group of {m}", verb("was in", "was not in"))
            }
            FilterKind::LastReceivedFrom => {
                format!("{}last received {m} {days}", verb("", "not: "))
            }
            FilterKind::ReceivedWithTag => {
                format!("{} a message {tag}", verb("received", "did not receive"))
            }
            FilterKind::EngagedWithTag => format!(
                "{} a message {tag}",
                verb("opened or clicked", "neither opened nor clicked")
            ),
            FilterKind::LastReceivedWithTag => {
                format!("{}last received a message {tag} {days}", verb("", "not: "))
            }
            FilterKind::LastReceivedAny => {
                format!("{}last received any message {days}", verb("", "not: "))
            }
            FilterKind::LastEngagedAny => {
                format!("{}last engaged with any message {days}", verb("", "not: "))
            }
        };
        if self.kind.takes_step() && !self.step.trim().is_empty() {
            text.push_str(&format!(" at step “{}”", step_name(self.step.trim())));
        }
        if self.kind.takes_link() && !self.link.trim().is_empty() {
            text.push_str(&format!(" (link “{}”)", self.link.trim()));
        }
        if self.kind.takes_machine_opens() && self.exclude_machine_opens {
            text.push_str(" (excluding machine opens)");
        }
        text
    }
}

fn number_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An audience as drafted: every group must match (AND), and within a
/// group any filter may (OR).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AudienceDraft {
    pub groups: Vec<Vec<FilterDraft>>,
}

impl AudienceDraft {
    /// The wire form. Order is kept, so the engine's `all[g].any[f]`
    /// positions point at the same rows the builder shows.
    pub fn to_json(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| json!({ "any": g.iter().map(FilterDraft::to_json).collect::<Vec<_>>() }))
            .collect();
        json!({ "all": groups })
    }

    /// Reads the wire form; filters it does not know are counted in the
    /// second value so the page can say so instead of dropping them.
    pub fn from_json(value: &Value) -> (Self, usize) {
        let mut unknown = 0;
        let groups = value
            .get("all")
            .and_then(Value::as_array)
            .map(|groups| {
                groups
                    .iter()
                    .filter_map(|g| g.get("any").and_then(Value::as_array))
                    .map(|filters| {
                        filters
                            .iter()
                            .filter_map(|f| {
                                let parsed = FilterDraft::from_json(f);
                                unknown += usize::from(parsed.is_none());
                                parsed
                            })
                            .collect::<Vec<_>>()
                    })
                    .filter(|g| !g.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        (Self { groups }, unknown)
    }

    /// The first filter that still needs something chosen.
    pub fn missing(&self) -> Option<Missing> {
        self.groups.iter().enumerate().find_map(|(g, group)| {
            group.iter().enumerate().find_map(|(f, filter)| {
                filter.missing().map(|what| Missing {
                    group: g,
                    filter: f,
                    what,
                })
            })
        })
    }

    /// Messages named by specific filters, for looking up their names.
    pub fn message_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .groups
            .iter()
            .flatten()
            .filter(|f| f.kind.takes_message())
            .filter_map(|f| f.message_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// One line per group; the lines are AND-ed.
    pub fn describe(&self, message: &dyn Fn(i64) -> Option<MessageChoice>) -> Vec<String> {
        self.groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|f| f.describe(message))
                    .collect::<Vec<_>>()
                    .join(", or ")
            })
            .collect()
    }
}

/// Where an engine message points: `all[1].any[0]: unknown filter "x"`
/// becomes group 1, filter 0 and the text after the colon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub group: Option<usize>,
    pub filter: Option<usize>,
    pub text: String,
}

pub fn locate(message: &str) -> Located {
    let message = message.trim();
    let index = |s: &str, prefix: &str| -> Option<(usize, usize)> {
        let rest = s.strip_prefix(prefix)?;
        let end = rest.find(']')?;
        Some((rest[..end].parse().ok()?, prefix.len() + end + 1))
    };
    if let Some((group, used)) = index(message, "all[") {
        let rest = &message[used..];
        let (filter, rest) = match index(rest, ".any[") {
            Some((f, used)) => (Some(f), &rest[used..]),
            None => (None, rest),
        };
        if let Some(text) = rest.strip_prefix(':') {
            return Located {
                group: Some(group),
                filter,
                text: text.trim().to_string(),
            };
        }
    }
    Located {
        group: None,
        filter: None,
        text: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice() -> MessageChoice {
        MessageChoice {
            id: 7,
            name: "Spring sale".into(),
            kind: MessageKind::Campaign,
            status: MessageStatus::Stopped,
            data_state: DataState::Available,
            variants: vec![VariantInfo {
                key: "a".into(),
                name: "Variant A".into(),
                is_control: false,
            }],
            steps: vec![StepInfo {
                key: "step-1".into(),
                name: "Welcome".into(),
            }],
        }
    }

    fn lookup(id: i64) -> Option<MessageChoice> {
        (id == 7).then(choice)
    }

    #[test]
    fn a_draft_sends_only_the_parameters_its_kind_takes() {
        let draft = FilterDraft {
            kind: FilterKind::Opened,
            message_id: Some(7),
            link: "leftover".into(),
            tag: "promo".into(),
            exclude_machine_opens: true,
            negate: true,
            ..FilterDraft::default()
        };
        assert_eq!(
            draft.to_json(),
            json!({"filter": "opened", "message_id": 7, "exclude_machine_opens": true, "negate": true})
        );
    }

    #[test]
    fn days_go_as_numbers_and_anything_else_goes_as_typed() {
        let mut draft = FilterDraft {
            kind: FilterKind::LastEngagedAny,
            days_mode: DaysMode::MoreThan,
            days: " 14 ".into(),
            ..FilterDraft::default()
        };
        assert_eq!(
            draft.to_json(),
            json!({"filter": "last_engaged_any", "more_than_days": 14})
        );
        draft.days = "soon".into();
        assert_eq!(draft.to_json()["more_than_days"], json!("soon"));
    }

    #[test]
    fn the_wire_form_round_trips_and_unknown_filters_are_counted() {
        let wire = json!({"all": [
            {"any": [{"filter": "received", "message_id": 7, "step": "step-1"}]},
            {"any": [{"filter": "opened", "message_id": 7, "negate": true}, {"filter": "teleported"}]},
            {"any": [{"filter": "last_received_with_tag", "tag": "promo", "within_days": 7}]}
        ]});
        let (draft, unknown) = AudienceDraft::from_json(&wire);
        assert_eq!(unknown, 1);
        assert_eq!(draft.groups.len(), 3);
        assert_eq!(
            draft.to_json(),
            json!({"all": [
                {"any": [{"filter": "received", "message_id": 7, "step": "step-1"}]},
                {"any": [{"filter": "opened", "message_id": 7, "negate": true}]},
                {"any": [{"filter": "last_received_with_tag", "tag": "promo", "within_days": 7}]}
            ]})
        );
        assert_eq!(draft.message_ids(), vec![7]);
    }

    #[test]
    fn what_is_missing_is_found_before_asking_the_engine() {
        let mut draft = AudienceDraft {
            groups: vec![
                vec![FilterDraft {
                    message_id: Some(7),
                    ..FilterDraft::default()
                }],
                vec![FilterDraft {
                    kind: FilterKind::ReceivedWithTag,
                    ..FilterDraft::default()
                }],
            ],
        };
        assert_eq!(
            draft.missing(),
            Some(Missing {
                group: 1,
                filter: 0,
                what: "Choose a tag"
            })
        );
        draft.groups[1][0].tag = "promo".into();
        assert_eq!(draft.missing(), None);
    }

    #[test]
    fn filters_read_as_words() {
        let draft = AudienceDraft {
            groups: vec![
                vec![FilterDraft {
                    message_id: Some(7),
                    step: "step-1".into(),
                    ..FilterDraft::default()
                }],
                vec![
                    FilterDraft {
                        kind: FilterKind::Opened,
                        message_id: Some(7),
                        negate: true,
                        exclude_machine_opens: true,
                        ..FilterDraft::default()
                    },
                    FilterDraft {
                        kind: FilterKind::ReceivedVariant,
                        message_id: Some(9),
                        variant: "b".into(),
                        ..FilterDraft::default()
                    },
                ],
                vec![FilterDraft {
                    kind: FilterKind::LastEngagedAny,
                    days: "30".into(),
                    ..FilterDraft::default()
                }],
            ],
        };
        assert_eq!(
            draft.describe(&lookup),
            vec![
                "received “Spring sale” at step “Welcome”",
                "did not open “Spring sale” (excluding machine opens), or received b of message 9",
                "last engaged with any message less than 30 days ago",
            ]
        );
    }

    #[test]
    fn engine_messages_point_at_a_row() {
        assert_eq!(
            locate("all[1].any[0]: unknown filter \"opend\""),
            Located {
                group: Some(1),
                filter: Some(0),
                text: "unknown filter \"opend\"".into()
            }
        );
        assert_eq!(
            locate("all[2]: a group needs 1 to 20 filters"),
            Located {
                group: Some(2),
                filter: None,
                text: "a group needs 1 to 20 filters".into()
            }
        );
        assert_eq!(locate("internal error").text, "internal error");
        assert_eq!(locate("internal error").group, None);
    }
}
