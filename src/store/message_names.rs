//! Message names for pages that only show them (segment users, pickers),
//! read for a whole set of ids at once.

use super::sql::{Pool, QueryBuilder};
use super::{Db, Workspace};
use crate::error::Result;

impl Db {
    /// `(id, name)` of the messages of `ws` among `ids`, in id order; ids
    /// that are not there are left out.
    pub async fn message_names(&self, ws: &Workspace, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new("SELECT id, name FROM messages WHERE workspace_id = ");
        q.push_bind(ws.id);
        q.push(" AND id IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(") ORDER BY id");
        let pool: &Pool = self.pool();
        Ok(q.build_query_as::<(i64, String)>().fetch_all(pool).await?)
    }
}
