//! Long-term storage: immutable Parquet segments in an object store.
//!
//! Objects are laid out as `<workspace slug>/<message id>/<segment>.parquet`
//! so an operator can find a message's data by hand, and any Parquet reader
//! (DuckDB, Spark, Trino, pyarrow) can open them as they are. The manifest
//! of which objects are real lives in the database (`store::manifest`); this
//! module only moves bytes.

mod faults;
pub mod segment;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::error::{Error, Result};

pub use faults::{FaultPoint, Faults};
pub use segment::{ArchivedEvent, EncodedSegment, SegmentError, SegmentReader, SegmentWriter};

/// Where segments are kept. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LongTermStorage {
    store: Arc<dyn ObjectStore>,
    description: String,
    faults: Faults,
    /// The directory, for a local archive (its staging files).
    local_root: Option<PathBuf>,
}

/// One object as listed by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub path: String,
    pub bytes: u64,
    pub modified_at: DateTime<Utc>,
}

impl LongTermStorage {
    /// A directory on the local disk (created if missing). Every write is
    /// fsynced with its directory before it counts: the manifest may only
    /// name files that survive a power cut.
    pub fn local(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| storage_error("open the archive directory", &e))?
            .with_fsync(true)
            .with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            description: format!("directory {}", dir.display()),
            faults: Faults::default(),
            local_root: Some(dir.to_path_buf()),
        })
    }

    /// Opens the archive named by `RECALL_ARCHIVE_URL`, or the default
    /// `<data dir>/archive` when there is none.
    pub fn open(url: Option<&str>, data_dir: &Path) -> Result<Self> {
        match url {
            None | Some("") => Self::local(&data_dir.join("archive")),
            Some(url) => {
                if let Some(path) = url.strip_prefix("file://") {
                    return Self::local(&PathBuf::from(path));
                }
                if let Some(rest) = url.strip_prefix("s3://") {
                    return Self::s3(rest);
                }
                if url.contains("://") {
                    return Err(Error::invalid(format!(
                        "unsupported archive URL {url:?}: use s3://bucket/prefix, file:///path or a directory"
                    )));
                }
                Self::local(&PathBuf::from(url))
            }
        }
    }

    /// S3 or any S3-compatible store: `bucket[/prefix]`, with region,
    /// endpoint and credentials from the usual `AWS_*` variables
    /// (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ALLOW_HTTP`).
    fn s3(bucket_and_prefix: &str) -> Result<Self> {
        let (bucket, prefix) = bucket_and_prefix
            .split_once('/')
            .unwrap_or((bucket_and_prefix, ""));
        if bucket.is_empty() {
            return Err(Error::invalid(
                "archive URL s3:// needs a bucket: s3://bucket/prefix",
            ));
        }
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| Error::invalid(format!("cannot use s3://{bucket}: {e}")))?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(store)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(Self {
            store,
            description: format!("s3://{bucket_and_prefix}"),
            faults: Faults::default(),
            local_root: None,
        })
    }

    /// For tests and the reliability harness: make a step fail on purpose.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn describe(&self) -> &str {
        &self.description
    }

    pub async fn put(&self, path: &str, bytes: Bytes) -> Result<()> {
        self.faults.check(FaultPoint::Put)?;
        self.store
            .put(&object_path(path)?, PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| storage_error("write a segment", &e))?;
        Ok(())
    }

    pub async fn get(&self, path: &str) -> Result<Bytes> {
        self.faults.check(FaultPoint::Get)?;
        let result = self
            .store
            .get(&object_path(path)?)
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => {
                    Error::conflict(format!("segment {path} is missing from long-term storage"))
                }
                other => storage_error("read a segment", &other),
            })?;
        result
            .bytes()
            .await
            .map_err(|e| storage_error("read a segment", &e))
    }

    /// Deleting something already gone is success: deletes are retried.
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.faults.check(FaultPoint::Delete)?;
        match self.store.delete(&object_path(path)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(storage_error("delete a segment", &e)),
        }
    }

    /// Every object in the store (garbage collection, operators).
    pub async fn list(&self) -> Result<Vec<StoredObject>> {
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(None)
            .try_collect()
            .await
            .map_err(|e| storage_error("list long-term storage", &e))?;
        Ok(metas
            .into_iter()
            .map(|meta| StoredObject {
                path: meta.location.to_string(),
                bytes: meta.size,
                modified_at: meta.last_modified,
            })
            .collect())
    }
}

