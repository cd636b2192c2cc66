//! Exact audience evaluation in SQL, per user (per profile), on the
//! clustered events key: each filter is a set of profile ids; a group is
//! their union, the audience the intersection of its groups, and "not"
//! the complement within the workspace's users. Nothing is loaded into
//! memory but the answer.

use chrono::{DateTime, Utc};

use super::sql::QueryBuilder;
use super::{Db, Workspace, to_ms};
use crate::domain::filters::day_bounds;
use crate::domain::{Audience, DaysAgo, EventKind, Rule};
use crate::error::{Error, Result};

/// One user of an audience.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AudienceUser {
    pub profile_id: i64,
    pub external_id: String,
}

impl Db {
    /// Exact number of users matching every audience in `audiences`
    /// (a message's own filters AND its segments).
    pub async fn count_audience(
        &self,
        ws: &Workspace,
        audiences: &[&Audience],
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM profiles p WHERE ");
        push_conditions(&mut qb, ws, audiences, now)?;
        Ok(qb.build_query_scalar().fetch_one(self.pool()).await?)
    }

    /// A page of matching users in profile order, after `after`.
    pub async fn audience_users(
        &self,
        ws: &Workspace,
        audiences: &[&Audience],
        now: DateTime<Utc>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AudienceUser>> {
        let mut qb =
            QueryBuilder::new("SELECT p.id AS profile_id, p.external_id FROM profiles p WHERE ");
        push_conditions(&mut qb, ws, audiences, now)?;
        qb.push(" AND p.id > ").push_bind(after);
        qb.push(" ORDER BY p.id LIMIT ").push_bind(limit);
        Ok(qb.build_query_as().fetch_all(self.pool()).await?)
    }

    /// Of the messages an audience draws on (named, or covered by a tag),
    /// those whose data is not hot: `(id, name)`.
    pub async fn expired_inputs(
        &self,
        ws: &Workspace,
        audiences: &[&Audience],
    ) -> Result<Vec<(i64, String)>> {
        let mut named: Vec<i64> = audiences.iter().flat_map(|a| a.named_messages()).collect();
        named.sort_unstable();
        named.dedup();
        let mut tags: Vec<String> = audiences.iter().flat_map(|a| a.tags()).collect();
        tags.sort();
        tags.dedup();
        if named.is_empty() && tags.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb =
            QueryBuilder::new("SELECT m.id, m.name FROM messages m WHERE m.workspace_id = ");
        qb.push_bind(ws.id)
            .push(" AND m.location != 'hot' AND (m.id IN (");
        let mut ids = qb.separated(", ");
        ids.push_bind(0_i64);
        for id in &named {
            ids.push_bind(*id);
        }
        qb.push(") OR m.id IN (SELECT mt.message_id FROM message_tags mt JOIN tags t ON t.id = mt.tag_id WHERE t.workspace_id = ");
        qb.push_bind(ws.id).push(" AND t.name IN (");
        let mut names = qb.separated(", ");
        names.push_bind("");
        for tag in &tags {
            names.push_bind(tag.clone());
        }
        qb.push("))) ORDER BY m.id");
        Ok(qb.build_query_as().fetch_all(self.pool()).await?)
    }
}

fn push_conditions(
    qb: &mut QueryBuilder,
    ws: &Workspace,
    audiences: &[&Audience],
    now: DateTime<Utc>,
) -> Result<()> {
    let tz: chrono_tz::Tz = ws.timezone.parse().unwrap_or(chrono_tz::UTC);
    qb.push("p.workspace_id = ").push_bind(ws.id);
    for audience in audiences {
        for group in &audience.all {
            qb.push(" AND (");
            for (i, filter) in group.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                if filter.negate {
                    qb.push("NOT ");
                }
                push_rule(qb, ws, &filter.rule, now, &tz)?;
            }
            qb.push(")");
        }
    }
    Ok(())
}

const RECEIVED: i64 = 1;
const OPENED: i64 = 2;
const CLICKED: i64 = 3;

