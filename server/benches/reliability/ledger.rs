//! What the service accepted, as the client saw it: an event whose
//! request got a 2xx answer must be stored exactly once; one whose request
//! was cut by the kill may be stored, but at most once.

use std::collections::{BTreeMap, HashSet};

#[derive(Default)]
pub struct Ledger {
    /// Per message: event ids the service acknowledged (or the seed wrote).
    pub accepted: BTreeMap<i64, HashSet<String>>,
    /// Per message: event ids whose request died with the process.
    pub uncertain: BTreeMap<i64, HashSet<String>>,
    /// Requests answered 2xx, and events in them.
    pub acked_requests: u64,
    pub acked_events: u64,
    /// Requests cut by a kill (or refused), and events in them.
    pub cut_requests: u64,
    pub cut_events: u64,
    /// 2xx answers that did not count every event as accepted (all ids
    /// are fresh, so this would be a bug).
    pub short_answers: u64,
}

impl Ledger {
    pub fn accept(&mut self, message: i64, ids: impl IntoIterator<Item = String>) {
        self.accepted.entry(message).or_default().extend(ids);
    }

    pub fn uncertain(&mut self, message: i64, ids: impl IntoIterator<Item = String>) {
        self.uncertain.entry(message).or_default().extend(ids);
    }

    pub fn total_accepted(&self) -> usize {
        self.accepted.values().map(HashSet::len).sum()
    }
}

/// How one ingest request ended.
pub enum Sent {
    Acked { accepted: u64 },
    Cut,
}

/// One ingest request and its outcome, merged into the ledger later.
pub struct Request {
    pub message: i64,
    pub ids: Vec<String>,
    pub sent: Sent,
}

impl Ledger {
    pub fn record(&mut self, request: Request) {
        let n = request.ids.len() as u64;
        match request.sent {
            Sent::Acked { accepted } => {
                self.acked_requests += 1;
                self.acked_events += n;
                if accepted != n {
                    self.short_answers += 1;
                }
                self.accept(request.message, request.ids);
            }
            Sent::Cut => {
                self.cut_requests += 1;
                self.cut_events += n;
                self.uncertain(request.message, request.ids);
            }
        }
    }
}
