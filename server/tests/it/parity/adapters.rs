//! The three adapters as the parity test drives them, and the check that
//! an action wrote the same audit entry through each.

use serde_json::{Value, json};

use crate::support;
use crate::support::{ADMIN, Server};

/// Who performs an action, and how the audit log names them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Adapter {
    Dashboard,
    Rest,
    Cli,
}

/// The adapters under test, with what they need to act.
pub struct Adapters {
    pub server: Server,
    dashboard: reqwest::Client,
    pub rest: support::Api,
    key_id: i64,
}

impl Adapters {
    pub async fn start() -> Self {
        let server = Server::start(&["--demo"]);
        let dashboard = server.signed_in(ADMIN).await;
        let rest = server.client(&server.api_key("read,manage,ingest"));
        let keys = server.cli(&["apikey", "list"]);
        let key_id = keys
            .lines()
            .filter(|line| line.split_whitespace().nth(1) == Some("test"))
            .filter_map(|line| line.split_whitespace().next()?.parse().ok())
            .next_back()
            .expect("the test key is listed");
        Self {
            server,
            dashboard,
            rest,
            key_id,
        }
    }

    fn actor(&self, adapter: Adapter) -> String {
        match adapter {
            Adapter::Dashboard => format!("user:{ADMIN}"),
            Adapter::Rest => format!("apikey:{}", self.key_id),
            Adapter::Cli => "cli".into(),
        }
    }

    /// A server function, which must succeed.
    pub async fn call(&self, function: &str, args: Value) -> Value {
        let (status, body) = self
            .server
            .call(&self.dashboard, &format!("/api/{function}"), args)
            .await;
        assert_eq!(status, 200, "{function}: {body}");
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }

    /// A REST call, which must answer 2xx.
    pub async fn rest(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let (status, answer) = self
            .rest
            .send(method, &format!("/api/v1{path}"), body)
            .await;
        assert!((200..300).contains(&status), "{path}: {status} {answer}");
        answer
    }

    /// The newest audit entry: (actor, action, detail).
    /// The newest audit entry of `action`: (actor, action, detail). Other
    /// actions may follow it (the restore worker closing a batch at once).
    pub async fn last_audit(&self, action: &str) -> (String, String, String) {
        let log = self.call("get_audit_log", json!({})).await;
        let entries = log.as_array().expect("audit log");
        let entry = entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action} entry in {log}"));
        let text = |key: &str| entry[key].as_str().unwrap_or_default().to_string();
        (text("actor"), text("action"), text("detail"))
    }

    /// Ids of messages in a data state (REST list), most recent first.
    pub async fn messages_in(&self, state: &str, kind: &str) -> Vec<i64> {
        let page = self
            .rest(
                "GET",
                &format!("/messages?data_state={state}&kind={kind}&status=stopped&per_page=50"),
                None,
            )
            .await;
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|m| m["id"].as_i64())
            .collect()
    }
}

/// Replaces the ids and names an action was given with placeholders, so
/// entries written for different subjects compare equal. Only whole
/// tokens are replaced: message 12 must not touch the date 2999-12-31.
fn normalize(detail: &str, subject: &[(&str, String)]) -> String {
    let mut out = detail.to_string();
    for (placeholder, value) in subject {
        let mut replaced = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find(value.as_str()) {
            let before = rest[..at].chars().last();
            let after = rest[at + value.len()..].chars().next();
            let joined = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
            replaced.push_str(&rest[..at]);
            if joined(before) || joined(after) {
                replaced.push_str(value);
            } else {
                replaced.push_str(placeholder);
            }
            rest = &rest[at + value.len()..];
        }
        replaced.push_str(rest);
        out = replaced;
    }
    out
}

/// Runs `act` through each adapter on its own subject and checks each
/// wrote the expected entry, under its own name, and that the entries
/// agree once the subjects are blanked out.
pub async fn same_entry_from_each(
    adapters: &Adapters,
    action: &str,
    runs: Vec<(Adapter, Vec<(&str, String)>)>,
    mut act: impl AsyncFnMut(Adapter, &[(&str, String)]) -> Vec<(&'static str, String)>,
) {
    let mut seen: Vec<(Adapter, String)> = Vec::new();
    for (adapter, mut subject) in runs {
        // What the action made (a restore batch's id) is blanked out too.
        let made = act(adapter, &subject).await;
        subject.extend(made);
        let (actor, logged, detail) = adapters.last_audit(action).await;
        assert_eq!(
            actor,
            adapters.actor(adapter),
            "{action} through {adapter:?} was not audited as its actor (last entry: {logged} {detail:?})"
        );
        assert_eq!(logged, action, "{action} through {adapter:?}: {detail}");
        seen.push((adapter, normalize(&detail, &subject)));
    }
    let (first, expected) = &seen[0];
    for (adapter, detail) in &seen[1..] {
        assert_eq!(
            detail, expected,
            "{action}: {adapter:?} and {first:?} wrote different entries"
        );
    }
}
