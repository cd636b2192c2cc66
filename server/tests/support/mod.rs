//! Starts the real `recall` binary on port 0 with a fresh data directory.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub base: String,
    pub data_dir: tempfile::TempDir,
    child: Child,
}

impl Server {
    pub fn start(extra: &[&str]) -> Self {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(binary())
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.path())
            .args(extra)
            .env("RECALL_LOG", "warn")
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn recall");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("server exited before it was ready")
                .expect("read line");
            if let Some(url) = line.strip_prefix("Recall is running at ") {
                break url.trim().to_string();
            }
        };
        Self {
            base,
            data_dir,
            child,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn data_path(&self) -> &Path {
        self.data_dir.path()
    }

    /// Sends SIGTERM and waits for the process to exit on its own.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_recall"))
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}
