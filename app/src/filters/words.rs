//! Filters in words, e.g. "has not opened “Spring sale” (excluding
//! machine opens)": what viewers read and what the builder's summary says.

use recall::types::filter::FilterKind;

use super::{AudienceDraft, DaysMode, FilterDraft, MessageChoice};

impl FilterDraft {
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

impl AudienceDraft {
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
