//! Helpers for the scale-out test: several servers on one database, a
//! watch on their leases while polling for a condition, and comparing a
//! message's events with what was accepted.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::smtp::SmtpSink;
use super::{Api, Server, psql};

/// One event as the archive download shows it: id, kind, user, at (ms).
pub type Event = (String, String, String, i64);

/// How often conditions are polled.
pub const POLL: Duration = Duration::from_millis(100);

/// The process id in a lease holder (`serve-<pid>-<hex>`,
/// `worker-<pid>-<hex>`).
pub fn pid_of(holder: &str) -> Option<u32> {
    holder.split('-').nth(1)?.parse().ok()
}

/// Servers sharing one database, with an API key for all of them.
pub struct Cluster {
    pub servers: Vec<Server>,
    pub watch: Watch,
    pub key: String,
}

impl Cluster {
    /// Starts `n` servers one after another (the first migrates).
    pub fn start(n: usize, db: &str, flags: &[&str], env: &[(&str, &str)]) -> Self {
        let servers: Vec<Server> = (0..n)
            .map(|_| Server::start_on(Some(db.to_string()), flags, env))
            .collect();
        let watch = Watch::new(db, servers.iter().map(Server::pid).collect());
        let key = servers[0].api_key("ingest,read,manage");
        Self {
            servers,
            watch,
            key,
        }
    }

    /// The API of a server that is still running (the `i`-th, wrapping).
    pub fn api(&self, i: usize) -> Api {
        let alive: Vec<_> = self
            .servers
            .iter()
            .filter(|s| self.watch.live.contains(&s.pid()))
            .collect();
        alive[i % alive.len()].client(&self.key)
    }

    /// SIGKILLs the server named by a lease holder; answers when.
    pub fn kill(&mut self, holder: &str) -> Instant {
        let pid = pid_of(holder).unwrap_or_else(|| panic!("no pid in {holder:?}"));
        let server = self
            .servers
            .iter_mut()
            .find(|s| s.pid() == pid)
            .unwrap_or_else(|| panic!("{holder} is none of the servers"));
        server.kill();
        self.watch.live.retain(|&p| p != pid);
        self.watch.killed.push(pid);
        Instant::now()
    }

