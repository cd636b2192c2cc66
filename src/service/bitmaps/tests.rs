//! The bitmap evaluator against its oracle, the SQL evaluator, on real
//! SQLite: random events in several batches, random expiries and restores,
//! random filter trees. Both must give the same count and the same users
//! in the same order, and bitmaps kept up to date change by change must
//! equal bitmaps built afresh from the rows. Case counts follow
//! `PROPTEST_CASES` (32 unless set: each case is a database).

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use serde_json::json;

use super::{Bitmaps, SegmentIndex};
use crate::domain::batch::BodyFormat;
use crate::domain::{Audience, DaysAgo, Filter, MessageName, Rule, TagName};
use crate::service::ingest::ingest;
use crate::service::test_support::{Setup, after_window, alice, engine, restorer, setup};
use crate::store::tests::t0;
use crate::store::{NewMessage, NewStep, NewVariant};
use crate::types::{Channel, MessageKind, MessageStatus, RestoreRequest};

const USERS: u8 = 9;
const TAGS: [&str; 3] = ["t1", "t2", "none"];

#[derive(Debug, Clone)]
struct Event {
    message: usize,
    user: u8,
    kind: &'static str,
    variant: Option<&'static str>,
    step: Option<&'static str>,
    machine: bool,
    link: Option<&'static str>,
    /// Quarter hours after ten days before t0.
    at: u32,
}

fn event() -> impl Strategy<Value = Event> {
    (
        0..3_usize,
        0..USERS,
        prop::sample::select(vec![
            "received",
            "opened",
            "clicked",
            "converted",
            "control",
        ]),
        prop::option::of(prop::sample::select(vec!["a", "b"])),
        prop::option::of(prop::sample::select(vec!["s1", "s2"])),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["l1", "l2"])),
        0..(12 * 96_u32),
    )
        .prop_map(
            |(message, user, kind, variant, step, machine, link, at)| Event {
                message,
                user,
                kind,
                variant,
                step,
                machine: machine && kind == "opened",
                link: link.filter(|_| kind == "clicked"),
                at,
            },
        )
}

fn days() -> impl Strategy<Value = DaysAgo> {
    prop_oneof![
        (1..14_u32).prop_map(DaysAgo::Within),
        (1..14_u32).prop_map(DaysAgo::MoreThan),
    ]
}

/// A rule over message slot 0..3 (3 is a message that does not exist).
fn rule() -> impl Strategy<Value = (usize, Rule)> {
    let m = 0..4_usize;
    let step = || prop::option::of(prop::sample::select(vec!["s1", "s2", "s9"]));
    let tag = || prop::sample::select(TAGS.to_vec()).prop_map(str::to_string);
    let s = |o: Option<&str>| o.map(str::to_string);
    prop_oneof![
        (m.clone(), step()).prop_map(move |(m, st)| (
            m,
            Rule::Received {
                message_id: 0,
                step: s(st)
            }
        )),
        (m.clone(), step(), any::<bool>()).prop_map(move |(m, st, x)| (
            m,
            Rule::Opened {
                message_id: 0,
                step: s(st),
                exclude_machine_opens: x
            }
        )),
        (
            m.clone(),
            step(),
            prop::option::of(prop::sample::select(vec!["l1", "l2", "l9"]))
        )
            .prop_map(move |(m, st, l)| (
                m,
                Rule::Clicked {
                    message_id: 0,
                    step: s(st),
                    link: s(l)
                }
            )),
        (m.clone(), step(), any::<bool>()).prop_map(move |(m, st, x)| (
            m,
            Rule::Engaged {
                message_id: 0,
                step: s(st),
                exclude_machine_opens: x
            }
        )),
        (m.clone(), step()).prop_map(move |(m, st)| (
            m,
            Rule::Converted {
                message_id: 0,
                step: s(st)
            }
        )),
        (m.clone(), prop::sample::select(vec!["a", "b", "z"])).prop_map(|(m, v)| (
            m,
            Rule::ReceivedVariant {
                message_id: 0,
                variant: v.into()
            }
        )),
        m.clone()
            .prop_map(|m| (m, Rule::InControlGroup { message_id: 0 })),
        (m, days()).prop_map(|(m, days)| (
            m,
            Rule::LastReceivedFrom {
                message_id: 0,
                days
            }
        )),
        tag().prop_map(|tag| (4, Rule::ReceivedWithTag { tag })),
        (tag(), any::<bool>()).prop_map(|(tag, x)| (
            4,
            Rule::EngagedWithTag {
                tag,
                exclude_machine_opens: x
            }
        )),
        (tag(), days()).prop_map(|(tag, days)| (4, Rule::LastReceivedWithTag { tag, days })),
        days().prop_map(|days| (4, Rule::LastReceivedAny { days })),
        days().prop_map(|days| (4, Rule::LastEngagedAny { days })),
    ]
}

