//! What the benchmark harnesses share: waiting for a started server's
//! address, and signing in through the real form.

use std::io::{BufRead, BufReader, Lines};
use std::process::ChildStdout;

pub type BoxError = Box<dyn std::error::Error>;

/// Reads `recall serve`'s stdout until it prints its address; answers the
/// address and the rest of the output (keep draining it, or the server
/// blocks on a full pipe).
pub fn wait_for_address(
    stdout: ChildStdout,
) -> Result<(String, Lines<BufReader<ChildStdout>>), BoxError> {
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines.next().ok_or("server exited")??;
        if let Some(url) = line.strip_prefix("Recall is running at ") {
            return Ok((url.trim().to_string(), lines));
        }
    }
}

/// Signs in with the login form; answers the session cookie
/// (`recall_session=...`) to send with dashboard requests.
pub async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<String, BoxError> {
    let login = client
        .post(format!("{base}/login"))
        .header("origin", base)
        .form(&[
            ("email", email),
            ("password", password),
            ("next", "/campaigns"),
        ])
        .send()
        .await?;
    Ok(login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("recall_session="))
        .and_then(|v| v.split(';').next())
        .ok_or("sign-in gave no session cookie")?
        .to_string())
}
