//! The BENCHMARKS.md table.

use std::fmt::Write;

pub struct Row {
    pub figure: &'static str,
    pub how: String,
    pub target: &'static str,
    pub result: String,
    pub met: Option<bool>,
}

pub fn write(rows: &[Row], command: &str, notes: &[String]) -> std::io::Result<()> {
    let mut out = String::new();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().find(|l| l.starts_with("MemTotal")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Produced by `{command}` on {} ({cores} cores, {mem} memory). Every figure was measured in this run; the targets are those of the benchmark issue, for this 2-core machine.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(out, "| figure | how | target | result | met |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for row in rows {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {met} |",
            row.figure, row.how, row.target, row.result
        );
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\n## Notes\n");
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    std::fs::write(super::repo_root().join("BENCHMARKS.md"), out)
}
