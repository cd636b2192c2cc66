//! Status transitions: `draft -> active <-> stopped`, and archive/unarchive.
//!
//! Braze semantics: archiving an active message stops it, and unarchiving
//! never restarts sending; it returns to `stopped` (or `draft` if it never
//! ran).

use crate::error::{Error, Result};
use crate::types::MessageStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Start,
    Stop,
    Archive,
    Unarchive,
}

impl Transition {
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "start" => Ok(Self::Start),
            "stop" => Ok(Self::Stop),
            "archive" => Ok(Self::Archive),
            "unarchive" => Ok(Self::Unarchive),
            other => Err(Error::invalid(format!(
                "unknown action {other:?}; expected start, stop, archive or unarchive"
            ))),
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Archive => "archive",
            Self::Unarchive => "unarchive",
        }
    }
}

/// The status after `transition`, or a 409 that says why it is not allowed.
/// `has_run` tells whether the message was ever started, which decides
/// where unarchiving lands.
pub fn apply_transition(
    from: MessageStatus,
    transition: Transition,
    has_run: bool,
) -> Result<MessageStatus> {
    use MessageStatus::*;
    use Transition::*;
    let to = match (from, transition) {
        (Draft | Stopped, Start) => Active,
        (Active, Stop) => Stopped,
        (Draft | Active | Stopped, Archive) => Archived,
        (Archived, Unarchive) if has_run => Stopped,
        (Archived, Unarchive) => Draft,
        (Archived, Start) => {
            return Err(Error::conflict(
                "cannot start an archived message; unarchive it first",
            ));
        }
        (from, transition) => {
            return Err(Error::conflict(format!(
                "cannot {} a message that is {}",
                transition.verb(),
                from.as_str()
            )));
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageStatus::*;
    use Transition::*;

    #[test]
    fn draft_starts_and_active_stops_and_restarts() {
        assert_eq!(apply_transition(Draft, Start, false), Ok(Active));
        assert_eq!(apply_transition(Active, Stop, true), Ok(Stopped));
        assert_eq!(apply_transition(Stopped, Start, true), Ok(Active));
    }

    #[test]
    fn archiving_an_active_message_stops_it_and_unarchive_never_restarts_sending() {
        assert_eq!(apply_transition(Active, Archive, true), Ok(Archived));
        assert_eq!(apply_transition(Archived, Unarchive, true), Ok(Stopped));
    }

    #[test]
    fn unarchiving_a_message_that_never_ran_returns_it_to_draft() {
        assert_eq!(apply_transition(Archived, Unarchive, false), Ok(Draft));
    }

    #[test]
    fn illegal_transitions_are_conflicts_that_say_why() {
        for (from, t) in [
            (Draft, Stop),
            (Stopped, Stop),
            (Active, Start),
            (Archived, Archive),
            (Archived, Stop),
            (Active, Unarchive),
        ] {
            let err = apply_transition(from, t, true).expect_err("must be refused");
            assert_eq!(err.status_code(), 409, "{from:?} {t:?}");
            assert!(err.to_string().contains(t.verb()), "{err}");
        }
        let err = apply_transition(Archived, Start, true).expect_err("refused");
        assert!(err.to_string().contains("unarchive it first"));
    }
}
