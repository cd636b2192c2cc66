//! Deterministic demo data: a workspace that looks like a real marketing
//! team's, a year into using the platform.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::{EventKind, MessageName, ParsedEvent, TagName};
use crate::error::{Error, Result};
use crate::store::{ArchiveCheck, Db, Ingested, NewMessage, NewStep, NewVariant, Workspace};
use crate::types::{Channel, MessageKind, MessageStatus};

const THEMES: &[&str] = &[
    "Spring Sale",
    "Summer Kickoff",
    "Back to School",
    "Black Friday",
    "Cyber Monday",
    "Holiday Gift Guide",
    "New Year Reset",
    "Valentine's Picks",
    "Mother's Day",
    "Father's Day",
    "Flash Sale",
    "Loyalty Double Points",
    "Free Shipping Weekend",
    "Clearance",
    "Member Preview",
    "Price Drop",
    "Back in Stock",
    "Abandoned Cart",
    "Browse Abandonment",
    "Win-back",
    "Welcome Series",
    "Product Launch",
    "Referral Boost",
    "App Download",
    "Survey Invite",
    "Birthday Reward",
    "Tier Upgrade",
    "Subscription Renewal",
    "Webinar Invite",
    "Event Reminder",
];

const AUDIENCES: &[&str] = &[
    "VIP",
    "Lapsed 90d",
    "New Users",
    "High Intent",
    "All Subscribers",
    "Mobile Only",
    "EU",
    "US West",
    "Power Users",
    "Trial",
];

const TAGS: &[&str] = &[
    "promo",
    "onboarding",
    "retention",
    "winback",
    "newsletter",
    "holiday",
    "black-friday",
    "loyalty",
    "product",
    "transactional",
    "vip",
    "app",
    "q1-2026",
    "q2-2026",
    "q3-2026",
    "q4-2026",
    "experiment",
];

const JOURNEYS: &[&str] = &[
    "Onboarding Journey",
    "Cart Recovery Flow",
    "Win-back Sequence",
    "Loyalty Ladder",
    "Trial Conversion",
    "Re-engagement Path",
    "Post-purchase Nurture",
    "Subscription Save",
];

const STEP_NAMES: &[&str] = &[
    "Welcome",
    "Day 2 tips",
    "Feature tour",
    "Reminder",
    "Offer",
    "Last chance",
    "Survey",
    "Thank you",
];

/// Fills `ws` with the demo set unless it already holds messages. Returns
/// the number of messages created (0 when it was already seeded).
pub async fn seed_demo(db: &Db, ws: &Workspace, now: DateTime<Utc>) -> Result<usize> {
    if db.count_messages(ws).await? > 0 {
        return Ok(0);
    }
    let messages = demo_messages(now)?;
    let ids = db.insert_messages(ws, &messages).await?;
    let mut rng = StdRng::seed_from_u64(0xe7e7_2026);
    let mut events = Vec::new();
    for (id, message) in ids.iter().zip(&messages) {
        events.extend(demo_events(&mut rng, *id, message, now));
    }
    for chunk in events.chunks(10_000) {
        let indexed: Vec<(usize, ParsedEvent)> = chunk.iter().cloned().enumerate().collect();
        // The demo's messages are new, so hot: long-term storage holds
        // none of their ids and there is nothing to check it for.
        let stored = db
            .ingest_events(ws, &indexed, &ArchiveCheck::default(), now)
            .await?;
        if !matches!(stored, Ingested::Stored(_)) {
            return Err(Error::conflict(
                "a demo message expired while it was seeded",
            ));
        }
    }
    // Ingest counts as activity "now"; the demo wants its own history, so
    // put each message's last activity back where its story ends.
    let history: Vec<_> = ids
        .iter()
        .zip(&messages)
        .map(|(id, m)| (*id, m.stopped_at.or(m.started_at).unwrap_or(m.created_at)))
        .collect();
    db.set_last_activity(&history).await?;
    Ok(messages.len())
}

/// Received, opens (some by machines), clicks, conversions and control
/// assignments for a message that ran, spread over the days it ran.
fn demo_events(
    rng: &mut StdRng,
    id: i64,
    message: &NewMessage,
    now: DateTime<Utc>,
) -> Vec<ParsedEvent> {
    let Some(start) = message.started_at else {
        return Vec::new();
    };
    let end = message
        .stopped_at
        .unwrap_or(now)
        .max(start + Duration::hours(1));
    let span = (end - start).num_minutes().max(60);
    let audience = rng.random_range(20..60);
    let open_rate = rng.random_range(0.18..0.45);
    let click_rate = rng.random_range(0.05..0.3);
    let mut out = Vec::with_capacity(audience * 2);
    let mut n = 0;
    let mut push = |kind: EventKind,
                    user: usize,
                    at: DateTime<Utc>,
                    variant: Option<&NewVariant>,
                    step: Option<&NewStep>,
                    machine: bool| {
        n += 1;
        out.push(ParsedEvent {
            id: format!("demo-{id}-{n}"),
            message_id: id,
            user_id: format!("user-{user:05}"),
            kind,
            variant: variant.map(|v| v.key.clone()),
            step: step.map(|s| s.key.clone()),
            at,
            machine,
            link: (kind == EventKind::Clicked).then(|| "cta".to_string()),
        });
    };
    for _ in 0..audience {
        let user = rng.random_range(0..20_000);
        let at = start + Duration::minutes(rng.random_range(0..span));
        let variant = &message.variants[rng.random_range(0..message.variants.len())];
        let step = (!message.steps.is_empty())
            .then(|| &message.steps[rng.random_range(0..message.steps.len())]);
        if variant.is_control {
            push(EventKind::Control, user, at, Some(variant), step, false);
            continue;
        }
        push(EventKind::Received, user, at, Some(variant), step, false);
        if rng.random_bool(open_rate) {
            let opened = at + Duration::minutes(rng.random_range(1..600));
            push(
                EventKind::Opened,
                user,
                opened,
                Some(variant),
                step,
                rng.random_bool(0.15),
            );
            if rng.random_bool(click_rate) {
                push(
                    EventKind::Clicked,
                    user,
                    opened + Duration::minutes(1),
                    Some(variant),
                    step,
                    false,
                );
                if rng.random_bool(0.3) {
                    push(
                        EventKind::Converted,
                        user,
                        opened + Duration::minutes(20),
                        Some(variant),
                        step,
                        false,
                    );
                }
            }
        }
    }
    out.retain(|e| e.at <= now);
    out
}

