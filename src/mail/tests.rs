//! Mail tests: the outbox on disk and a real SMTP exchange on loopback.

use super::outbox::*;
use super::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::oneshot;

type TestResult = Result<(), Box<dyn std::error::Error>>;
const FROM: &str = "Recall <recall@localhost>";
const BOUND: std::time::Duration = std::time::Duration::from_secs(10);

fn mail(id: &str, subject: &str, html: Option<&str>) -> OutgoingMail {
    OutgoingMail {
        message_id: id.into(),
        to: vec![
            "Ops Team <ops@example.com>".into(),
            "b@example.org".into(),
            "\"Dö, Jö\" <j@example.net>".into(),
        ],
        subject: subject.into(),
        text: "Batch 42 is restored.\n".into(),
        html: html.map(str::to_owned),
    }
}

#[tokio::test]
async fn outbox_round_trip_overwrite_and_unicode() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("outbox");
    assert!(
        list_outbox(&dir)?.is_empty(),
        "missing dir is an empty outbox"
    );
    let mailer = Mailer::new(None, FROM, dir.clone())?;
    assert_eq!(mailer.describe(), format!("outbox {}", dir.display()));

    let subject = "Wiederherstellung abgeschlossen: Bücher ✓ — 復元完了, long enough to fold";
    mailer
        .send(&mail("restore-batch-42@recall", "first", None))
        .await?;
    mailer
        .send(&mail("restore-batch-42@recall", subject, None))
        .await?;
    mailer
        .send(&mail("expiry-digest-7", "digest", Some("<p>hi</p>")))
        .await?;

    let listed = list_outbox(&dir)?;
    assert_eq!(
        listed.len(),
        2,
        "same message_id must overwrite: {listed:?}"
    );
    assert_eq!(
        std::fs::read_dir(&dir)?.count(),
        2,
        "no temp files left behind"
    );

    let restore = listed
        .iter()
        .find(|e| e.file == "restore-batch-42@recall.eml")
        .ok_or("restore mail not listed")?;
    assert_eq!(restore.subject, subject);
    let to = [
        "\"Ops Team\" <ops@example.com>",
        "b@example.org",
        "Dö, Jö <j@example.net>",
    ];
    assert_eq!(restore.to, to);
    assert!(
        restore.date.as_deref().is_some_and(|d| d.contains('T')),
        "{restore:?}"
    );
    let body = read_outbox(&dir, &restore.file)?;
    assert_eq!(restore.bytes, body.len() as u64);
    assert!(
        body.contains("Message-ID: <restore-batch-42@recall>"),
        "{body}"
    );
    assert!(
        body.contains("=?utf-8?b?"),
        "subject went through RFC 2047: {body}"
    );
    assert!(!body.contains("multipart"), "plain mail stays single part");

    // An id without a domain borrows the sender's.
    let digest = read_outbox(&dir, "expiry-digest-7@localhost.eml")?;
    assert!(digest.contains("multipart/alternative"), "{digest}");
    assert!(
        digest.contains("text/plain") && digest.contains("text/html"),
        "{digest}"
    );
    Ok(())
}

#[test]
fn read_outbox_refuses_traversal_and_unlisted_names() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("outbox");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(tmp.path().join("secret.eml"), "x")?;
    std::fs::write(dir.join(".hidden.eml.1.tmp"), "x")?;
    std::fs::write(dir.join("notes.txt"), "x")?;
    #[cfg(unix)]
    std::os::unix::fs::symlink(tmp.path().join("secret.eml"), dir.join("link@x.eml"))?;
    let refused = [
        "../secret.eml",
        "..%2Fsecret.eml",
        "/etc/passwd",
        "a/b.eml",
        ".hidden.eml.1.tmp",
        "notes.txt",
        "",
        ".eml",
        "missing@x.eml",
        "link@x.eml",
    ];
    for name in refused {
        let result = read_outbox(&dir, name);
        assert!(
            matches!(result, Err(MailError::NotFound(_))),
            "{name}: {result:?}"
        );
    }
    assert!(
        list_outbox(&dir)?.is_empty(),
        "temp and non-.eml files are not listed"
    );
    Ok(())
}

