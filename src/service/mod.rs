//! Use cases: validate the request, apply the domain rule, save — each in
//! one transaction. The REST API, server functions and the CLI all come
//! through here.

pub mod archived_ids;
pub mod auth;
pub mod bitmaps;
pub mod expiry;
pub mod expiry_warnings;
pub mod export;
pub mod ingest;
pub mod leader;
pub mod mail;
pub mod messages;
pub mod patience;
pub mod restore;
pub mod segments;

#[cfg(test)]
mod concurrency_tests;
#[cfg(test)]
mod expiry_busy_tests;
#[cfg(test)]
mod expiry_parallel_tests;
#[cfg(test)]
mod expiry_tests;
#[cfg(test)]
mod ingest_archived_tests;
#[cfg(test)]
mod ingest_tests;
#[cfg(test)]
mod restore_tests;
#[cfg(test)]
mod segments_tests;
#[cfg(test)]
mod storage_fault_tests;
#[cfg(test)]
mod test_support;
