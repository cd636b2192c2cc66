//! The expiry warning digest: before data expires, workspace admins get
//! one email listing what is about to move and what would lose it.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::domain::data_state;
use crate::error::Result;
use crate::store::{Db, MailDraft, Workspace};
use crate::types::DataState;

/// How far ahead admins are warned.
pub const WARNING_LEAD: Duration = Duration::days(7);

/// One message in a digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Upcoming {
    pub id: i64,
    pub name: String,
    pub expires_at: DateTime<Utc>,
    pub tags: Vec<String>,
    /// Segments and audiences that select by one of those tags.
    pub referenced_by: Vec<String>,
}

/// Queues a digest for the messages of `ws` expiring within the lead time
/// that nobody was warned about yet. Returns how many messages it named.
pub async fn queue_digest(
    db: &Db,
    ws: &Workspace,
    now: DateTime<Utc>,
    public_url: &str,
) -> Result<usize> {
    let mut soon = Vec::new();
    for candidate in db.expiry_candidates(ws).await? {
        if let (DataState::Available, Some(end)) = data_state(&candidate.facts, ws.retention, now)
            && end > now
            && end <= now + WARNING_LEAD
        {
            soon.push((candidate.id, candidate.name, end));
        }
    }
    let pairs: Vec<(i64, DateTime<Utc>)> = soon.iter().map(|(id, _, end)| (*id, *end)).collect();
    let fresh = db.unwarned_expiries(&pairs).await?;
    if fresh.is_empty() {
        return Ok(0);
    }
    let references = db.tag_references(ws).await?;
    let mut upcoming = Vec::new();
    for (id, name, end) in soon {
        if fresh.contains(&(id, end)) {
            let tags = db.message_tags(id).await?;
            let mut referenced_by: Vec<String> = references
                .iter()
                .filter(|r| tags.contains(&r.tag))
                .map(|r| format!("{} \"{}\" (by tag {})", r.owner_kind, r.owner_name, r.tag))
                .collect();
            referenced_by.sort();
            referenced_by.dedup();
            upcoming.push(Upcoming {
                id,
                name,
                expires_at: end,
                tags,
                referenced_by,
            });
        }
    }
    let mail = digest_mail(ws, &upcoming, db.admin_emails(ws).await?, public_url);
    db.record_expiry_warning(&fresh, &mail, now).await?;
    Ok(upcoming.len())
}

/// The digest itself; its key is derived from what it lists, so two
/// processes composing the same digest queue one mail.
pub fn digest_mail(
    ws: &Workspace,
    upcoming: &[Upcoming],
    recipients: Vec<String>,
    public_url: &str,
) -> MailDraft {
    let base = public_url.trim_end_matches('/');
    let mut text = format!(
        "The per-user interaction data of {} message(s) in workspace \"{}\" will move to \
         long-term storage soon. Aggregate analytics stay; retargeting filters will no longer \
         see these users until the data is restored.\n\n",
        upcoming.len(),
        ws.name
    );
    let mut fingerprint = Sha256::new();
    for m in upcoming {
        fingerprint.update(format!("{}:{};", m.id, m.expires_at.timestamp()));
        text.push_str(&format!(
            "- {} (expires {}): {base}/messages/{}\n",
            m.name,
            m.expires_at.format("%Y-%m-%d %H:%M UTC"),
            m.id
        ));
        if !m.referenced_by.is_empty() {
            text.push_str(&format!(
                "  Referenced by tag in: {}. These will stop seeing this message's users.\n",
                m.referenced_by.join(", ")
            ));
        } else if !m.tags.is_empty() {
            text.push_str(&format!(
                "  Tagged {}: no segment or audience selects by these tags today.\n",
                m.tags.join(", ")
            ));
        }
    }
    text.push_str(
        "\nTo keep a message's data, open it and choose \"Keep data available\", \
         or use it in an active message's audience.\n",
    );
    let digest = hex::encode(fingerprint.finalize());
    MailDraft {
        key: format!("expiry-warning-{}-{}@recall", ws.id, &digest[..16]),
        recipients,
        subject: format!(
            "Recall: interaction data of {} message(s) expires within 7 days",
            upcoming.len()
        ),
        text,
        html: None,
    }
}
