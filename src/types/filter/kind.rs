//! The thirteen filters by name, their families and the parameters each
//! takes: the one list both the parser and the builder's pickers read.

/// The three families of DESIGN.md: they differ in what they retain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Names one message; retains it while an active message uses it.
    Specific,
    /// Covers a tag; never retains anything.
    ByTag,
    /// Reads only the never-expiring user profiles.
    Profile,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Specific, Family::ByTag, Family::Profile];
}

/// A parameter a filter may take, by its key in the wire form. `filter`
/// (the name) and `negate` belong to every filter and are not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    MessageId,
    Step,
    Link,
    Variant,
    Tag,
    ExcludeMachineOpens,
    WithinDays,
    MoreThanDays,
}

impl Param {
    pub fn key(self) -> &'static str {
        match self {
            Param::MessageId => "message_id",
            Param::Step => "step",
            Param::Link => "link",
            Param::Variant => "variant",
            Param::Tag => "tag",
            Param::ExcludeMachineOpens => "exclude_machine_opens",
            Param::WithinDays => "within_days",
            Param::MoreThanDays => "more_than_days",
        }
    }
}

/// Which filter a [`super::Rule`] is, without its parameters: what the
/// `"filter"` field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    /// Its name in the wire form.
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

    /// The kind a wire name stands for; `None` for a name no filter has.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
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

    /// The parameters it takes besides `filter` and `negate`. A day
    /// condition lists both of its keys; exactly one of them is given.
    pub fn params(self) -> &'static [Param] {
        use Param::*;
        match self {
            FilterKind::Received | FilterKind::Converted => &[MessageId, Step],
            FilterKind::Opened | FilterKind::Engaged => &[MessageId, Step, ExcludeMachineOpens],
            FilterKind::Clicked => &[MessageId, Step, Link],
            FilterKind::ReceivedVariant => &[MessageId, Variant],
            FilterKind::InControlGroup => &[MessageId],
            FilterKind::LastReceivedFrom => &[MessageId, WithinDays, MoreThanDays],
            FilterKind::ReceivedWithTag => &[Tag],
            FilterKind::EngagedWithTag => &[Tag, ExcludeMachineOpens],
            FilterKind::LastReceivedWithTag => &[Tag, WithinDays, MoreThanDays],
            FilterKind::LastReceivedAny | FilterKind::LastEngagedAny => &[WithinDays, MoreThanDays],
        }
    }

    pub fn takes(self, param: Param) -> bool {
        self.params().contains(&param)
    }

    pub fn takes_message(self) -> bool {
        self.takes(Param::MessageId)
    }

    pub fn takes_tag(self) -> bool {
        self.takes(Param::Tag)
    }

    pub fn takes_step(self) -> bool {
        self.takes(Param::Step)
    }

    pub fn takes_machine_opens(self) -> bool {
        self.takes(Param::ExcludeMachineOpens)
    }

    pub fn takes_link(self) -> bool {
        self.takes(Param::Link)
    }

    pub fn takes_variant(self) -> bool {
        self.takes(Param::Variant)
    }

    pub fn takes_days(self) -> bool {
        self.takes(Param::WithinDays)
    }
}
