//! The release binary on a fresh data dir with the demo workspace.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const PASSWORD: &str = "soak-password-123";

pub struct Server {
    child: Child,
    dir: PathBuf,
    pub base: String,
    pub api_key: String,
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/recall")
}

impl Server {
    pub fn start(dir: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let cli = |args: &[&str]| -> Result<String, Box<dyn std::error::Error>> {
            let out = Command::new(binary())
                .arg("--data-dir")
                .arg(dir)
                .args(args)
                .env("RECALL_DEMO_PASSWORD", PASSWORD)
                .output()?;
            if !out.status.success() {
                return Err(
                    format!("recall {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into(),
                );
            }
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        cli(&["seed", "--demo"])?;
        let created = cli(&["apikey", "create", "--name", "soak"])?;
        let api_key = created
            .lines()
            .find(|l| l.starts_with("rk_"))
            .ok_or("no API key printed")?
            .trim()
            .to_string();
        let log = std::fs::File::create(dir.join("server.log"))?;
        let mut child = Command::new(binary())
            .arg("--data-dir")
            .arg(dir)
            .args([
                "serve",
                "--demo",
                "--addr",
                "127.0.0.1:0",
                "--expiry-interval",
                "15",
            ])
            .env("RECALL_DEMO_PASSWORD", PASSWORD)
            .env("RECALL_LOG", "warn")
            .env("RECALL_LOG_FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (base, lines) = super::common::wait_for_address(stdout)?;
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Self {
            child,
            dir: dir.to_path_buf(),
            base,
            api_key,
        })
    }

    /// `recall` with this server's data dir, for a second process.
    pub fn command(&self) -> (PathBuf, PathBuf) {
        (binary(), self.dir.clone())
    }

    /// Resident memory now, in MB.
    pub fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    /// Stops the server; answers the warnings and errors it logged.
    pub fn stop(mut self) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = std::fs::read_to_string(self.dir.join("server.log"))?;
        Ok(log
            .lines()
            .filter(|l| l.contains("ERROR") || l.contains("WARN") || l.contains("panicked"))
            .map(str::to_string)
            .collect())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
