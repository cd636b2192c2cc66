//! Pieces shared by several pages.

mod app_shell;
mod badges;
mod states;

pub use app_shell::AppShell;
pub use badges::{DataStateBadge, StatusBadge, TagList};
pub use states::{EmptyState, ErrorState, LoadingRows};
