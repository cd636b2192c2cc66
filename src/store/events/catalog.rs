//! What ingest needs to know about each message of a batch (its variant
//! and step keys), and the mapping of an event's keys to their ordinals.

use std::collections::HashMap;

use crate::domain::ParsedEvent;
use crate::error::Result;
use crate::store::Workspace;
use crate::store::sql::{QueryBuilder, Tx, query_as};

/// What ingest needs to know about a message to accept its events.
pub(super) struct Catalog {
    variants: HashMap<String, i64>,
    steps: HashMap<String, i64>,
}

pub(super) async fn load_catalog(
    conn: &mut Tx,
    ws: &Workspace,
    events: &[(usize, ParsedEvent)],
) -> Result<HashMap<i64, Catalog>> {
    let mut ids: Vec<i64> = events.iter().map(|(_, e)| e.message_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut catalog: HashMap<i64, Catalog> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut qb = QueryBuilder::new("SELECT id FROM messages WHERE workspace_id = ");
        qb.push_bind(ws.id).push(" AND id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(")");
        let found: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
        for id in found {
            let variants: Vec<(String, i64)> =
                query_as("SELECT key, ord FROM variants WHERE message_id = ?")
                    .bind(id)
                    .fetch_all(&mut *conn)
                    .await?;
            let steps: Vec<(String, i64)> =
                query_as("SELECT key, ord FROM steps WHERE message_id = ?")
                    .bind(id)
                    .fetch_all(&mut *conn)
                    .await?;
            catalog.insert(
                id,
                Catalog {
                    variants: variants.into_iter().collect(),
                    steps: steps.into_iter().collect(),
                },
            );
        }
    }
    Ok(catalog)
}

/// Maps variant and step keys to ordinals; 0 means none.
pub(super) fn resolve(
    catalog: &HashMap<i64, Catalog>,
    event: &ParsedEvent,
) -> Result<(i64, i64), String> {
    let Some(message) = catalog.get(&event.message_id) else {
        return Err(format!("message {} not found", event.message_id));
    };
    let variant = match &event.variant {
        Some(key) => *message
            .variants
            .get(key)
            .ok_or_else(|| format!("message {} has no variant {key:?}", event.message_id))?,
        None => 0,
    };
    let step = match &event.step {
        Some(key) => *message
            .steps
            .get(key)
            .ok_or_else(|| format!("message {} has no step {key:?}", event.message_id))?,
        None => 0,
    };
    Ok((variant, step))
}
