//! Long-term storage that misbehaves: a truncated segment, a full disk and
//! a read-only disk. Each gives a clear reason, leaves the data where it
//! was, and the work finishes once the fault is gone.
//!
//! The disk faults mount a small tmpfs, which needs root; they are ignored
//! by `cargo test` and run by `make storage-faults`.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Duration;

use super::test_support::{
    Setup, after_window, all_events, assert_no_orphans, engine, restorer, setup, setup_with, state,
    stopped_campaign,
};
use crate::storage::{ArchivedEvent, LongTermStorage};
use crate::types::{DataState, JobStatus, RestoreRequest};

#[tokio::test]
async fn a_truncated_segment_fails_the_restore_and_a_retry_works_once_it_is_whole() {
    let s = setup().await;
    let id = stopped_campaign(&s, "Truncated", 40).await;
    let before = all_events(&s, id).await;
    let now = after_window();
    s.expiry.tick(now).await.expect("expire");
    let segment = s.t.db.segments(id).await.expect("segments").remove(0);
    let whole = s.expiry.archive().get(&segment.path).await.expect("get");
    let cut = whole.slice(..whole.len() * 2 / 3);
    s.expiry
        .archive()
        .put(&segment.path, cut)
        .await
        .expect("truncate");

    let restorer = restorer(&s);
    let request = RestoreRequest {
        message_ids: vec![id],
        ..Default::default()
    };
    let who = crate::engine::Actor::cli(s.t.ws.clone());
    engine(&s)
        .request_restore(&who, &request, now)
        .await
        .expect("request");
    let failed = restorer.run_once(now).await.expect("run").expect("job");
    assert_eq!(failed.status, JobStatus::Failed);
    let reason = failed.error.unwrap_or_default();
    assert!(
        reason.contains(&segment.path),
        "names the segment: {reason}"
    );
    assert_eq!(state(&s, id, now).await, DataState::Expired);
    assert_eq!(s.t.db.count_hot_events(id).await.expect("count"), 0);

    s.expiry
        .archive()
        .put(&segment.path, whole)
        .await
        .expect("repair");
    engine(&s)
        .request_restore(&who, &request, now)
        .await
        .expect("retry");
    let done = restorer.run_once(now).await.expect("run").expect("job");
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(all_events(&s, id).await, before);
}

/// A tmpfs of `size` mounted for one test, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::run(
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            dir.path(),
        );
        Self { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn remount(&self, mode: &str) {
        Self::run(&["-o", &format!("remount,{mode}")], self.dir.path());
    }

    fn run(args: &[&str], target: &Path) {
        let status = Command::new("mount")
            .args(args)
            .arg(target)
            .status()
            .expect("run mount");
        assert!(status.success(), "mount {args:?} needs root");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

async fn on_tmpfs(disk: &Tmpfs) -> Setup {
    // Beside the filler, which garbage collection must not see.
    let archive = LongTermStorage::local(&disk.path().join("archive")).expect("archive");
    setup_with(archive, tempfile::tempdir().expect("tempdir")).await
}

/// Fills the disk to the last byte; returns the file to delete to free it.
fn fill(disk: &Tmpfs) -> PathBuf {
    use std::io::Write;
    let filler = disk.path().join("filler");
    let mut file = std::fs::File::create(&filler).expect("filler");
    let chunk = vec![0u8; 4096];
    while file.write_all(&chunk).is_ok() {}
    while file.write_all(&chunk[..1]).is_ok() {}
    filler
}

/// The pass at `after_window` fails with `reason` and changes nothing.
async fn assert_fails_cleanly(s: &Setup, id: i64, before: &[ArchivedEvent], reason: &str) {
    let report = s.expiry.tick(after_window()).await.expect("tick");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(report.failed[0].1.contains(reason), "{report:?}");
    assert_eq!(state(s, id, after_window()).await, DataState::Available);
    assert_eq!(all_events(s, id).await, before);
    assert!(s.t.db.segments(id).await.expect("segments").is_empty());
}

/// Once the fault is gone, the next pass expires the message whole and
/// garbage collection leaves store and manifest equal.
async fn assert_recovers(s: &Setup, id: i64, before: &[ArchivedEvent]) {
    let later = after_window() + Duration::hours(2);
    let report = s.expiry.tick(later).await.expect("tick");
    assert_eq!(report.moved.len(), 1, "{report:?}");
    assert_eq!(state(s, id, later).await, DataState::Expired);
    assert_eq!(all_events(s, id).await, before);
    s.expiry.collect_garbage(later).await.expect("gc");
    assert_no_orphans(s).await;
}

#[tokio::test]
#[ignore = "mounts a tmpfs (needs root); run by make storage-faults"]
async fn a_full_disk_fails_the_move_cleanly_and_the_next_pass_finishes_once_there_is_room() {
    let disk = Tmpfs::mount("2m");
    let s = on_tmpfs(&disk).await;
    let id = stopped_campaign(&s, "Full disk", 600).await;
    let before = all_events(&s, id).await;
    let filler = fill(&disk);
    assert_fails_cleanly(&s, id, &before, "long-term storage is full").await;
    std::fs::remove_file(filler).expect("free space");
    assert_recovers(&s, id, &before).await;
}

#[tokio::test]
#[ignore = "mounts a tmpfs (needs root); run by make storage-faults"]
async fn a_read_only_disk_fails_the_move_cleanly_and_the_next_pass_finishes_once_writable() {
    let disk = Tmpfs::mount("8m");
    let s = on_tmpfs(&disk).await;
    let id = stopped_campaign(&s, "Read-only", 200).await;
    let before = all_events(&s, id).await;
    disk.remount("ro");
    assert_fails_cleanly(&s, id, &before, "long-term storage is read-only").await;
    disk.remount("rw");
    assert_recovers(&s, id, &before).await;
}
