//! Recall's engine: the interaction-data layer behind the dashboard and API.
//!
//! # Layout
//!
//! - [`types`]: values that cross the wire (API, server functions, WASM).
//!   Always compiled, including into the browser bundle.
//! - [`error`]: the one error that crosses the wire.
//! - `domain` (feature `engine`): pure rules — status transitions, retention
//!   windows, data states. Every rule that depends on time takes `now`.
//! - `store` (feature `engine`): SQLite through sqlx; migrations are embedded
//!   and run at startup. Private row structs become domain types here.
//! - `service` (feature `engine`): one transaction per use case.
//! - `archive` (feature `engine`): long-term storage — Parquet segments in
//!   an object store.
//! - `mail` (feature `engine`): SMTP or the `.eml` outbox.
//! - `seed` (feature `engine`): deterministic demo data.

#[cfg(feature = "engine")]
pub mod archive;
pub mod error;
#[cfg(feature = "engine")]
pub mod mail;
pub mod types;

#[cfg(feature = "engine")]
pub mod clock;
#[cfg(feature = "engine")]
pub mod domain;
#[cfg(feature = "engine")]
pub mod seed;
#[cfg(feature = "engine")]
pub mod service;
#[cfg(feature = "engine")]
pub mod store;

pub use error::{Error, Result};
