//! Outgoing email: SMTP when `RECALL_SMTP_URL` is set, otherwise `.eml` files in
//! an outbox directory, so a self-hosted install works without a mail server and
//! the dashboard can still show what would have been sent.
//!
//! `RECALL_SMTP_URL` convention (secure unless told otherwise, unlike lettre's
//! own `from_url`, where a bare `smtp://` means plaintext):
//!
//! | URL                                    | transport                      | default port |
//! |----------------------------------------|--------------------------------|--------------|
//! | `smtps://user:pass@host`               | implicit TLS                   | 465          |
//! | `smtp://user:pass@host`                | STARTTLS, required             | 587          |
//! | `smtp://host?tls=required`             | same as above, spelled out     | 587          |
//! | `smtp://host?tls=opportunistic`        | STARTTLS if offered (MITM-able)| 587          |
//! | `smtp://127.0.0.1:2525?tls=none`       | plaintext (loopback/test relay)| 25           |
//!
//! User and password are percent-encoded (`p%40ss` for `p@ss`); credentials are
//! used only when a password part is present (`user:pass@`). An optional path
//! (`smtp://host/mybox.example`) sets the EHLO name, as in lettre's URLs. An
//! empty URL means "not set": `RECALL_SMTP_URL=` is how compose files unset it.

use std::fmt;
use std::path::PathBuf;

use lettre::message::{Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// One email, fully described. `message_id` is deterministic (e.g.
/// "restore-batch-42@host") so a resend after a crash can be recognised by the
/// receiver and the outbox file name is stable (idempotent write). An id without
/// `@` gets the sender's domain appended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutgoingMail {
    pub message_id: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboxEntry {
    pub file: String,
    pub to: Vec<String>,
    pub subject: String,
    /// RFC 3339 (UTC) when the Date header parses, else the raw header.
    pub date: Option<String>,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail configuration: {0}")]
    Config(String),
    /// Text is scrubbed of the SMTP password before it gets here.
    #[error("sending mail failed: {0}")]
    Send(String),
    #[error("mail outbox i/o: {0}")]
    Io(String),
    /// Unknown or invalid outbox file name (the dashboard maps this to 404).
    #[error("no such outbox file: {0}")]
    NotFound(String),
}

// Boxing the transport would only save stack space; there is one Mailer per process.
#[allow(clippy::large_enum_variant)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        /// "host:port (mode)", safe to show.
        endpoint: String,
        /// Password forms to scrub from error texts (decoded and as written).
        secrets: Vec<String>,
    },
    Outbox {
        dir: PathBuf,
        from: Mailbox,
    },
}

// Hand-written so that no future field can leak credentials through `{:?}`.
impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Mailer").field(&self.describe()).finish()
    }
}

impl Mailer {
    /// `smtp_url`: RECALL_SMTP_URL if set; `outbox_dir`: used when it is not.
    /// `from`: e.g. "Recall <recall@localhost>".
    pub fn new(smtp_url: Option<&str>, from: &str, outbox_dir: PathBuf) -> Result<Self, MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| MailError::Config(format!("invalid from address {from:?}: {e}")))?;
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(Mailer::Outbox {
                dir: outbox_dir,
                from,
            }),
            Some(url) => smtp_mailer(url, from),
        }
    }

    /// Sends over SMTP, or writes `<outbox_dir>/<sanitised message_id>.eml`
    /// atomically; the same message_id always lands in the same file.
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let (from, id) = match self {
            Mailer::Smtp { from, .. } | Mailer::Outbox { from, .. } => {
                (from, message_id(&mail.message_id, from)?)
            }
        };
        let message = build_message(from, &id, mail)?;
        match self {
            Mailer::Smtp {
                transport, secrets, ..
            } => {
                transport
                    .send(message)
                    .await
                    .map_err(|e| MailError::Send(scrub(&e.to_string(), secrets)))?;
                tracing::info!(message_id = %id, to = ?mail.to, "mail sent via SMTP");
            }
            Mailer::Outbox { dir, .. } => {
                let (dir, file) = (dir.clone(), format!("{id}.eml"));
                let bytes = message.formatted();
                let path = tokio::task::spawn_blocking(move || write_atomic(&dir, &file, &bytes))
                    .await
                    .map_err(|e| MailError::Io(format!("outbox writer task failed: {e}")))??;
                tracing::info!(message_id = %id, path = %path.display(), "mail written to outbox");
            }
        }
        Ok(())
    }

    /// The outbox directory, when mail goes there rather than to SMTP.
    pub fn outbox_dir(&self) -> Option<&std::path::Path> {
        match self {
            Mailer::Outbox { dir, .. } => Some(dir),
            Mailer::Smtp { .. } => None,
        }
    }

    /// "SMTP host:port (TLS mode)" or "outbox <dir>"; never shows credentials.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { endpoint, .. } => format!("SMTP {endpoint}"),
            Mailer::Outbox { dir, .. } => format!("outbox {}", dir.display()),
        }
    }
}

