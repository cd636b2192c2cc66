//! The crash trials' section of RELIABILITY.md, between its markers, so
//! the sections other harnesses write stay as they are.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::phase::Step;
use super::settle::Final;
use super::trial::Outcome;
use super::verify::Counts;

const START: &str = "<!-- crash:start -->";
const END: &str = "<!-- crash:end -->";

/// A row of the results table: its name and how to read it from counts.
type Figure = (&'static str, fn(&Counts) -> u64);

pub struct Summary<'a> {
    pub command: String,
    pub seed: u64,
    pub rounds: usize,
    pub sizes: &'a [i64],
    pub outcomes: &'a [Outcome],
    pub finals: &'a [Final],
    pub ledger: [u64; 5],
    pub accepted_total: usize,
    pub problems: &'a [String],
    pub seconds: f64,
}

fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            let line = c.lines().find(|l| l.starts_with("model name"))?;
            Some(line.split(':').nth(1)?.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpu}, {cores} cores, {mem} memory")
}

fn sum(counts: impl Iterator<Item = Counts>) -> Counts {
    counts.fold(Counts::default(), |a, c| Counts {
        lost: a.lost + c.lost,
        duplicated: a.duplicated + c.duplicated,
        phantom: a.phantom + c.phantom,
        uncertain_stored: a.uncertain_stored + c.uncertain_stored,
        uncertain_absent: a.uncertain_absent + c.uncertain_absent,
        broken_segments: a.broken_segments + c.broken_segments,
        stale_segment_rows: a.stale_segment_rows + c.stale_segment_rows,
        wrong_state: a.wrong_state + c.wrong_state,
        bitmaps_differ: a.bitmaps_differ + c.bitmaps_differ,
    })
}

pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    let trials = s.outcomes.len();
    let _ = writeln!(out, "## Randomized crash trials\n");
    let _ = writeln!(
        out,
        "Produced by `{}` on {} ({}), seed {}, in {:.0} s. Every figure below was measured in this run.\n",
        s.command,
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine(),
        s.seed,
        s.seconds
    );
    let _ = writeln!(
        out,
        "Each trial starts the release binary (`recall serve`, expiry pass every second, 5 s restore lease, 5 s leader lease) on a data directory, sends restore requests and concurrent ingest through the REST API, and SIGKILLs it at a chosen moment: either soon after the log shows a given step begin (the jitter is random) or at a uniformly random time. After each kill the data directory is checked as it was left; after each round of kills the binary is restarted until everything has finished, every message is expired (check), then every message is restored by tag (check). Between lives, months pass for the data (hot stopped messages are made due), so restored data expires again, and the killed process's scheduler and mail leases run out (their end is moved into the past; restore jobs keep their own lease, so a killed job is taken over only when it runs out). {trials} trials in {} rounds; each round starts from {} seeded campaigns of {} events.\n",
        s.rounds,
        s.sizes.len(),
        s.sizes
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" / ")
    );

    let _ = writeln!(out, "### Where the kills landed\n");
    let _ = writeln!(
        out,
        "Every kill lands in one step of each worker (read from the server's SQL log and the data directory after the kill).\n"
    );
    let _ = writeln!(
        out,
        "| step | kills landed in it | of which aimed at it | kills aimed at it |"
    );
    let _ = writeln!(out, "|---|---|---|---|");
    let mut landed: BTreeMap<Step, (usize, usize)> = BTreeMap::new();
    let mut aimed: BTreeMap<Step, usize> = BTreeMap::new();
    for o in s.outcomes {
        if let Some(t) = o.target {
            *aimed.entry(t).or_default() += 1;
        }
        for step in [o.landed.expiry, o.landed.restore, o.landed.batch] {
            let e = landed.entry(step).or_default();
            e.0 += 1;
            if o.target == Some(step) {
                e.1 += 1;
            }
        }
    }
    for step in Step::ALL {
        let (n, t) = landed.get(&step).copied().unwrap_or_default();
        let a = aimed.get(&step).copied().unwrap_or_default();
        let _ = writeln!(out, "| {} | {n} | {t} | {a} |", step.describe());
    }
    let in_flight = s.outcomes.iter().filter(|o| o.ingest_in_flight).count();
    let random = s.outcomes.iter().filter(|o| o.target.is_none()).count();
    let missed = s
        .outcomes
        .iter()
        .filter(|o| o.target.is_some() && !o.target_seen)
        .count();
    let lived: f64 = s.outcomes.iter().map(|o| o.life.as_secs_f64()).sum();
    let _ = writeln!(
        out,
        "\nA kill aimed at a step lands in it only if the step is still running after the random jitter; short transactions (closing a batch, the end of a commit) are usually over by then, and the kill lands in the next step.\n"
    );
    let _ = writeln!(
        out,
        "{in_flight} of {trials} kills cut an ingest request in flight. {random} kills were at a uniformly random time; {} were targeted, {missed} of them at a step that did not begin within 8 s (killed then). Mean life before the kill: {:.2} s.\n",
        trials - random,
        lived / trials.max(1) as f64
    );

    let lapsed = s.outcomes.iter().filter(|o| o.leases_lapsed > 0).count();
    let _ = writeln!(out, "### Did the kills hit what they aimed at\n");
    let _ = writeln!(
        out,
        "Per step aimed at: how often the step began before the kill, and where the worker that runs it was when the kill came. {lapsed} lives started with leases of the killed life before them still running (let run out first).\n"
    );
    let _ = writeln!(out, "{}", super::landing::render(s.outcomes));

    let after_kill = sum(s.outcomes.iter().map(|o| o.counts));
    let expired = sum(s.finals.iter().map(|f| f.expired));
    let restored = sum(s.finals.iter().map(|f| f.restored));
    let _ = writeln!(out, "### Results\n");
    let _ = writeln!(
        out,
        "| check | target | right after each kill | after recovery, all expired | after recovery, all restored |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    let rows: [Figure; 7] = [
        ("accepted events lost", |c| c.lost),
        ("events duplicated", |c| c.duplicated),
        ("events nobody sent", |c| c.phantom),
        ("listed segments unreadable", |c| c.broken_segments),
        ("segment rows of hot data missing from hot rows", |c| {
            c.stale_segment_rows
        }),
        ("messages in the wrong state", |c| c.wrong_state),
        (
            "segment bitmaps followed by a second process unequal to a rebuild from the rows",
            |c| c.bitmaps_differ,
        ),
    ];
    for (name, f) in rows {
        let _ = writeln!(
            out,
            "| {name} | 0 | {} | {} | {} |",
            f(&after_kill),
            f(&expired),
            f(&restored)
        );
    }
    let settled = s.finals.iter().fold([0i64; 8], |mut a, f| {
        let t = &f.settled;
        for (i, v) in [
            t.jobs,
            t.jobs_not_succeeded,
            t.batches,
            t.batches_open,
            t.batches_without_one_email,
            t.stray_emails,
            t.garbage_files,
            t.pending_left,
        ]
        .iter()
        .enumerate()
        {
            a[i] += v;
        }
        a
    });
    let timed_out: u64 = s.finals.iter().map(|f| f.timed_out).sum();
    let _ = writeln!(out, "\n| after recovery | target | result |");
    let _ = writeln!(out, "|---|---|---|");
    let _ = writeln!(
        out,
        "| restore jobs not succeeded (of {}) | 0 | {} |",
        settled[0], settled[1]
    );
    let _ = writeln!(
        out,
        "| batches never finished (of {}) | 0 | {} |",
        settled[2], settled[3]
    );
    let _ = writeln!(
        out,
        "| finished batches without exactly one email | 0 | {} |",
        settled[4]
    );
    let _ = writeln!(
        out,
        "| emails for unfinished batches | 0 | {} |",
        settled[5]
    );
    let _ = writeln!(
        out,
        "| recovery lives that did not finish within 240 s | 0 | {timed_out} |"
    );
    let _ = writeln!(
        out,
        "| unlisted files left in long-term storage | 0 | {} |",
        settled[6]
    );
    let _ = writeln!(
        out,
        "| announced writes left for later collection (kept 1 h by design) | - | {} |",
        settled[7]
    );

    let [acked_req, acked_ev, cut_req, cut_ev, short] = s.ledger;
    let _ = writeln!(
        out,
        "\nIngest: {acked_req} requests ({acked_ev} events) acknowledged, {short} of them with fewer events accepted than sent; {cut_req} requests ({cut_ev} events) cut by a kill. Of the cut events, {} were found stored (once) at the end of the rounds and {} not at all; none may be stored twice. {} accepted events in all (seed and ingest).\n",
        restored.uncertain_stored, restored.uncertain_absent, s.accepted_total
    );
    let _ = writeln!(out, "### Problems found\n");
    if s.problems.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for p in s.problems.iter().take(40) {
        let _ = writeln!(out, "- {p}");
    }
    if s.problems.len() > 40 {
        let _ = writeln!(out, "- ... and {} more", s.problems.len() - 40);
    }
    out
}

/// Replaces this harness's section of RELIABILITY.md (or appends it).
pub fn write(summary: &Summary) -> std::io::Result<()> {
    let path = super::repo_root().join("RELIABILITY.md");
    let existing = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Reliability\n".into());
    let section = format!("{START}\n{}{END}\n", render(summary));
    let updated = match (existing.find(START), existing.find(END)) {
        (Some(a), Some(b)) if a < b => format!(
            "{}{section}{}",
            &existing[..a],
            existing[b + END.len()..].trim_start_matches('\n')
        ),
        _ => format!("{}\n\n{section}", existing.trim_end()),
    };
    std::fs::write(path, updated)
}