fn push_rule(
    qb: &mut QueryBuilder,
    ws: &Workspace,
    rule: &Rule,
    now: DateTime<Utc>,
    tz: &chrono_tz::Tz,
) -> Result<()> {
    let one_message = |qb: &mut QueryBuilder, message_id: i64, kinds: &[i64]| {
        qb.push("p.id IN (SELECT e.profile_id FROM events e WHERE e.message_id = ")
            .push_bind(message_id);
        push_kinds(qb, kinds);
    };
    let step = |qb: &mut QueryBuilder, message_id: i64, step: &Option<String>| {
        if let Some(key) = step {
            qb.push(" AND e.step = (SELECT ord FROM steps WHERE message_id = ")
                .push_bind(message_id)
                .push(" AND key = ")
                .push_bind(key.clone())
                .push(")");
        }
    };
    match rule {
        Rule::Received {
            message_id,
            step: s,
        } => {
            one_message(qb, *message_id, &[RECEIVED]);
            step(qb, *message_id, s);
            qb.push(")");
        }
        Rule::Opened {
            message_id,
            step: s,
            exclude_machine_opens,
        } => {
            one_message(qb, *message_id, &[OPENED]);
            step(qb, *message_id, s);
            if *exclude_machine_opens {
                qb.push(" AND e.machine = 0");
            }
            qb.push(")");
        }
        Rule::Clicked {
            message_id,
            step: s,
            link,
        } => {
            one_message(qb, *message_id, &[CLICKED]);
            step(qb, *message_id, s);
            if let Some(link) = link {
                qb.push(" AND e.link = ").push_bind(link.clone());
            }
            qb.push(")");
        }
        Rule::Engaged {
            message_id,
            step: s,
            exclude_machine_opens,
        } => {
            one_message(qb, *message_id, &[OPENED, CLICKED]);
            step(qb, *message_id, s);
            if *exclude_machine_opens {
                qb.push(" AND NOT (e.kind = 2 AND e.machine = 1)");
            }
            qb.push(")");
        }
        Rule::Converted {
            message_id,
            step: s,
        } => {
            one_message(qb, *message_id, &[EventKind::Converted.code()]);
            step(qb, *message_id, s);
            qb.push(")");
        }
        Rule::ReceivedVariant {
            message_id,
            variant,
        } => {
            one_message(qb, *message_id, &[RECEIVED]);
            qb.push(" AND e.variant = (SELECT ord FROM variants WHERE message_id = ")
                .push_bind(*message_id)
                .push(" AND key = ")
                .push_bind(variant.clone())
                .push("))");
        }
        Rule::InControlGroup { message_id } => {
            one_message(qb, *message_id, &[EventKind::Control.code()]);
            qb.push(")");
        }
        Rule::LastReceivedFrom { message_id, days } => {
            one_message(qb, *message_id, &[RECEIVED]);
            push_last(qb, *days, now, tz);
        }
        Rule::ReceivedWithTag { tag } => {
            tagged(qb, ws, tag, &[RECEIVED]);
            qb.push(")");
        }
        Rule::EngagedWithTag {
            tag,
            exclude_machine_opens,
        } => {
            tagged(qb, ws, tag, &[OPENED, CLICKED]);
            if *exclude_machine_opens {
                qb.push(" AND NOT (e.kind = 2 AND e.machine = 1)");
            }
            qb.push(")");
        }
        Rule::LastReceivedWithTag { tag, days } => {
            tagged(qb, ws, tag, &[RECEIVED]);
            push_last(qb, *days, now, tz);
        }
        Rule::LastReceivedAny { days } => profile_time(qb, "p.last_received_at", *days, now, tz)?,
        Rule::LastEngagedAny { days } => profile_time(qb, "p.last_engaged_at", *days, now, tz)?,
    }
    Ok(())
}

fn push_kinds(qb: &mut QueryBuilder, kinds: &[i64]) {
    match kinds {
        [one] => {
            qb.push(" AND e.kind = ").push_bind(*one);
        }
        many => {
            qb.push(" AND e.kind IN (");
            let mut sep = qb.separated(", ");
            for k in many {
                sep.push_bind(*k);
            }
            qb.push(")");
        }
    }
}

/// Events of every message carrying `tag` in the workspace (open-ended:
/// the caller adds conditions and closes the parenthesis).
fn tagged(qb: &mut QueryBuilder, ws: &Workspace, tag: &str, kinds: &[i64]) {
    qb.push(
        "p.id IN (SELECT e.profile_id FROM events e WHERE e.message_id IN \
         (SELECT mt.message_id FROM message_tags mt JOIN tags t ON t.id = mt.tag_id WHERE t.workspace_id = ",
    )
    .push_bind(ws.id)
    .push(" AND t.name = ")
    .push_bind(tag.to_string())
    .push(")");
    push_kinds(qb, kinds);
}

/// Closes a per-message subquery with "the latest of these events was ...".
fn push_last(qb: &mut QueryBuilder, days: DaysAgo, now: DateTime<Utc>, tz: &chrono_tz::Tz) {
    let (from, until) = day_bounds(days, now, tz);
    qb.push(" GROUP BY e.profile_id HAVING ");
    match (from, until) {
        (Some(from), _) => qb.push("MAX(e.at) >= ").push_bind(to_ms(from)),
        (_, Some(until)) => qb.push("MAX(e.at) < ").push_bind(to_ms(until)),
        (None, None) => qb.push("1 = 0"),
    };
    qb.push(")");
}

fn profile_time(
    qb: &mut QueryBuilder,
    column: &str,
    days: DaysAgo,
    now: DateTime<Utc>,
    tz: &chrono_tz::Tz,
) -> Result<()> {
    let (from, until) = day_bounds(days, now, tz);
    // Never having received anything is neither "recently" nor "long ago".
    qb.push("(")
        .push(column)
        .push(" IS NOT NULL AND ")
        .push(column);
    match (from, until) {
        (Some(from), _) => qb.push(" >= ").push_bind(to_ms(from)),
        (_, Some(until)) => qb.push(" < ").push_bind(to_ms(until)),
        (None, None) => return Err(Error::invalid("day window out of range")),
    };
    qb.push(")");
    Ok(())
}
