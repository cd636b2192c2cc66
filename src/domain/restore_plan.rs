//! What a restore request does with each message it names: skip it (with
//! the reason shown to the person), join the restore already under way,
//! or queue a new one. One rule, used by the request inside its
//! transaction and by the preview.

use super::DataLocation;

/// Why a message named in a request is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// No such message in the workspace.
    NotFound,
    /// Its rows are hot: there is nothing to bring back.
    NotExpired,
}

impl SkipReason {
    /// The reason as the restore history and the CLI show it.
    pub fn text(self) -> &'static str {
        match self {
            Self::NotFound => "message not found",
            Self::NotExpired => "interaction data is not expired; nothing to restore",
        }
    }
}

/// The step a request takes for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreStep {
    Skip(SkipReason),
    /// A job for this message is queued or running: the request waits for it.
    Join(i64),
    /// Its rows are in long-term storage and nothing brings them back yet.
    Queue,
}

impl RestoreStep {
    /// Whether the message's data will come back (a job joins or queues).
    pub fn restores(self) -> bool {
        !matches!(self, Self::Skip(_))
    }
}

/// Decides the step from where the message's rows are (`None`: no such
/// message) and the job already bringing them back, if any.
pub fn plan_restore(location: Option<DataLocation>, running_job: Option<i64>) -> RestoreStep {
    match (location, running_job) {
        (None, _) => RestoreStep::Skip(SkipReason::NotFound),
        (Some(DataLocation::Hot), _) => RestoreStep::Skip(SkipReason::NotExpired),
        (Some(_), Some(job)) => RestoreStep::Join(job),
        (Some(_), None) => RestoreStep::Queue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_hot_message_is_skipped_with_its_reason() {
        assert_eq!(
            plan_restore(None, None),
            RestoreStep::Skip(SkipReason::NotFound)
        );
        assert_eq!(
            plan_restore(Some(DataLocation::Hot), Some(3)),
            RestoreStep::Skip(SkipReason::NotExpired)
        );
        assert_eq!(SkipReason::NotFound.text(), "message not found");
    }

    #[test]
    fn an_expired_message_joins_the_running_job_or_queues_one() {
        assert_eq!(
            plan_restore(Some(DataLocation::Restoring), Some(9)),
            RestoreStep::Join(9)
        );
        assert_eq!(
            plan_restore(Some(DataLocation::Archived), None),
            RestoreStep::Queue
        );
        assert!(
            RestoreStep::Queue.restores() && !RestoreStep::Skip(SkipReason::NotFound).restores()
        );
    }
}