type Tree = Vec<Vec<(bool, (usize, Rule))>>;

fn tree() -> impl Strategy<Value = Tree> {
    prop::collection::vec(prop::collection::vec((any::<bool>(), rule()), 1..4), 1..4)
}

/// Points a generated rule at the real message ids.
fn audience(tree: &Tree, ids: &[i64]) -> Audience {
    let all = tree
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|(negate, (slot, rule))| {
                    let mut rule = rule.clone();
                    let id = ids.get(*slot).copied().unwrap_or(999_999);
                    match &mut rule {
                        Rule::Received { message_id, .. }
                        | Rule::Opened { message_id, .. }
                        | Rule::Clicked { message_id, .. }
                        | Rule::Engaged { message_id, .. }
                        | Rule::Converted { message_id, .. }
                        | Rule::ReceivedVariant { message_id, .. }
                        | Rule::InControlGroup { message_id }
                        | Rule::LastReceivedFrom { message_id, .. } => *message_id = id,
                        _ => {}
                    }
                    Filter {
                        negate: *negate,
                        rule,
                    }
                })
                .collect()
        })
        .collect();
    Audience { all }
}

async fn canvas(s: &Setup, name: &str, tags: &[&str]) -> i64 {
    let created_at = t0() - Duration::days(1);
    let message = NewMessage {
        kind: MessageKind::Canvas,
        name: MessageName::parse(name).expect("name"),
        description: String::new(),
        channel: Channel::Email,
        status: MessageStatus::Stopped,
        tags: TagName::parse_all(tags).expect("tags"),
        variants: ["a", "b"]
            .iter()
            .map(|k| NewVariant {
                key: (*k).into(),
                name: k.to_uppercase(),
                is_control: false,
            })
            .collect(),
        steps: ["s1", "s2"]
            .iter()
            .map(|k| NewStep {
                key: (*k).into(),
                name: k.to_uppercase(),
            })
            .collect(),
        created_at,
        started_at: Some(created_at),
        stopped_at: Some(t0()),
    };
    s.t.db
        .insert_message(&s.t.ws, &message)
        .await
        .expect("insert")
}

async fn send(s: &Setup, ids: &[i64], events: &[Event], batch: usize, now: DateTime<Utc>) {
    if events.is_empty() {
        return;
    }
    let events: Vec<serde_json::Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let at = t0() - Duration::days(10) + Duration::minutes(15 * i64::from(e.at));
            let mut v = json!({"id": format!("b{batch}-{i}"), "message_id": ids[e.message],
                "user_id": format!("u{}", e.user), "kind": e.kind, "at": at.to_rfc3339()});
            if e.machine {
                v["machine"] = json!(true);
            }
            for (key, value) in [("variant", e.variant), ("step", e.step), ("link", e.link)] {
                if let Some(value) = value {
                    v[key] = json!(value);
                }
            }
            v
        })
        .collect();
    let body = json!({ "events": events }).to_string();
    let r = ingest(
        &s.t.db,
        &s.archived,
        &s.t.ws,
        body.as_bytes(),
        BodyFormat::Json,
        now,
    )
    .await
    .expect("ingest");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
}

