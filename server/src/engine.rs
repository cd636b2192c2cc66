//! The engine built once from the global flags, so `serve` and the
//! one-shot commands run the same use cases on the same storage.

use std::time::Duration;

use recall::clock::Clock;
use recall::engine::{Config, Engine};

use crate::cli::GlobalArgs;

/// The engine's configuration from flags and `RECALL_*` variables.
/// `default_url`: where the dashboard is when `RECALL_PUBLIC_URL` is not
/// set (serve knows its address; commands assume the default).
pub fn config(global: &GlobalArgs, default_url: &str) -> Config {
    let mut config = Config::in_dir(&global.data_dir);
    config.database_url = global.database_url.clone();
    config.storage_url = global.archive_url.clone();
    config.smtp_url = global.smtp_url.clone();
    config.mail_from = global.mail_from.clone();
    config.public_url = global
        .public_url
        .clone()
        .unwrap_or_else(|| default_url.to_string());
    config.restore_lease = chrono::Duration::seconds(global.restore_lease as i64);
    config.busy_wait = Duration::from_secs(global.busy_wait);
    config
}

/// Opens the engine for a one-shot command (the system clock).
pub async fn open(global: &GlobalArgs) -> Result<Engine, recall::Error> {
    Engine::open(config(global, "http://127.0.0.1:3000"), Clock::system()).await
}