fn smtp_mailer(raw: &str, from: Mailbox) -> Result<Mailer, MailError> {
    let url = SmtpUrl::parse(raw)?;
    // (label for describe(), default port, how to wrap the TLS parameters)
    let (mode, default_port, tls): (_, _, Option<WrapTls>) =
        match (url.scheme.to_ascii_lowercase().as_str(), url.tls) {
            ("smtps", None) => ("implicit TLS", 465, Some(Tls::Wrapper)),
            ("smtp", None | Some("required")) => ("STARTTLS", 587, Some(Tls::Required)),
            ("smtp", Some("opportunistic")) => {
                ("opportunistic STARTTLS", 587, Some(Tls::Opportunistic))
            }
            ("smtp", Some("none")) => ("no TLS", 25, None),
            // The tls value is not echoed: an unencoded `?` in a password would end up there.
            (scheme, tls) => {
                let with = if tls.is_some() {
                    " with this tls= value"
                } else {
                    ""
                };
                return Err(MailError::Config(format!(
                    "RECALL_SMTP_URL: scheme {scheme:?}{with} is not supported; use smtps://, \
                 smtp:// (STARTTLS) or smtp://...?tls=required|opportunistic|none"
                )));
            }
        };
    let port = url.port.unwrap_or(default_port);
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.as_str()).port(port);
    if let Some(wrap) = tls {
        let params = TlsParameters::new(url.host.clone())
            .map_err(|e| MailError::Config(format!("RECALL_SMTP_URL: cannot set up TLS: {e}")))?;
        builder = builder.tls(wrap(params));
    }
    let mut secrets = Vec::new();
    if let Some((user, password)) = url.credentials {
        if tls.is_none() {
            tracing::warn!(host = %url.host, "RECALL_SMTP_URL sends SMTP credentials without TLS");
        }
        secrets = [password.clone(), url.raw_password.to_owned()].into();
        secrets.retain(|s| !s.is_empty());
        builder = builder.credentials(Credentials::new(user, password));
    }
    if let Some(name) = url.ehlo {
        builder = builder.hello_name(ClientId::Domain(name.to_owned()));
    }
    let host = if url.host.contains(':') {
        format!("[{}]", url.host)
    } else {
        url.host
    };
    let endpoint = format!("{host}:{port} ({mode})");
    Ok(Mailer::Smtp {
        transport: builder.build(),
        from,
        endpoint,
        secrets,
    })
}

type WrapTls = fn(TlsParameters) -> Tls;

/// `scheme://[user[:password]@]host[:port][/ehlo-name][?tls=mode]`, parsed by
/// hand to avoid a URL crate. Errors never quote the input: it may hold the password.
struct SmtpUrl<'a> {
    scheme: &'a str,
    host: String,
    port: Option<u16>,
    /// Decoded user and password, present when the URL has `user:password@`.
    credentials: Option<(String, String)>,
    raw_password: &'a str,
    ehlo: Option<&'a str>,
    tls: Option<&'a str>,
}

impl<'a> SmtpUrl<'a> {
    fn parse(raw: &'a str) -> Result<Self, MailError> {
        let bad =
            |why: &str| MailError::Config(format!("RECALL_SMTP_URL is not a valid URL: {why}"));
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| bad("expected scheme://host"))?;
        let rest = rest.split('#').next().unwrap_or_default();
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("", authority));
        let (host, port) = match hostport.strip_prefix('[') {
            Some(v6) => v6
                .split_once(']')
                .ok_or_else(|| bad("unclosed [ in host"))?,
            None => hostport.rsplit_once(':').unwrap_or((hostport, "")),
        };
        let port = port.strip_prefix(':').unwrap_or(port);
        let port = match port {
            "" => None,
            p => Some(
                p.parse()
                    .map_err(|_| bad("port is not a number from 0 to 65535"))?,
            ),
        };
        let host_chars = |c: char| c.is_ascii_alphanumeric() || ".-_:".contains(c);
        if host.is_empty() || !host.chars().all(host_chars) {
            return Err(bad("missing or malformed host"));
        }
        let decode = |part: &str| {
            String::from_utf8(unescape(part, b'%'))
                .map_err(|_| bad("user or password is not percent-encoded UTF-8"))
        };
        let (credentials, raw_password) = match userinfo.split_once(':') {
            Some((user, password)) => (Some((decode(user)?, decode(password)?)), password),
            None => (None, ""),
        };
        let mut tls = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("tls", mode)) if tls.is_none() => tls = Some(mode),
                _ => return Err(bad("the only query parameter is a single tls=")),
            }
        }
        let ehlo = Some(path.trim_matches('/')).filter(|p| !p.is_empty());
        Ok(SmtpUrl {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            credentials,
            raw_password,
            ehlo,
            tls,
        })
    }
}

/// Replaces every occurrence of a secret; a belt-and-braces guard in case a
/// server or library echoes what it was given.
fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_owned(), |t, s| t.replace(s.as_str(), "***"))
}

/// The id used both in the Message-ID header and as the outbox file stem. Only
/// characters that are safe in a header and in a file name on any OS survive.
fn message_id(raw: &str, from: &Mailbox) -> Result<String, MailError> {
    let raw = raw.trim().trim_start_matches('<').trim_end_matches('>');
    if raw.is_empty() {
        return Err(MailError::Config("mail has an empty message_id".into()));
    }
    let mut id = sanitise(raw);
    if !id.contains('@') {
        id = sanitise(&format!("{id}@{}", from.email.domain()));
    }
    Ok(id)
}

pub(super) fn sanitise(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._@+=-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    // A leading dot would make the file hidden and collide with our temp files.
    if s.starts_with('.') {
        s.replace_range(0..1, "_");
    }
    s
}

fn build_message(from: &Mailbox, id: &str, mail: &OutgoingMail) -> Result<Message, MailError> {
    if mail.to.is_empty() {
        return Err(MailError::Config(format!("mail {id} has no recipients")));
    }
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{id}>")));
    for to in &mail.to {
        let mbox: Mailbox = to
            .parse()
            .map_err(|e| MailError::Config(format!("invalid recipient {to:?}: {e}")))?;
        builder = builder.to(mbox);
    }
    let built = match &mail.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            html.clone(),
        )),
        None => builder.singlepart(SinglePart::plain(mail.text.clone())),
    };
    built.map_err(|e| MailError::Config(format!("cannot build mail {id}: {e}")))
}

mod outbox;

pub use outbox::{list_outbox, read_outbox};
use outbox::{unescape, write_atomic};

#[cfg(test)]
mod tests;
