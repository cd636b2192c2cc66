//! One life of the release binary: `recall serve` on a data directory,
//! its JSON log in a file (the phase of a kill is read from it), and an
//! end by SIGKILL or, for the final check, by SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Error, repo_root};

/// A restarted process takes over a killed worker's restore job once
/// the lease runs out; 5 s is the shortest the binary accepts.
pub const LEASE_SECS: &str = "5";

/// Seconds between expiry passes: short, so every life has moves to cut.
pub const EXPIRY_INTERVAL_SECS: &str = "1";

/// The scheduler's and mail sender's lease (`--leader-lease`): the
/// shortest the binary accepts, so a life that outlasts a third of it
/// renews. A killed holder's lease is let run out while the server is
/// down ([`super::seed::lapse_leases`]); with the default 60 s, every
/// life after a kill would start without the lease and run no pass.
pub const LEADER_LEASE_SECS: &str = "5";

pub struct Server {
    child: Child,
    pub base: String,
    pub started: Instant,
}

impl Server {
    /// Starts `recall serve` on port 0 and waits for its "running" line.
    /// The log goes to `log` (one JSON object a line, sqlx statements
    /// included: they are how a kill's phase is known).
    pub fn start(data_dir: &Path, log: &Path) -> Result<Self, Error> {
        let log_file = std::fs::File::create(log)?;
        let started = Instant::now();
        let mut child = Command::new(repo_root().join("target/release/recall"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(["--expiry-interval", EXPIRY_INTERVAL_SECS])
            .args(["--restore-lease", LEASE_SECS])
            .args(["--leader-lease", LEADER_LEASE_SECS])
            .args(["--shutdown-grace", "5"])
            .args(["--log-format", "json"])
            .arg("--data-dir")
            .arg(data_dir)
            .env("RECALL_LOG", "info,sqlx::query=debug")
            .env_remove("RECALL_SMTP_URL")
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            match lines.next() {
                Some(line) => {
                    if let Some(url) = line?.strip_prefix("Recall is running at ") {
                        break url.trim().to_string();
                    }
                }
                None => {
                    let _ = child.wait();
                    return Err(format!("server exited at startup; see {}", log.display()).into());
                }
            }
        };
        // Keep reading stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Self {
            child,
            base,
            started,
        })
    }

    /// SIGKILL: no destructor, no flush, no graceful anything.
    pub fn kill(mut self) -> Result<(), Error> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM and wait: the final, orderly stop before verification.
    pub fn terminate(mut self) -> Result<(), Error> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        self.child.wait()?;
        Err("server did not stop within 30 s of SIGTERM".into())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
