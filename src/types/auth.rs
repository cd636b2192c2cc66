//! Who is signed in, as the dashboard sees it.

use serde::{Deserialize, Serialize};

use super::message::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub email: String,
    pub workspace: String,
    pub role: Role,
}

impl Viewer {
    pub fn can_edit(&self) -> bool {
        self.role.allows(Role::Editor)
    }

    pub fn is_admin(&self) -> bool {
        self.role.allows(Role::Admin)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "engine", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub detail: String,
}
