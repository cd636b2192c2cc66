//! The soak's section of RELIABILITY.md, between its markers, so the
//! other sections (written by other harnesses) stay as they are.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::load::Sample;

const START: &str = "<!-- soak:start -->";
const END: &str = "<!-- soak:end -->";

pub struct Soak {
    pub seconds: u64,
    pub rate: u64,
    pub samples: Vec<Sample>,
    /// (second, RSS in MB)
    pub memory: Vec<(u64, f64)>,
    /// Warnings and errors the server logged.
    pub log_errors: Vec<String>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

fn by_op<'a>(samples: impl Iterator<Item = &'a Sample>) -> BTreeMap<&'static str, Vec<&'a Sample>> {
    let mut ops: BTreeMap<&'static str, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        ops.entry(s.op).or_default().push(s);
    }
    ops
}

fn latencies(samples: &[&Sample]) -> Vec<f64> {
    let mut ms: Vec<f64> = samples.iter().map(|s| s.ms).collect();
    ms.sort_by(f64::total_cmp);
    ms
}

pub fn render(soak: &Soak) -> String {
    let mut out = String::new();
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let _ = writeln!(out, "## Soak\n");
    let _ = writeln!(
        out,
        "Produced by `make soak` (SOAK_SECONDS={}, SOAK_INGEST_RATE={}) on {date}, {cores} cores. Everything at once for {} minutes against the release binary with the demo workspace: ingest of 1,000-event batches at {} events/s (half the measured capacity in BENCHMARKS.md) with every tenth event for an expired message, two dashboard users, back-to-back segment evaluations, a tag restore every 20 s, the server's expiry pass every 15 s, and `recall expire --as-of +125 days` from a second process every 45 s (it expires again what the restores bring back).\n",
        soak.seconds,
        soak.rate,
        soak.seconds / 60,
        soak.rate
    );
    let errors: usize = soak.samples.iter().filter(|s| s.error.is_some()).count();
    let _ = writeln!(
        out,
        "| operation | requests | errors | p50 ms | p99 ms | max ms |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for (op, samples) in by_op(soak.samples.iter()) {
        let ms = latencies(&samples);
        let failed = samples.iter().filter(|s| s.error.is_some()).count();
        let _ = writeln!(
            out,
            "| {op} | {} | {failed} | {:.1} | {:.1} | {:.1} |",
            samples.len(),
            percentile(&ms, 0.5),
            percentile(&ms, 0.99),
            ms.last().copied().unwrap_or(f64::NAN)
        );
    }
    let _ = writeln!(out, "\nErrors: {errors} (target 0).");
    for sample in soak.samples.iter().filter(|s| s.error.is_some()).take(5) {
        let text = sample.error.as_deref().unwrap_or_default();
        let _ = writeln!(
            out,
            "- at {} s, {}: {}",
            sample.second,
            sample.op,
            text.chars().take(200).collect::<String>()
        );
    }

    let _ = writeln!(out, "\nLatency over time, p50 / p99 in ms per minute:\n");
    let ops: Vec<&'static str> = by_op(soak.samples.iter()).into_keys().collect();
    let _ = writeln!(out, "| minute | {} |", ops.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(ops.len()));
    for minute in 0..soak.seconds.div_ceil(60) {
        let in_minute = soak.samples.iter().filter(|s| s.second / 60 == minute);
        let grouped = by_op(in_minute);
        let cells: Vec<String> = ops
            .iter()
            .map(|op| match grouped.get(op) {
                Some(samples) => {
                    let ms = latencies(samples);
                    format!("{:.0} / {:.0}", percentile(&ms, 0.5), percentile(&ms, 0.99))
                }
                None => "–".into(),
            })
            .collect();
        let _ = writeln!(out, "| {} | {} |", minute + 1, cells.join(" | "));
    }

    let per_minute: Vec<String> = soak
        .memory
        .iter()
        .enumerate()
        // Samples come every 10 s: one a minute, and the last.
        .filter(|(i, _)| i % 6 == 0 || *i + 1 == soak.memory.len())
        .map(|(_, (second, mb))| format!("{}:{:02} {mb:.0} MB", second / 60, second % 60))
        .collect();
    let _ = writeln!(
        out,
        "\nServer memory (RSS) over time: {}.",
        per_minute.join(", ")
    );
    let first = soak.memory.first().map_or(f64::NAN, |m| m.1);
    let last = soak.memory.last().map_or(f64::NAN, |m| m.1);
    let peak = soak.memory.iter().map(|m| m.1).fold(f64::NAN, f64::max);
    let _ = writeln!(
        out,
        "\nServer memory (RSS): {first:.0} MB at the start, {last:.0} MB at the end, {peak:.0} MB at most (target: flat)."
    );
    let slow = soak
        .log_errors
        .iter()
        .filter(|l| l.contains("slow statement"))
        .count();
    let errors = soak
        .log_errors
        .iter()
        .filter(|l| l.contains("ERROR"))
        .count();
    let _ = writeln!(
        out,
        "\nServer log: {errors} errors, {} warnings ({slow} of them sqlx's notices of statements slower than 1 s, which here are waits for the write lock held by the second process).",
        soak.log_errors.len() - errors
    );
    for line in soak
        .log_errors
        .iter()
        .filter(|l| !l.contains("slow statement"))
        .take(5)
    {
        let _ = writeln!(out, "- `{}`", line.chars().take(200).collect::<String>());
    }
    out
}

pub fn write(soak: &Soak) -> std::io::Result<()> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../RELIABILITY.md");
    let existing = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Reliability\n".into());
    let section = format!("{START}\n{}{END}\n", render(soak));
    let updated = match (existing.find(START), existing.find(END)) {
        (Some(a), Some(b)) if a < b => {
            format!(
                "{}{section}{}",
                &existing[..a],
                existing[b + END.len()..].trim_start_matches('\n')
            )
        }
        _ => format!("{}\n{section}", existing.trim_end()),
    };
    std::fs::write(path, updated)
}