impl LongTermStorage {
    /// A local write goes to `<object>#<n>` and is renamed when complete;
    /// a writer killed in between leaves that file behind, and listings
    /// never show it. Removes those last modified before `before`
    /// (a running write is younger) and answers how many went.
    pub fn remove_stale_staging(&self, before: DateTime<Utc>) -> Result<usize> {
        let Some(root) = &self.local_root else {
            return Ok(0);
        };
        let mut removed = 0;
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    dirs.push(entry.path());
                    continue;
                }
                let name = entry.file_name();
                let is_staging = name
                    .to_str()
                    .and_then(|n| n.rsplit_once('#'))
                    .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
                let modified: DateTime<Utc> = entry.metadata()?.modified()?.into();
                if kind.is_file() && is_staging && modified < before {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// The object name of a new segment; unique so a rerun after a crash never
/// overwrites a file the manifest may already name.
pub fn segment_path(workspace_slug: &str, message_id: i64, now: DateTime<Utc>) -> String {
    let suffix: u32 = rand::random();
    format!(
        "{workspace_slug}/{message_id}/{}-{suffix:08x}.parquet",
        now.format("%Y%m%dT%H%M%S%3fZ")
    )
}

fn object_path(path: &str) -> Result<ObjectPath> {
    ObjectPath::parse(path).map_err(|_| Error::invalid(format!("bad segment path {path:?}")))
}

/// Storage errors are logged in full; callers see what failed and, for
/// the faults an operator fixes on the machine (a full or read-only disk,
/// missing permissions), which one it is, never paths or internals.
fn storage_error(what: &str, err: &(dyn std::error::Error + 'static)) -> Error {
    tracing::error!(error = %err, "long-term storage: could not {what}");
    let state = match io_error_kind(err) {
        Some(std::io::ErrorKind::StorageFull) => "full",
        Some(std::io::ErrorKind::ReadOnlyFilesystem) => "read-only",
        Some(std::io::ErrorKind::PermissionDenied) => "refusing access",
        _ => "unavailable",
    };
    Error::Unavailable(format!("long-term storage is {state}: could not {what}"))
}

/// The kind of the first I/O error in an error's chain of causes.
fn io_error_kind(err: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cause = e.source();
    }
    None
}

impl From<SegmentError> for Error {
    fn from(err: SegmentError) -> Self {
        tracing::warn!(error = %err, "segment check failed");
        Error::Conflict(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_url_selects_the_backend_and_bad_ones_say_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        let default = LongTermStorage::open(None, dir.path()).expect("default");
        assert!(
            default.describe().ends_with("/archive"),
            "{}",
            default.describe()
        );
        let file = format!("file://{}/elsewhere", dir.path().display());
        assert!(
            LongTermStorage::open(Some(&file), dir.path())
                .expect("file")
                .describe()
                .ends_with("/elsewhere")
        );
        let s3 =
            LongTermStorage::open(Some("s3://bucket/recall/archive/"), dir.path()).expect("s3");
        assert_eq!(s3.describe(), "s3://bucket/recall/archive/");
        let err = LongTermStorage::open(Some("s3://"), dir.path()).expect_err("no bucket");
        assert!(err.to_string().contains("needs a bucket"));
        let err = LongTermStorage::open(Some("ftp://host/x"), dir.path()).expect_err("scheme");
        assert!(err.to_string().contains("unsupported archive URL"));
    }

    #[test]
    fn staging_files_a_killed_writer_left_are_removed_once_old() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = LongTermStorage::local(dir.path()).expect("archive");
        let folder = dir.path().join("default/5");
        std::fs::create_dir_all(&folder).expect("mkdir");
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        for name in ["a.parquet#1", "b.parquet#12", "c.parquet", "d#notes"] {
            let file = std::fs::File::create(folder.join(name)).expect("create");
            file.set_modified(old).expect("age");
        }
        std::fs::write(folder.join("e.parquet#2"), b"still being written").expect("young");

        let hour_ago = Utc::now() - chrono::Duration::hours(1);
        assert_eq!(archive.remove_stale_staging(hour_ago).expect("remove"), 2);
        let mut left: Vec<String> = std::fs::read_dir(&folder)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["c.parquet", "d#notes", "e.parquet#2"]);
    }
}
