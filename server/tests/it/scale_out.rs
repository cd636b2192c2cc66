//! Scale-out (DESIGN.md §3): three `recall serve` processes on one
//! PostgreSQL database, one S3 bucket (moto) and one SMTP sink (aiosmtpd).
//! The scheduler leader is SIGKILLed in the middle of an expiry pass and a
//! restore worker in the middle of a job; the survivors take the lease and
//! the job over, every event ends where it belongs exactly once, and each
//! restore batch sends one completion email.
//!
//! Runs with `make test-postgres` (needs `RECALL_TEST_DATABASE_URL`);
//! skipped otherwise.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support;
use crate::support::campaigns::{Ledger, Plan, id_list, make_due};
use crate::support::moto::Moto;
use crate::support::scale::{Cluster, mail_by_id};
use crate::support::smtp::SmtpSink;

/// Campaigns; they alternate between the tags, one restore batch per tag.
const MESSAGES: usize = 6;
const TAGS: [&str; 2] = ["scale-a", "scale-b"];
const PLAN: Plan = Plan {
    messages: MESSAGES,
    tags: &TAGS,
    // Through the REST API...
    api_events: 600,
    // ... and with SQL: more than one Parquet row group (65,536 rows) per
    // campaign, so a restore can be caught between two.
    bulk_events: 100_000,
    users: 5_000,
};
const NOTIFY: &str = "ops@example.com";
const PREFIX: &str = "shared/archive";
/// Generous: a debug build, three servers and PostgreSQL on two cores.
const TIMEOUT: Duration = Duration::from_secs(300);

