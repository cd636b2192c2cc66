//! Pieces shared by several pages.

mod app_shell;
mod audience_builder;
mod audience_panel;
mod audience_words;
mod badges;
mod data_banner;
mod debounce;
mod filter_row;
mod hydrated;
mod incomplete_warning;
mod live_count;
mod live_restores;
mod message_picker;
mod message_table;
mod restore_action;
mod restore_dialog;
mod restore_progress;
mod states;

pub use app_shell::AppShell;
pub use audience_builder::{AudienceBuilder, BuilderState, FilterState};
pub use audience_panel::AudiencePanel;
pub use audience_words::AudienceWords;
pub use badges::{DataStateBadge, StatusBadge, TagList};
pub use data_banner::DataBanner;
pub use debounce::debounce;
pub use filter_row::FilterRow;
pub use hydrated::use_hydrated;
pub use incomplete_warning::IncompleteWarning;
pub use live_count::{CountState, LiveCount, complaint_words, sentence, use_live_count};
pub use live_restores::{LiveDataBadge, LiveRestores};
pub use message_picker::MessagePicker;
pub use message_table::{Bulk, MessageTable};
pub use restore_action::RestoreAction;
pub use restore_dialog::{RestoreDialog, RestoreScope};
pub use restore_progress::{
    JobStatusBadge, Poller, ProgressBar, elapsed, estimate, rows_line, status_label,
};
pub use states::{EmptyState, ErrorState, LoadingRows};