/// The demo set, the same for the same `now`: 320 campaigns, 48 Canvases.
pub fn demo_messages(now: DateTime<Utc>) -> Result<Vec<NewMessage>> {
    let mut rng = StdRng::seed_from_u64(0x5eed_2026);
    let mut out = Vec::with_capacity(368);
    for i in 0..320 {
        out.push(demo_campaign(&mut rng, i, now)?);
    }
    for i in 0..48 {
        out.push(demo_canvas(&mut rng, i, now)?);
    }
    Ok(out)
}

fn demo_campaign(rng: &mut StdRng, i: usize, now: DateTime<Utc>) -> Result<NewMessage> {
    let theme = THEMES[i % THEMES.len()];
    let audience = AUDIENCES[rng.random_range(0..AUDIENCES.len())];
    let channel = pick_channel(rng);
    let name = format!(
        "{theme} – {audience} ({}) #{}",
        channel_label(channel),
        i + 1
    );
    let mut variants = vec![
        variant("a", "Variant A", false),
        variant("b", "Variant B", false),
    ];
    if rng.random_bool(0.3) {
        variants.push(variant("c", "Variant C", false));
    }
    if rng.random_bool(0.4) {
        variants.push(variant("control", "Control group", true));
    }
    demo_message(
        rng,
        MessageKind::Campaign,
        &name,
        channel,
        variants,
        Vec::new(),
        now,
    )
}

fn demo_canvas(rng: &mut StdRng, i: usize, now: DateTime<Utc>) -> Result<NewMessage> {
    let journey = JOURNEYS[i % JOURNEYS.len()];
    let audience = AUDIENCES[rng.random_range(0..AUDIENCES.len())];
    let name = format!("{journey} – {audience} v{}", i / JOURNEYS.len() + 1);
    let step_count = rng.random_range(3..=STEP_NAMES.len());
    let steps = STEP_NAMES[..step_count]
        .iter()
        .enumerate()
        .map(|(n, s)| NewStep {
            key: format!("step-{}", n + 1),
            name: (*s).to_string(),
        })
        .collect();
    let mut variants = vec![variant("v1", "Variation 1", false)];
    if rng.random_bool(0.5) {
        variants.push(variant("v2", "Variation 2", false));
    }
    if rng.random_bool(0.3) {
        variants.push(variant("control", "Control group", true));
    }
    let channel = pick_channel(rng);
    demo_message(
        rng,
        MessageKind::Canvas,
        &name,
        channel,
        variants,
        steps,
        now,
    )
}

fn demo_message(
    rng: &mut StdRng,
    kind: MessageKind,
    name: &str,
    channel: Channel,
    variants: Vec<NewVariant>,
    steps: Vec<NewStep>,
    now: DateTime<Utc>,
) -> Result<NewMessage> {
    let created_at = now - Duration::hours(rng.random_range(24 * 10..24 * 420));
    let roll = rng.random_range(0..100);
    let status = match roll {
        0..20 => MessageStatus::Active,
        20..30 => MessageStatus::Draft,
        30..85 => MessageStatus::Stopped,
        _ => MessageStatus::Archived,
    };
    let started_at = (status != MessageStatus::Draft)
        .then(|| created_at + Duration::hours(rng.random_range(1..72)));
    let stopped_at = match (status, started_at) {
        (MessageStatus::Stopped | MessageStatus::Archived, Some(start)) => {
            let ran_for = Duration::hours(rng.random_range(24..24 * 60));
            Some((start + ran_for).min(now - Duration::hours(1)))
        }
        _ => None,
    };
    let tag_count = rng.random_range(1..=3);
    let tags: Vec<&str> = (0..tag_count)
        .map(|_| TAGS[rng.random_range(0..TAGS.len())])
        .collect();
    Ok(NewMessage {
        kind,
        name: MessageName::parse(name)?,
        description: format!("{} sent by the lifecycle team.", kind_label(kind)),
        channel,
        status,
        tags: TagName::parse_all(&tags)?,
        variants,
        steps,
        created_at,
        started_at,
        stopped_at,
    })
}

fn variant(key: &str, name: &str, is_control: bool) -> NewVariant {
    NewVariant {
        key: key.into(),
        name: name.into(),
        is_control,
    }
}

fn pick_channel(rng: &mut StdRng) -> Channel {
    match rng.random_range(0..10) {
        0..5 => Channel::Email,
        5..8 => Channel::Push,
        8 => Channel::Sms,
        _ => Channel::InApp,
    }
}

fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "Email",
        Channel::Push => "Push",
        Channel::Sms => "SMS",
        Channel::InApp => "In-app",
        Channel::Webhook => "Webhook",
    }
}

fn kind_label(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Campaign => "Campaign",
        MessageKind::Canvas => "Canvas",
    }
}