#[test]
fn config_errors_are_clear_and_never_leak_the_password() -> TestResult {
    let dir = PathBuf::from("/nonexistent");
    let config = |url: Option<&str>, from: &str| match Mailer::new(url, from, dir.clone()) {
        Err(MailError::Config(message)) => message,
        other => format!("expected a Config error, got {other:?}"),
    };
    assert!(config(None, "not an address").starts_with("invalid from"));
    let cases = [
        ("http://u:hunter2@mail.example.com", "scheme \"http\""),
        (
            "smtp://u:hunter2@mail.example.com?tls=maybe",
            "this tls= value",
        ),
        (
            "smtps://u:hunter2@mail.example.com?tls=none",
            "\"smtps\" with this tls=",
        ),
        ("smtp://u:hunter2@mail.example.com?tsl=none", "single tls="),
        (
            "smtp://u:hunter2@mail.example.com?tls=none&tls=none",
            "single tls=",
        ),
        ("smtp://u:hunter2@:25", "malformed host"),
        ("smtp://u:hunter2@mail example.com", "malformed host"),
        ("smtp://u:hunter2@mail.example.com:99999", "port"),
        ("smtp://u:hunter2/x@mail.example.com", "port"),
        ("smtp://u:hunter2%ff@mail.example.com", "percent-encoded"),
        ("not a url hunter2", "scheme://host"),
    ];
    for (url, expected) in cases {
        let message = config(Some(url), FROM);
        assert!(message.contains(expected), "{url}: {message}");
        assert!(!message.contains("hunter2"), "{url}: {message}");
    }

    let describe = |url: &str| Mailer::new(Some(url), FROM, dir.clone()).map(|m| m.describe());
    let starttls = describe("smtp://me%40example.com:hunter2@mail.example.com")?;
    assert_eq!(starttls, "SMTP mail.example.com:587 (STARTTLS)");
    let implicit = describe("SMTPS://u:hunter2@mail.example.com")?;
    assert_eq!(implicit, "SMTP mail.example.com:465 (implicit TLS)");
    assert_eq!(
        describe("smtp://127.0.0.1:2525?tls=none")?,
        "SMTP 127.0.0.1:2525 (no TLS)"
    );
    assert_eq!(describe("smtp://[::1]?tls=none")?, "SMTP [::1]:25 (no TLS)");
    let ehlo = describe("smtp://u:p%3Fw@Mail.Example.com:2525/box.example?tls=required")?;
    assert_eq!(ehlo, "SMTP mail.example.com:2525 (STARTTLS)");
    let mailer = Mailer::new(Some("smtp://u:hunter2@h:2587?tls=opportunistic"), FROM, dir)?;
    let shown = format!("{mailer:?} {}", mailer.describe());
    assert!(
        shown.contains("h:2587 (opportunistic") && !shown.contains("hunter2"),
        "{shown}"
    );
    let blank = Mailer::new(Some("  "), FROM, PathBuf::from("/x"))?;
    assert!(
        matches!(blank, Mailer::Outbox { .. }),
        "blank URL means outbox"
    );
    Ok(())
}

#[test]
fn encoded_words_decode() {
    let mixed = "=?utf-8?b?QsO8Y2hlcg==?= und =?UTF-8?Q?B=C3=BCcher_x?=";
    assert_eq!(decode_rfc2047(mixed), "Bücher und Bücher x");
    // A character split across two adjacent words, folded whitespace between them.
    assert_eq!(decode_rfc2047("=?utf-8?q?B=C3?=\t=?utf-8?q?=BC?="), "Bü");
    let plain = "plain =? not encoded ?= text";
    assert_eq!(decode_rfc2047(plain), plain);
    assert_eq!(unescape("p%40ss%2", b'%'), b"p@ss%2");
    assert_eq!(unescape("=+1=3D", b'='), b"=+1=");
}

