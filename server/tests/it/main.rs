//! The server's integration tests, built and linked as one test binary
//! (`it`) that shares `support`: one module per area. `cargo test -p server
//! --test it NAME` runs the tests whose path contains NAME, e.g. `scale_out`.

mod support;

mod api_events;
mod api_hostile;
mod api_messages;
mod auth;
mod binary;
mod expiry;
mod parity;
mod read_your_writes;
mod restore;
mod s3;
mod scale_out;
mod segments;
