//! Values that cross the wire. Compiled into the browser bundle too, so
//! nothing here may depend on the database or the clock.

/// Declares a closed set of lowercase wire names with `FromStr`/`Display`,
/// so the API, the database and the URL all spell them the same way.
macro_rules! wire_enum_impl {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(text: &str) -> Result<Self, Error> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(Error::Invalid(format!(
                        "unknown {} {other:?}; expected one of: {}",
                        stringify!($name).to_lowercase(),
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }
    };
}

mod api;
mod auth;
pub mod filter;
mod ingest;
mod list;
mod mail;
mod message;
mod restore;
mod segment;

pub use api::{KeyedInput, MessageInput, MessagePatch, PinInput};
pub use auth::{AuditEntry, Viewer};
pub use ingest::{EventInput, IngestResult, RejectedEvent};

pub use list::{MessageListQuery, Page, SortKey, TagCount};
pub use mail::OutboxMail;
pub use message::{
    Aggregates, ArchiveSummary, Channel, DailyPoint, DataState, MessageDetail, MessageKind,
    MessageStatus, MessageSummary, RetainedBy, Role, StepInfo, VariantInfo, VariantStats,
};
pub use restore::{
    JobStatus, RestoreBatch, RestoreJob, RestorePreview, RestoreRequest, RestoreSkip,
};
pub use segment::{
    AudienceInput, AudienceView, EvaluateInput, Evaluation, ExpiredInput, NamedRef, SegmentInput,
    SegmentSummary, SegmentView, UserPage,
};