/// Just enough of an SMTP server to accept one session; everything the
/// client said comes back through the channel when the session ends.
async fn smtp_receiver(
    auth_reply: &'static str,
) -> std::io::Result<(u16, oneshot::Receiver<String>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let (mut transcript, mut in_data) = (String::new(), false);
        let mut reply = "220 test ESMTP\r\n";
        loop {
            if write.write_all(reply.as_bytes()).await.is_err() || reply.starts_with("221") {
                break;
            }
            let Ok(Some(line)) = lines.next_line().await else {
                break;
            };
            transcript.push_str(&line);
            transcript.push('\n');
            reply = if in_data {
                in_data = line != ".";
                if in_data { "" } else { "250 queued\r\n" }
            } else {
                match line
                    .get(..4)
                    .unwrap_or_default()
                    .to_ascii_uppercase()
                    .as_str()
                {
                    "EHLO" | "HELO" => "250-test\r\n250 AUTH PLAIN LOGIN\r\n",
                    "AUTH" => auth_reply,
                    "MAIL" | "RCPT" | "RSET" | "NOOP" => "250 ok\r\n",
                    "DATA" => {
                        in_data = true;
                        "354 go ahead\r\n"
                    }
                    "QUIT" => "221 bye\r\n",
                    _ => "500 what\r\n",
                }
            };
        }
        let _ = tx.send(transcript);
    });
    Ok((port, rx))
}

#[tokio::test]
async fn smtp_delivery_over_loopback() -> TestResult {
    let (port, transcript) = smtp_receiver("502 no\r\n").await?;
    let url = format!("smtp://127.0.0.1:{port}/box.example?tls=none");
    let mailer = Mailer::new(Some(&url), FROM, PathBuf::from("/nonexistent"))?;
    assert_eq!(mailer.describe(), format!("SMTP 127.0.0.1:{port} (no TLS)"));
    let subject = "Restore complete: batch 42";
    mailer
        .send(&mail("restore-batch-42@recall", subject, None))
        .await?;
    let got = tokio::time::timeout(BOUND, transcript).await??;
    let expected = [
        "EHLO box.example\n",
        "MAIL FROM:<recall@localhost>",
        "RCPT TO:<ops@example.com>",
        "RCPT TO:<b@example.org>",
        "\nDATA\n",
        "Subject: Restore complete: batch 42",
        "To: \"Ops Team\" <ops@example.com>, b@example.org",
        "Message-ID: <restore-batch-42@recall>",
        "Batch 42 is restored.",
        "\n.\nQUIT\n",
    ];
    for needle in expected {
        assert!(got.contains(needle), "missing {needle:?} in:\n{got}");
    }
    assert!(!got.contains("AUTH"), "no credentials, no AUTH:\n{got}");
    Ok(())
}

#[tokio::test]
async fn bare_smtp_url_refuses_a_server_without_starttls() -> TestResult {
    let (port, transcript) = smtp_receiver("502 no\r\n").await?;
    let url = format!("smtp://user:pw@127.0.0.1:{port}");
    let mailer = Mailer::new(Some(&url), FROM, PathBuf::from("/nonexistent"))?;
    let result = mailer.send(&mail("m0@recall", "x", None)).await;
    assert!(matches!(result, Err(MailError::Send(_))), "{result:?}");
    let got = tokio::time::timeout(BOUND, transcript).await??;
    assert!(
        !got.contains("AUTH") && !got.contains("MAIL"),
        "leaked in clear:\n{got}"
    );
    Ok(())
}

#[tokio::test]
async fn smtp_errors_scrub_the_password() -> TestResult {
    // A misbehaving server echoing the password must not get it into our error text.
    let (port, transcript) = smtp_receiver("535 5.7.8 bad credentials: s3cr3t/pw\r\n").await?;
    let url = format!("smtp://user:s3cr3t%2Fpw@127.0.0.1:{port}?tls=none");
    let mailer = Mailer::new(Some(&url), FROM, PathBuf::from("/nonexistent"))?;
    let result = mailer.send(&mail("m1@recall", "x", None)).await;
    let Err(err @ MailError::Send(_)) = result else {
        return Err(format!("expected a Send error, got {result:?}").into());
    };
    let text = err.to_string();
    assert!(text.contains("535") && text.contains("***"), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
    let got = tokio::time::timeout(BOUND, transcript).await??;
    // The percent-encoded password reached the server decoded.
    let auth = got.lines().find_map(|l| l.strip_prefix("AUTH PLAIN "));
    let auth = auth.and_then(decode_base64).ok_or("no AUTH PLAIN")?;
    assert_eq!(auth, b"\0user\0s3cr3t/pw");
    Ok(())
}