#[tokio::test]
async fn three_servers_share_expiry_and_restores_and_survive_kills() {
    if std::env::var_os("RECALL_TEST_DATABASE_URL").is_none() {
        // Past the test harness's capture, so `cargo test` shows it.
        let skipped = "scale_out: skipped (needs RECALL_TEST_DATABASE_URL; `make test-postgres`)";
        let _ = writeln!(std::io::stderr(), "{skipped}");
        return;
    }
    let clock = Instant::now();
    let phase =
        |what: &str| eprintln!("scale_out: {:5.1} s  {what}", clock.elapsed().as_secs_f64());
    let db = support::fresh_database_url().expect("a PostgreSQL database");
    let s3 = Moto::start("recall-scale").await;
    let mut smtp = SmtpSink::start().await;
    let mut env = s3.env(PREFIX);
    env.push(("RECALL_SMTP_URL".into(), smtp.url.clone()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let flags = [
        "--expiry-interval",
        "1",
        "--leader-lease",
        "5",
        "--restore-lease",
        "5",
    ];
    let mut cluster = Cluster::start(3, &db, &flags, &env);
    phase("three servers up");

    let accepted = PLAN.seed(&cluster, &db).await;
    let ids = id_list(&accepted);
    cluster.verify(&accepted, "hot", "after seeding").await;
    phase("seeded and checked");

    expire_killing_the_leader(&mut cluster, &db, &ids, &phase).await;
    for (id, events) in &accepted {
        let sql = format!("SELECT COALESCE(SUM(rows), 0) FROM segments WHERE message_id = {id}");
        let rows = cluster.watch.count(&sql);
        assert_eq!(
            rows,
            events.len() as i64,
            "message {id}: rows in its listed segments"
        );
    }
    // Objects the killed leader left are still announced (collected after
    // PENDING_GRACE); nothing else is unlisted.
    let known = cluster
        .watch
        .sql("SELECT path FROM segments UNION SELECT path FROM pending_segments");
    let known: Vec<&str> = known.lines().collect();
    for key in s3.keys(PREFIX).await {
        let path = key.trim_start_matches(PREFIX).trim_start_matches('/');
        assert!(
            known.contains(&path),
            "object {key} is neither listed nor announced"
        );
    }
    cluster.verify(&accepted, "archived", "after expiry").await;
    phase("archived events checked");

    let batches = restore_killing_a_worker(&mut cluster, &accepted, &phase).await;
    cluster.verify(&accepted, "hot", "after the restore").await;
    phase("restored events checked");

    // Each batch's email is marked sent; the sink got it exactly once (and
    // nothing more within another mail period).
    let keys: Vec<String> = batches
        .iter()
        .map(|b| format!("restore-batch-{b}@recall"))
        .collect();
    let quoted: Vec<String> = keys.iter().map(|k| format!("'{k}'")).collect();
    let sent = format!(
        "SELECT COUNT(*) FROM outgoing_mail WHERE sent_at IS NOT NULL AND key IN ({})",
        quoted.join(",")
    );
    let w = &mut cluster.watch;
    w.until("the completion emails to be marked sent", TIMEOUT, |w| {
        (w.count(&sent) == keys.len() as i64).then_some(())
    })
    .await;
    let mail = mail_by_id(&mut smtp, &keys, Duration::from_secs(6)).await;
    let per_id: BTreeMap<&String, usize> = mail.iter().map(|(k, v)| (k, v.len())).collect();
    let expected: BTreeMap<&String, usize> = keys.iter().map(|k| (k, 1)).collect();
    assert_eq!(per_id, expected, "emails per Message-ID");
    let per_batch = MESSAGES / TAGS.len();
    for text in mail.values().flatten() {
        assert!(text.contains(&format!("To: {NOTIFY}")), "{text}");
        assert!(
            text.contains(&format!("({per_batch} of {per_batch} restored)")),
            "{text}"
        );
    }
    let w = &cluster.watch;
    phase(&format!(
        "one email per batch; {} lease samples, least time left {:?} ms, moves {:#?}",
        w.samples, w.margins, w.moves
    ));
}

/// Makes every campaign due, SIGKILLs the scheduler leader once some but
/// not all are archived, and waits for another process to take the lease
/// and archive the rest.
async fn expire_killing_the_leader(
    cluster: &mut Cluster,
    db: &str,
    ids: &str,
    phase: &impl Fn(&str),
) {
    let w = &mut cluster.watch;
    let leader = w
        .until("an expiry leader", TIMEOUT, |w| w.holder("expiry"))
        .await;
    make_due(db, ids);
    let archived =
        format!("SELECT COUNT(*) FROM messages WHERE id IN ({ids}) AND location = 'archived'");
    let all = MESSAGES as i64;
    w.until("the expiry pass to be half-way", TIMEOUT, |w| {
        let n = w.count(&archived);
        assert!(
            n < all,
            "the pass ended before the test caught it half-way: seed more"
        );
        (n > 0).then_some(())
    })
    .await;
    assert_eq!(
        w.holder("expiry").as_ref(),
        Some(&leader),
        "the leader ran the pass"
    );
    let killed = cluster.kill(&leader);
    let w = &mut cluster.watch;
    let n = w.count(&archived);
    assert!(
        n < all,
        "the kill landed after the pass had ended ({n} archived)"
    );
    let pending = w.count("SELECT COUNT(*) FROM pending_segments");
    phase(&format!(
        "killed leader {leader}: {n} of {all} archived, {pending} being written"
    ));
    let next = w
        .until("another process to take the expiry lease", TIMEOUT, |w| {
            w.holder("expiry").filter(|h| *h != leader)
        })
        .await;
    phase(&format!(
        "{next} leads {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    ));
    let hot = format!("SELECT COUNT(*) FROM events WHERE message_id IN ({ids})");
    w.until(
        "every message to be archived with no hot rows",
        TIMEOUT,
        |w| (w.count(&archived) == all && w.count(&hot) == 0).then_some(()),
    )
    .await;
    phase("every message archived");
}

/// Asks for one restore per tag (of different servers), SIGKILLs a worker
/// between two row groups of a job, and waits for every job and batch to
/// end; checks progress and that another worker finished the killed job.
/// Answers the batch ids.
async fn restore_killing_a_worker(
    cluster: &mut Cluster,
    accepted: &Ledger,
    phase: &impl Fn(&str),
) -> Vec<i64> {
    let mut batches = Vec::new();
    for (i, tag) in TAGS.iter().enumerate() {
        let body = json!({"tag": tag, "notify": NOTIFY});
        let (status, batch) = cluster.api(i).post("/api/v1/restores", body).await;
        assert_eq!(status, 202, "restore of {tag}: {batch}");
        let jobs = batch["jobs"].as_array().map_or(0, Vec::len);
        assert_eq!(jobs, MESSAGES / TAGS.len(), "jobs for {tag}: {batch}");
        batches.push(batch["id"].as_i64().expect("batch id"));
    }
    let open_jobs = "SELECT COUNT(*) FROM restore_jobs WHERE status IN ('queued', 'running')";
    let half_way = "SELECT id, lease_owner, rows_loaded, rows_total FROM restore_jobs \
                    WHERE status = 'running' AND rows_loaded > 0 AND rows_loaded < rows_total \
                    ORDER BY id LIMIT 1";
    let w = &mut cluster.watch;
    let job = w
        .until("a restore job between row groups", TIMEOUT, |w| {
            assert!(
                w.count(open_jobs) > 0,
                "every restore ended before the test caught one"
            );
            let row = w.sql(half_way);
            let f: Vec<String> = row.trim().split('|').map(str::to_string).collect();
            (f.len() == 4).then_some(f)
        })
        .await;
    let killed = cluster.kill(&job[1]);
    phase(&format!(
        "killed worker {} in job {} at {} of {} rows",
        job[1], job[0], job[2], job[3]
    ));
    let open = format!(
        "SELECT ({open_jobs}) + (SELECT COUNT(*) FROM restore_batches WHERE finished_at IS NULL)"
    );
    let w = &mut cluster.watch;
    w.until("every restore job and batch to end", TIMEOUT, |w| {
        (w.count(&open) == 0).then_some(())
    })
    .await;
    phase(&format!(
        "every restore ended {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    ));
    let jobs = w.sql(
        "SELECT id, message_id, status, attempts, rows_loaded, rows_total, error FROM restore_jobs",
    );
    for line in jobs.lines() {
        let f: Vec<&str> = line.split('|').collect();
        let n = accepted[&f[1].parse::<i64>().expect("message id")]
            .len()
            .to_string();
        let what = format!("job {} of message {}: {line}", f[0], f[1]);
        assert_eq!(f[2], "succeeded", "{what}");
        assert_eq!(
            (f[4], f[5]),
            (n.as_str(), n.as_str()),
            "progress (loaded, total) of {what}"
        );
        if f[0] == job[0] {
            let attempts: i64 = f[3].parse().expect("attempts");
            assert!(attempts >= 2, "another worker finished the killed {what}");
        }
    }
    assert_eq!(
        w.count("SELECT COUNT(*) FROM restore_staging"),
        0,
        "staging left behind"
    );
    for batch in &batches {
        let (_, body) = cluster
            .api(0)
            .get(&format!("/api/v1/restores/{batch}"))
            .await;
        assert!(body["finished_at"].is_string(), "batch {batch}: {body}");
    }
    batches
}
