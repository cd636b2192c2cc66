//! Routed pages, one per file.

mod login;
mod message_list;
mod message_page;
mod not_found;
mod outbox;
mod restores;
mod segment_editor;
mod segments;
mod settings;

pub use login::LoginPage;
pub use message_list::MessageList;
pub use message_page::MessagePage;
pub use not_found::NotFound;
pub use outbox::OutboxPage;
pub use restores::RestoresPage;
pub use segments::SegmentsPage;
pub use settings::SettingsPage;
