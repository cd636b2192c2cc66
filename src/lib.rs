//! Recall's engine: the interaction-data layer behind the dashboard and API.
//!
//! # Layout
//!
//! - [`types`]: values that cross the wire (API, server functions, WASM).
//!   Always compiled, including into the browser bundle.
//! - [`error`]: the one error that crosses the wire.
//! - `domain` (feature `engine`): pure rules — status transitions, retention
//!   windows, data states. Every rule that depends on time takes `now`.
//! - `store` (feature `engine`): SQLite or PostgreSQL through sqlx;
//!   migrations are embedded and run at startup. Building blocks that run
//!   inside the transaction a use case opened; visible outside the crate
//!   only with the `tooling` feature (benchmark and crash-trial harnesses).
//! - `engine` (feature `engine`): the engine handle. Every use case the
//!   dashboard, the REST API and the CLI offer is a method of
//!   [`engine::Engine`] taking the actor and `now`; adapters call nothing
//!   else.
//! - `service` (feature `engine`): the moving parts the use cases compose
//!   (validation, evaluation, expiry, the restore worker, mail delivery).
//! - `storage` (feature `engine`): long-term storage — Parquet segments in
//!   an object store.
//! - `mail` (feature `engine`): SMTP or the `.eml` outbox.
//! - `seed` (feature `engine`): deterministic demo data.

pub mod error;
#[cfg(feature = "engine")]
pub mod mail;
#[cfg(feature = "engine")]
pub mod storage;
pub mod types;

#[cfg(feature = "engine")]
pub mod clock;
#[cfg(feature = "engine")]
pub mod domain;
#[cfg(feature = "engine")]
pub mod engine;
#[cfg(feature = "engine")]
pub mod seed;
#[cfg(feature = "engine")]
pub mod service;
// The store is the engine's building blocks, not an interface: adapters
// (app/, server/src) cannot name it; only tools built with `tooling` can.
#[cfg(all(feature = "engine", any(test, feature = "tooling")))]
pub mod store;
// Some of its re-exports are for those tools only.
#[cfg(all(feature = "engine", not(any(test, feature = "tooling"))))]
#[allow(unused_imports)]
pub(crate) mod store;

pub use error::{Error, Result};
