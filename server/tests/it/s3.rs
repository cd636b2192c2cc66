//! Long-term storage on a real S3-protocol server (moto's server mode from
//! PyPI, installed by `make test-deps`) through the same binary and code path
//! as the local directory.

use std::process::Command;

use crate::support;
use crate::support::moto::Moto;

#[tokio::test]
async fn expiry_and_restore_work_against_s3() {
    let s3 = Moto::start("recall-test").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = support::fresh_database_url();
    let run = |args: &[&str]| {
        let out = Command::new(support::binary())
            .envs(database_url.iter().map(|url| ("DATABASE_URL", url)))
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env("RECALL_LOG", "warn")
            .env("RECALL_ARCHIVE_URL", "s3://recall-test/prod/archive")
            .env("AWS_ENDPOINT", &s3.endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .output()
            .expect("run recall");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf8")
    };
    run(&["seed", "--demo"]);
    let expired = run(&["expire"]);
    let first = expired
        .lines()
        .find_map(|l| l.strip_prefix("expired default/"))
        .and_then(|rest| rest.split(':').next())
        .expect("something expired")
        .to_string();

    let listing = reqwest::get(format!(
        "{}/recall-test?list-type=2&prefix=prod/archive/default/{first}/",
        s3.endpoint
    ))
    .await
    .expect("list")
    .text()
    .await
    .expect("body");
    assert!(listing.contains(".parquet</Key>"), "{listing}");

    let restored = run(&["restore", "--message", &first, "--wait"]);
    assert!(
        restored.contains(&format!("succeeded {first}")),
        "{restored}"
    );
}
