//! Delivers queued mail. Mail is queued with the change it reports and
//! sent afterwards; a crash between sending and marking it sent resends it
//! with the same Message-ID, which receivers (and the outbox, by file name)
//! recognise as the same mail.

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::mail::{MailError, Mailer, OutgoingMail};
use crate::store::Db;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
}

/// Sends every pending mail once; failures stay queued with their reason.
pub async fn deliver_pending(db: &Db, mailer: &Mailer, now: DateTime<Utc>) -> Result<Delivery> {
    let mut delivery = Delivery::default();
    for mail in db.pending_mail(100).await? {
        let outgoing = OutgoingMail {
            message_id: mail.key.clone(),
            to: mail.recipients.clone(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
        };
        match mailer.send(&outgoing).await {
            Ok(()) => {
                db.mark_mail_sent(mail.id, now).await?;
                delivery.sent += 1;
            }
            Err(e) => {
                tracing::warn!(mail = mail.key, error = %e, "mail delivery failed; will retry");
                let reason = match &e {
                    MailError::Config(_) | MailError::Send(_) | MailError::Io(_) => e.to_string(),
                    MailError::NotFound(_) => "outbox unavailable".to_string(),
                };
                db.mark_mail_failed(mail.id, &reason).await?;
                delivery.failed += 1;
            }
        }
    }
    Ok(delivery)
}