    /// Each message's data is in `location`, and its raw download (through
    /// the live servers in turn) is exactly the accepted events.
    pub async fn verify(&self, accepted: &BTreeMap<i64, Vec<Event>>, location: &str, when: &str) {
        let mut problems = Vec::new();
        for (i, (id, events)) in accepted.iter().enumerate() {
            let sql = format!("SELECT location FROM messages WHERE id = {id}");
            let actual = self.watch.sql(&sql);
            if actual.trim() != location {
                problems.push(format!(
                    "message {id} {when}: data is {}, expected {location}",
                    actual.trim()
                ));
            }
            let got = download(&self.api(i), *id).await;
            if let Err(e) = compare(*id, when, events, &got) {
                problems.push(e);
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

/// The database and processes under test. Every poll samples the `leases`
/// table: a lease must always name one of the servers, and may move only
/// away from a process that was killed (otherwise two processes each
/// believed they led).
pub struct Watch {
    pub db: String,
    pub live: Vec<u32>,
    pub killed: Vec<u32>,
    holders: BTreeMap<String, String>,
    /// Per lease, the least time (ms) a live holder had left when sampled.
    pub margins: BTreeMap<String, i64>,
    /// Each move of a lease, for the report.
    pub moves: Vec<String>,
    pub samples: usize,
    started: Instant,
}

impl Watch {
    pub fn new(db: &str, live: Vec<u32>) -> Self {
        Self {
            db: db.to_string(),
            live,
            killed: Vec::new(),
            holders: BTreeMap::new(),
            margins: BTreeMap::new(),
            moves: Vec::new(),
            samples: 0,
            started: Instant::now(),
        }
    }

    pub fn sql(&self, sql: &str) -> String {
        psql(&self.db, sql)
    }

    /// One number from SQL.
    pub fn count(&self, sql: &str) -> i64 {
        let out = self.sql(sql);
        out.trim()
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {out:?} from {sql}"))
    }

    /// The holder of a lease at the last sample.
    pub fn holder(&self, lease: &str) -> Option<String> {
        self.holders.get(lease).cloned()
    }

    pub fn sample(&mut self) {
        self.samples += 1;
        let at = self.started.elapsed().as_secs_f64();
        let rows = self.sql(
            "SELECT name, holder, until - CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) \
             FROM leases",
        );
        for line in rows.lines() {
            let f: Vec<&str> = line.split('|').collect();
            let (name, holder) = (f[0], f[1]);
            let pid = pid_of(holder);
            assert!(
                pid.is_some_and(|p| self.live.contains(&p) || self.killed.contains(&p)),
                "lease {name:?} is held by {holder:?}, which is none of the servers {:?}",
                self.live
            );
            if pid.is_some_and(|p| self.live.contains(&p)) {
                let left: i64 = f[2].parse().expect("ms left");
                let margin = self.margins.entry(name.to_string()).or_insert(left);
                *margin = left.min(*margin);
            }
            let previous = self.holders.insert(name.to_string(), holder.to_string());
            if let Some(previous) = previous.filter(|p| p != holder) {
                assert!(
                    pid_of(&previous).is_some_and(|p| self.killed.contains(&p)),
                    "lease {name:?} moved from {previous} to {holder} at {at:.1} s although \
                     {previous} is alive: two processes led at once"
                );
                self.moves
                    .push(format!("{name}: {previous} -> {holder} at {at:.1} s"));
            }
        }
    }

    /// Polls `check` (sampling the leases each time) until it answers.
    pub async fn until<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            self.sample();
            if let Some(found) = check(self) {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "gave up after {timeout:?} waiting for {what}"
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Every event of a message through `GET /api/v1/messages/{id}/archive`.
pub async fn download(api: &Api, id: i64) -> Vec<Event> {
    let (status, body) = api
        .text("GET", &format!("/api/v1/messages/{id}/archive"))
        .await;
    assert_eq!(status, 200, "download of message {id}: {body}");
    body.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("NDJSON line");
            let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let at = chrono::DateTime::parse_from_rfc3339(&text("at"))
                .unwrap_or_else(|e| panic!("message {id}: bad at in {line}: {e}"))
                .timestamp_millis();
            (text("id"), text("kind"), text("user_id"), at)
        })
        .collect()
}

/// Compares the multiset of events; the error says what was lost,
/// duplicated or added, with examples.
pub fn compare(id: i64, when: &str, accepted: &[Event], got: &[Event]) -> Result<(), String> {
    let mut balance: HashMap<&Event, i64> = HashMap::with_capacity(accepted.len());
    for event in accepted {
        *balance.entry(event).or_default() += 1;
    }
    for event in got {
        *balance.entry(event).or_default() -= 1;
    }
    let lost: Vec<_> = balance.iter().filter(|(_, n)| **n > 0).collect();
    let extra: Vec<_> = balance.iter().filter(|(_, n)| **n < 0).collect();
    if lost.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for event in got {
        *ids.entry(event.0.as_str()).or_default() += 1;
    }
    let duplicated = ids.values().filter(|&&n| n > 1).count();
    Err(format!(
        "message {id} {when}: {} events, {} accepted; {} lost (e.g. {:?}), {} unexpected \
         (e.g. {:?}), {duplicated} event ids more than once",
        got.len(),
        accepted.len(),
        lost.len(),
        lost.first().map(|(e, _)| e),
        extra.len(),
        extra.first().map(|(e, _)| e),
    ))
}

/// Mail from the sink by Message-ID: waits until each of `expected` came,
/// then `quiet` longer for any duplicate.
pub async fn mail_by_id(
    smtp: &mut SmtpSink,
    expected: &[String],
    quiet: Duration,
) -> BTreeMap<String, Vec<String>> {
    let mut received: BTreeMap<String, Vec<String>> = BTreeMap::new();
    loop {
        let all = expected.iter().all(|k| received.contains_key(k));
        let wait = if all { quiet } else { Duration::from_secs(60) };
        let Ok(mail) = tokio::time::timeout(wait, smtp.received.recv()).await else {
            let got: Vec<_> = received.keys().collect();
            assert!(all, "emails received: {got:?}; expected {expected:?}");
            return received;
        };
        let mail = mail.expect("SMTP sink");
        let id = mail
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("message-id")
                    .then(|| value.trim().trim_matches(['<', '>']).to_string())
            })
            .unwrap_or_else(|| "(no Message-ID)".into());
        received.entry(id).or_default().push(mail);
    }
}