/// Both evaluators agree on every audience, and the followed bitmaps equal
/// a rebuild.
async fn check(s: &Setup, index: &SegmentIndex, audiences: &[Audience], now: DateTime<Utc>) {
    for audience in audiences {
        let refs = [audience];
        let ws = &s.t.ws;
        let oracle = s.t.db.count_audience(ws, &refs, now).await;
        let users = s.t.db.audience_users(ws, &refs, now, 0, 10_000).await;
        let bitmap = index.matching(&s.t.db, ws, &refs, now).await;
        match (oracle, users, bitmap) {
            (Ok(count), Ok(users), Ok(Some(set))) => {
                assert_eq!(set.len() as i64, count, "count of {audience:?}");
                let ids: Vec<i64> = users.iter().map(|u| u.profile_id).collect();
                let got: Vec<i64> = set.iter().map(i64::from).collect();
                assert_eq!(got, ids, "users of {audience:?}");
            }
            (Err(a), _, Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, _, b) => panic!("{audience:?}: SQL {a:?}, bitmaps {b:?}"),
        }
    }
    let followed = index
        .current(&s.t.db)
        .await
        .expect("current")
        .expect("built")
        .clone();
    let rebuilt = Bitmaps::build(&s.t.db).await.expect("rebuild");
    assert!(
        followed == rebuilt,
        "followed bitmaps differ from a rebuild"
    );
}

async fn run(
    timezone: &str,
    batches: Vec<Vec<Event>>,
    expire: bool,
    restore: bool,
    trees: Vec<Tree>,
    late_events: Vec<Event>,
) {
    let mut s = setup().await;
    // Day windows are whole days in the workspace's zone.
    s.t.ws.timezone = timezone.to_string();
    let ids = vec![
        canvas(&s, "One", &["t1"]).await,
        canvas(&s, "Two", &["t1", "t2"]).await,
        canvas(&s, "Three", &["t2"]).await,
    ];
    let index = SegmentIndex::default();
    // A follower that catches up only at the end, in one delta holding
    // every kind of change at once.
    let lazy = SegmentIndex::default();
    lazy.build(&s.t.db).await.expect("build");
    let audiences: Vec<Audience> = trees.iter().map(|t| audience(t, &ids)).collect();
    let sent = t0() + Duration::days(2);
    for (b, events) in batches.iter().enumerate() {
        send(&s, &ids, events, b, sent).await;
        check(&s, &index, &audiences, sent).await;
    }
    let mut now = sent;
    if expire {
        now = after_window();
        s.expiry.tick(now).await.expect("expiry");
        check(&s, &index, &audiences, now).await;
        if restore {
            let request = RestoreRequest {
                message_ids: vec![ids[0]],
                ..Default::default()
            };
            engine(&s)
                .request_restore(&alice(&s), &request, now)
                .await
                .expect("restore");
            restorer(&s).run_once(now).await.expect("run");
            check(&s, &index, &audiences, now).await;
        }
        send(&s, &ids, &late_events, 99, now).await;
    }
    assert!(
        lazy.verify(&s.t.db).await.expect("verify"),
        "one-delta follower"
    );
    check(&s, &lazy, &audiences, now).await;
    check(&s, &index, &audiences, now).await;
    check(&s, &index, &audiences, now + Duration::days(3)).await;
    check(&s, &index, &audiences, sent - Duration::days(4)).await;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(32)
    ))]

    #[test]
    fn bitmaps_and_sql_agree_on_every_audience(
        timezone in prop::sample::select(vec!["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu"]),
        batches in prop::collection::vec(prop::collection::vec(event(), 0..30), 1..4),
        expire in any::<bool>(),
        restore in any::<bool>(),
        trees in prop::collection::vec(tree(), 1..6),
        late_events in prop::collection::vec(event(), 0..10),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(run(timezone, batches, expire, restore, trees, late_events));
    }
}
