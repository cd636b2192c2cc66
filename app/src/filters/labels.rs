//! What the type picker calls the filters and their families.

use recall::types::filter::{Family, FilterKind};

/// A name for people, where the shared type only has one for the wire.
pub trait Labelled {
    fn label(self) -> &'static str;
}

impl Labelled for Family {
    fn label(self) -> &'static str {
        match self {
            Family::Specific => "Specific message",
            Family::ByTag => "By tag",
            Family::Profile => "Profile",
        }
    }
}

impl Labelled for FilterKind {
    fn label(self) -> &'static str {
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
}
