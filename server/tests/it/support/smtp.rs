//! A real SMTP server on loopback: Python's aiosmtpd (from PyPI, installed
//! by `make test-deps`) with its debugging handler, which prints every
//! message it accepts. Each message arrives on the channel as its text.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use tokio::sync::mpsc;

pub struct SmtpSink {
    pub url: String,
    pub received: mpsc::UnboundedReceiver<String>,
    child: Child,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Debugging",
                "-l",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd: run `make test-deps`");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, received) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let mut message = String::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("END MESSAGE") {
                    let _ = tx.send(std::mem::take(&mut message));
                } else if !line.contains("MESSAGE FOLLOWS") {
                    message.push_str(&line);
                    message.push('\n');
                }
            }
        });
        // Ready when it accepts connections.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Self {
            url: format!("smtp://127.0.0.1:{port}?tls=none"),
            received,
            child,
        }
    }
}
