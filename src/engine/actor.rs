//! Who is asking. Every use case takes an [`Actor`]: it names the
//! workspace the request may touch, what the audit log records, and where
//! a restore's completion mail goes.

use crate::store::{ApiKey, Session, Workspace};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Who {
    /// A signed-in person on the dashboard; restores mail them.
    User { email: String },
    /// A REST client; nobody is mailed unless the request names someone.
    ApiKey { id: i64 },
    /// The command line on the server's host.
    Cli,
}

#[derive(Debug, Clone)]
pub struct Actor {
    workspace: Workspace,
    who: Who,
}

impl Actor {
    /// The person behind a dashboard session.
    pub fn user(session: &Session) -> Self {
        Self {
            workspace: session.workspace.clone(),
            who: Who::User {
                email: session.email.clone(),
            },
        }
    }

    /// A REST client, in the workspace its key belongs to.
    pub fn api_key(key: &ApiKey, workspace: Workspace) -> Self {
        Self {
            workspace,
            who: Who::ApiKey { id: key.id },
        }
    }

    /// A person named by address, without a session (tests and tools
    /// acting for someone; the dashboard uses [`Actor::user`]).
    pub fn person(workspace: Workspace, email: &str) -> Self {
        Self {
            workspace,
            who: Who::User {
                email: email.to_string(),
            },
        }
    }

    /// An operator at the command line.
    pub fn cli(workspace: Workspace) -> Self {
        Self {
            workspace,
            who: Who::Cli,
        }
    }

    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// The audit log's name for this actor: `user:EMAIL`, `apikey:ID` or
    /// `cli`.
    pub fn audit_name(&self) -> String {
        match &self.who {
            Who::User { email } => format!("user:{email}"),
            Who::ApiKey { id } => format!("apikey:{id}"),
            Who::Cli => "cli".into(),
        }
    }

    /// Who gets a restore's completion mail by default.
    pub fn email(&self) -> Option<&str> {
        match &self.who {
            Who::User { email } => Some(email),
            Who::ApiKey { .. } | Who::Cli => None,
        }
    }

    /// A request for exactly these messages, in this actor's name.
    pub(crate) fn restore_of(&self, ids: Vec<i64>) -> crate::store::NewBatch {
        let email = self.email().map(str::to_string);
        crate::store::NewBatch::for_messages(self.audit_name(), email, ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RetentionWindow;

    fn workspace() -> Workspace {
        Workspace {
            id: 7,
            slug: "default".into(),
            name: "Default".into(),
            retention: RetentionWindow::from_months(Some(3)),
            timezone: "UTC".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn each_kind_of_actor_has_its_audit_name_and_mail_address() {
        let cli = Actor::cli(workspace());
        assert_eq!(cli.audit_name(), "cli");
        assert_eq!(cli.email(), None);
        let session = Session {
            user_id: 1,
            email: "ann@example.com".into(),
            workspace: workspace(),
            role: crate::types::Role::Editor,
        };
        let user = Actor::user(&session);
        assert_eq!(user.audit_name(), "user:ann@example.com");
        assert_eq!(
            user.restore_of(vec![3]).requester_email.as_deref(),
            Some("ann@example.com")
        );
        assert_eq!(user.workspace().id, 7);
    }
}
