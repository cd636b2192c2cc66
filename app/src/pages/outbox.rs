//! Outbox: the email Recall wrote to disk because no SMTP server is
//! configured (`RECALL_SMTP_URL` unset), newest first, and one mail's
//! text. Admins only: mail names people and messages across the workspace.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use recall::types::OutboxMail;

use crate::api::get_viewer;
use crate::api_restores::{list_outbox, read_outbox_mail};
use crate::components::{EmptyState, ErrorState};
use crate::format;

#[component]
pub fn OutboxPage() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| get_viewer());
    view! {
        <Title text="Outbox"/>
        <header class="page-header">
            <div>
                <h1>"Outbox"</h1>
                <p class="subtitle">"Email Recall would have sent, kept as files because no SMTP server is configured."</p>
            </div>
        </header>
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(v) if v.is_admin() => view! { <Mailbox/> }.into_any(),
                    Ok(v) => view! {
                        <div class="error-state forbidden" role="alert" data-testid="forbidden">
                            <p class="forbidden-code">"403"</p>
                            <h2>"Only admins can read the outbox"</h2>
                            <p>{format!("Mail can name anyone in the workspace. You are signed in as {} ({}).", v.email, v.role.as_str())}</p>
                            <a class="button secondary" href="/campaigns">"Go to Campaigns"</a>
                        </div>
                    }
                    .into_any(),
                    Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The list, and the mail named by `?file=` above it.
#[component]
fn Mailbox() -> impl IntoView {
    let mails = Resource::new(|| (), |_| list_outbox());
    let url = use_query_map();
    let file = Memo::new(move |_| url.with(|m| m.get("file")).filter(|f| !f.is_empty()));
    let raw = Resource::new(
        move || file.get(),
        |file| async move {
            match file {
                Some(f) => read_outbox_mail(f).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match raw.await {
                    Ok(Some(text)) => Some(view! { <MailView raw=text/> }.into_any()),
                    Ok(None) => None,
                    Err(err) => Some(view! {
                        <p class="form-error" role="alert">{format::failure(&err)}</p>
                    }.into_any()),
                }
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match mails.await {
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState
                            title="The outbox is empty"
                            detail="When RECALL_SMTP_URL is not set, every email Recall sends (restore completions, expiry warnings, SMTP tests) is written to <data-dir>/outbox as an .eml file and listed here. With SMTP configured, mail goes to the server instead."
                        />
                    }
                    .into_any(),
                    Ok(list) => view! { <MailTable list file/> }.into_any(),
                    Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MailTable(list: Vec<OutboxMail>, file: Memo<Option<String>>) -> impl IntoView {
    let n = list.len();
    view! {
        <p class="result-count">{if n == 1 { "1 mail".to_string() } else { format!("{} mails", format::count(n as i64)) }}</p>
        <table class="table outbox" data-testid="outbox">
            <thead>
                <tr>
                    <th scope="col">"Date"</th>
                    <th scope="col">"To"</th>
                    <th scope="col">"Subject"</th>
                    <th scope="col" class="num">"Size"</th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|m| {
                    let name = m.file.clone();
                    let current = move || file.with(|f| f.as_deref() == Some(name.as_str()));
                    let marked = current.clone();
                    let href = format!("/outbox?file={}", encode(&m.file));
                    view! {
                        <tr class:current=marked data-file=m.file.clone()>
                            <td class="nowrap">{m.date.as_deref().map(short_date).unwrap_or_else(|| "—".into())}</td>
                            <td>{m.to.join(", ")}</td>
                            <td>
                                <A href=href attr:class="row-link" attr:aria-current=move || current().then_some("true")>
                                    {if m.subject.is_empty() { "(no subject)".to_string() } else { m.subject.clone() }}
                                </A>
                            </td>
                            <td class="num">{format::bytes(m.bytes as i64)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// One mail: its headers, its text decoded, and the raw file.
#[component]
fn MailView(raw: String) -> impl IntoView {
    let mail = parse(&raw);
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let subject = header("subject");
    view! {
        <section class="card mail" aria-labelledby="mail-subject" data-testid="mail">
            <div class="card-head">
                <h2 id="mail-subject">{subject}</h2>
                <A href="/outbox" attr:class="button link small">"Close"</A>
            </div>
            <dl class="facts mail-facts">
                <dt>"From"</dt><dd>{header("from")}</dd>
                <dt>"To"</dt><dd>{header("to")}</dd>
                <dt>"Date"</dt><dd>{header("date")}</dd>
            </dl>
            <pre class="mail-body" data-testid="mail-body">{mail.body}</pre>
            <details class="mail-raw">
                <summary>"Raw message (.eml)"</summary>
                <pre data-testid="mail-raw">{raw.clone()}</pre>
            </details>
        </section>
    }
    .into_any()
}

/// An RFC 3339 date as the dashboard shows dates.
fn short_date(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|d| format::date_time(d.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| rfc3339.to_string())
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Parsed {
    headers: Vec<(String, String)>,
    body: String,
}

/// Headers (unfolded) and the body; a quoted-printable text body is
/// decoded so it reads as sent. Anything else is shown as it is.
fn parse(raw: &str) -> Parsed {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let qp = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-transfer-encoding")
            && v.eq_ignore_ascii_case("quoted-printable")
    });
    let body = if qp {
        quoted_printable(body)
    } else {
        body.to_string()
    };
    Parsed { headers, body }
}

fn quoted_printable(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' => match text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(b'=');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_printable_body_reads_as_sent() {
        let raw = "Subject: Recall: restore\r\n finished\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nWebinar =E2=80=93 EU: restored, 51 events fo=\r\nr retargeting\r\n";
        let mail = parse(raw);
        assert_eq!(mail.headers[0].1, "Recall: restore finished");
        assert_eq!(
            mail.body,
            "Webinar – EU: restored, 51 events for retargeting\n"
        );
    }

    #[test]
    fn other_bodies_are_left_alone() {
        let mail = parse("Subject: x\n\n100% = done\n");
        assert_eq!(mail.body, "100% = done\n");
    }
}
