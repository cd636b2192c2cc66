//! Long-term storage segments: one immutable, zstd-compressed Parquet file per
//! archived message, holding that message's per-user interaction events.
//!
//! Segments are meant to be read as-is by DuckDB, Spark or pyarrow, so the
//! schema below is a public contract; changing it means a new segment format.
//!
//! | column       | Parquet type                                   |
//! |--------------|------------------------------------------------|
//! | `message_id` | INT64                                          |
//! | `kind`       | INT32 (1 received … 5 control)                 |
//! | `profile_id` | INT64                                          |
//! | `user_id`    | BYTE_ARRAY, STRING                             |
//! | `at`         | INT64, TIMESTAMP(MILLIS, isAdjustedToUTC=true) |
//! | `event_id`   | BYTE_ARRAY, STRING                             |
//! | `variant`    | INT32                                          |
//! | `step`       | INT32                                          |
//! | `machine`    | BOOLEAN                                        |
//! | `link`       | BYTE_ARRAY, STRING, OPTIONAL                   |
//!
//! All columns but `link` are REQUIRED. `kind`, `variant` and `step` are INT32
//! because they are small ordinals and INT32 is what SQL engines call INTEGER.
//! Rows are sorted by (kind, profile_id, at, event_id) within each row group,
//! which is also declared in the footer (`sorting_columns`).
//!
//! Integrity is all-or-nothing: the manifest keeps the SHA-256 and row count of
//! each segment and [`SegmentReader::open`] refuses a file that disagrees with
//! either before any Parquet decoding happens. That order matters: parquet's
//! decoders can panic on damaged pages, so they must only see verified bytes.

use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::column::reader::ColumnReader;
use parquet::column::writer::ColumnWriter;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DataType, Int32Type, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{DEFAULT_CREATED_BY, EnabledStatistics, WriterProperties};
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::{ColumnDescriptor, SchemaDescriptor, Type};
use sha2::{Digest, Sha256};

/// Rows per row group: large enough for zstd and dictionaries to pay off,
/// small enough that restoring one group at a time keeps memory bounded.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// zstd's own default. On 100k realistic rows (see `zstd_levels`) levels 1, 3
/// and 9 come within 6% of each other (readable ids 6.9/6.7/6.4 bytes/row,
/// uuid ids 23.8/24.2/24.2) while 9 takes 1.4-2x the encode time.
const ZSTD_LEVEL: i32 = 3;

const SCHEMA: &str = "
message recall_event {
    required int64 message_id;
    required int32 kind;
    required int64 profile_id;
    required binary user_id (STRING);
    required int64 occurred_at (TIMESTAMP(MILLIS,true));
    required binary event_id (STRING);
    required int32 variant;
    required int32 step;
    required boolean machine;
    optional binary link (STRING);
}";

/// Leaf indexes of the sort key (kind, profile_id, at, event_id) in [`SCHEMA`].
const SORT_KEY: [i32; 4] = [1, 2, 4, 5];

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The bytes are not the segment the manifest describes, or not a valid one.
    #[error("corrupt segment: {0}")]
    Corrupt(String),
    /// The rows or metadata cannot be written as a segment.
    #[error("cannot encode segment: {0}")]
    Encode(String),
    #[error("row group {index} out of range: segment has {count}")]
    RowGroupOutOfRange { index: usize, count: usize },
}

/// One interaction event as stored hot (the columns of the `events` table) plus the user's external id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedEvent {
    pub message_id: i64,
    pub kind: i64,        // 1 received, 2 opened, 3 clicked, 4 converted, 5 control
    pub profile_id: i64,  // internal user id
    pub user_id: String,  // external user id (so the file is self-describing)
    pub at: i64,          // ms since epoch, UTC
    pub event_id: String, // sender's idempotency key
    pub variant: i64,     // ordinal, 0 = none
    pub step: i64,        // ordinal, 0 = none
    pub machine: bool,
    pub link: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EncodedSegment {
    pub bytes: Bytes,
    pub rows: u64,
    /// Lowercase hex SHA-256 of `bytes`.
    pub checksum: String,
}

/// Lowercase hex SHA-256, the form stored in the manifest.
pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Streams rows into an in-memory Parquet file, one row group per `write` call.
pub struct SegmentWriter {
    file: SerializedFileWriter<Vec<u8>>,
    rows: u64,
    message_id: Option<i64>,
    /// Set when parquet failed mid row group; its writer cannot recover from that.
    broken: bool,
}

impl SegmentWriter {
    /// `metadata`: key/value pairs stored in the Parquet footer (e.g. workspace,
    /// message name, variant and step names as JSON).
    pub fn new(metadata: Vec<(String, String)>) -> Result<Self, SegmentError> {
        Self::with_level(metadata, ZSTD_LEVEL)
    }

    fn with_level(metadata: Vec<(String, String)>, level: i32) -> Result<Self, SegmentError> {
        let level = ZstdLevel::try_new(level).map_err(encode)?;
        let metadata: Vec<KeyValue> = metadata
            .into_iter()
            .map(|(key, value)| KeyValue::new(key, value))
            .collect();
        let sorting = SORT_KEY
            .iter()
            .map(|&column_idx| SortingColumn {
                column_idx,
                descending: false,
                nulls_first: false,
            })
            .collect();
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_statistics_enabled(EnabledStatistics::Page)
            // Dictionaries stay for the low-cardinality columns. The sort order
            // makes profile_id and user_id runs of near neighbours and event ids
            // share prefixes, so delta encodings halve the file (12.8 -> 6.7
            // bytes/row); `at` is mostly unique, where a dictionary only costs.
            .set_column_dictionary_enabled("profile_id".into(), false)
            .set_column_encoding("profile_id".into(), Encoding::DELTA_BINARY_PACKED)
            .set_column_dictionary_enabled("user_id".into(), false)
            .set_column_encoding("user_id".into(), Encoding::DELTA_BYTE_ARRAY)
            .set_column_dictionary_enabled("occurred_at".into(), false)
            .set_column_encoding("occurred_at".into(), Encoding::DELTA_BINARY_PACKED)
            .set_column_dictionary_enabled("event_id".into(), false)
            .set_column_encoding("event_id".into(), Encoding::DELTA_BYTE_ARRAY)
            .set_sorting_columns(Some(sorting))
            .set_key_value_metadata((!metadata.is_empty()).then_some(metadata))
            // Readers key writer-bug workarounds on "<app> version <x>", so the
            // encoder stays first and we only add ourselves as the build.
            .set_created_by(format!(
                "{DEFAULT_CREATED_BY} (build recall {})",
                env!("CARGO_PKG_VERSION")
            ))
            .build();
        let file =
            SerializedFileWriter::new(Vec::new(), schema().map_err(encode)?, Arc::new(props))
                .map_err(encode)?;
        Ok(Self {
            file,
            rows: 0,
            message_id: None,
            broken: false,
        })
    }

    /// Writes `rows` (sorted by (kind, profile_id, at, event_id), all of one
    /// message) as one row group; more than [`ROW_GROUP_ROWS`] rows are split.
    pub fn write(&mut self, rows: &[ArchivedEvent]) -> Result<(), SegmentError> {
        if self.broken {
            return Err(SegmentError::Encode("writer failed earlier".into()));
        }
        for group in rows.chunks(ROW_GROUP_ROWS) {
            self.check(group)?;
            let ordinals = [
                int32(group, "kind", |r| r.kind)?,
                int32(group, "variant", |r| r.variant)?,
                int32(group, "step", |r| r.step)?,
            ];
            if let Err(e) = write_group(&mut self.file, group, ordinals) {
                self.broken = true;
                return Err(e);
            }
            self.rows += group.len() as u64;
            self.message_id = group.first().map(|r| r.message_id);
        }
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Finishes the file. A segment with no rows is refused (`Encode("empty
    /// segment")`): a message without events needs no file, and a caller that
    /// got here with nothing most likely lost its input.
    pub fn finish(self) -> Result<EncodedSegment, SegmentError> {
        if self.broken {
            return Err(SegmentError::Encode("writer failed earlier".into()));
        }
        if self.rows == 0 {
            return Err(SegmentError::Encode("empty segment".into()));
        }
        let bytes = Bytes::from(self.file.into_inner().map_err(encode)?);
        Ok(EncodedSegment {
            checksum: checksum(&bytes),
            bytes,
            rows: self.rows,
        })
    }

    /// Rejects input that would make the footer's sort order or the "one
    /// message per segment" rule a lie; runs before parquet sees anything.
    fn check(&self, rows: &[ArchivedEvent]) -> Result<(), SegmentError> {
        fn key(r: &ArchivedEvent) -> (i64, i64, i64, &str) {
            (r.kind, r.profile_id, r.at, &r.event_id)
        }
        for (i, pair) in rows.windows(2).enumerate() {
            if key(&pair[0]) > key(&pair[1]) {
                return Err(SegmentError::Encode(format!(
                    "rows not sorted by (kind, profile_id, at, event_id) at row {}",
                    i + 1
                )));
            }
        }
        let Some(expected) = self.message_id.or(rows.first().map(|r| r.message_id)) else {
            return Ok(());
        };
        if let Some(row) = rows.iter().find(|r| r.message_id != expected) {
            return Err(SegmentError::Encode(format!(
                "segment is for message {expected}, got a row of message {}",
                row.message_id
            )));
        }
        Ok(())
    }
}

/// Converts an ordinal column to INT32; part of validation, so it runs
/// before the row group is started.
fn int32(
    rows: &[ArchivedEvent],
    name: &str,
    get: fn(&ArchivedEvent) -> i64,
) -> Result<Vec<i32>, SegmentError> {
    rows.iter()
        .map(|r| {
            i32::try_from(get(r))
                .map_err(|_| SegmentError::Encode(format!("{name} {} exceeds INT32", get(r))))
        })
        .collect()
}

fn write_group(
    file: &mut SerializedFileWriter<Vec<u8>>,
    rows: &[ArchivedEvent],
    [kind, variant, step]: [Vec<i32>; 3],
) -> Result<(), SegmentError> {
    let int64 = |get: fn(&ArchivedEvent) -> i64| rows.iter().map(get).collect::<Vec<_>>();
    let text = |get: fn(&ArchivedEvent) -> &str| {
        rows.iter()
            .map(|r| ByteArray::from(get(r)))
            .collect::<Vec<_>>()
    };

    let mut group = file.next_row_group().map_err(encode)?;
    let mut index = 0;
    while let Some(mut column) = group.next_column().map_err(encode)? {
        use ColumnWriter::*;
        let written = match (index, column.untyped()) {
            (0, Int64ColumnWriter(w)) => w.write_batch(&int64(|r| r.message_id), None, None),
            (1, Int32ColumnWriter(w)) => w.write_batch(&kind, None, None),
            (2, Int64ColumnWriter(w)) => w.write_batch(&int64(|r| r.profile_id), None, None),
            (3, ByteArrayColumnWriter(w)) => w.write_batch(&text(|r| &r.user_id), None, None),
            (4, Int64ColumnWriter(w)) => w.write_batch(&int64(|r| r.at), None, None),
            (5, ByteArrayColumnWriter(w)) => w.write_batch(&text(|r| &r.event_id), None, None),
            (6, Int32ColumnWriter(w)) => w.write_batch(&variant, None, None),
            (7, Int32ColumnWriter(w)) => w.write_batch(&step, None, None),
            (8, BoolColumnWriter(w)) => {
                let machine: Vec<bool> = rows.iter().map(|r| r.machine).collect();
                w.write_batch(&machine, None, None)
            }
            (9, ByteArrayColumnWriter(w)) => {
                let links: Vec<ByteArray> = rows
                    .iter()
                    .filter_map(|r| r.link.as_deref().map(ByteArray::from))
                    .collect();
                let defined: Vec<i16> = rows.iter().map(|r| i16::from(r.link.is_some())).collect();
                w.write_batch(&links, Some(&defined), None)
            }
            _ => {
                return Err(SegmentError::Encode(format!(
                    "schema has no column {index}"
                )));
            }
        };
        written.map_err(encode)?;
        column.close().map_err(encode)?;
        index += 1;
    }
    group.close().map_err(encode)?;
    Ok(())
}

/// Opens a segment for reading after verifying checksum and row count against
/// the manifest's values.
pub struct SegmentReader {
    file: SerializedFileReader<Bytes>,
    rows: u64,
}

impl SegmentReader {
    pub fn open(
        bytes: Bytes,
        expected_checksum: &str,
        expected_rows: u64,
    ) -> Result<Self, SegmentError> {
        let actual = checksum(&bytes);
        if !actual.eq_ignore_ascii_case(expected_checksum) {
            return Err(SegmentError::Corrupt(format!(
                "checksum mismatch: manifest has {expected_checksum}, {} bytes hash to {actual}",
                bytes.len()
            )));
        }
        let file = SerializedFileReader::new(bytes)
            .map_err(|e| SegmentError::Corrupt(format!("not a readable Parquet file: {e}")))?;
        check_schema(file.metadata().file_metadata().schema_descr())?;

        let declared = file.metadata().file_metadata().num_rows();
        let summed = file
            .metadata()
            .row_groups()
            .iter()
            .try_fold(0i64, |sum, g| sum.checked_add(g.num_rows()));
        let rows = match (u64::try_from(declared), summed) {
            (Ok(rows), Some(sum)) if sum == declared => rows,
            _ => {
                return Err(SegmentError::Corrupt(format!(
                    "footer declares {declared} rows but its row groups hold {summed:?}"
                )));
            }
        };
        if rows != expected_rows {
            return Err(SegmentError::Corrupt(format!(
                "row count mismatch: manifest has {expected_rows}, file has {rows}"
            )));
        }
        Ok(Self { file, rows })
    }

    pub fn row_groups(&self) -> usize {
        self.file.num_row_groups()
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn metadata(&self) -> Vec<(String, String)> {
        let pairs = self.file.metadata().file_metadata().key_value_metadata();
        pairs
            .into_iter()
            .flatten()
            .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
            .collect()
    }

    /// Reads one row group fully (bounded memory: one group at a time).
    pub fn read_row_group(&self, index: usize) -> Result<Vec<ArchivedEvent>, SegmentError> {
        let count = self.row_groups();
        if index >= count {
            return Err(SegmentError::RowGroupOutOfRange { index, count });
        }
        let group = self.file.get_row_group(index).map_err(corrupt)?;
        let n = usize::try_from(group.metadata().num_rows()).map_err(corrupt)?;
        let group = group.as_ref();

        let message_id = read::<Int64Type>(group, 0, n, None)?;
        let kind = read::<Int32Type>(group, 1, n, None)?;
        let profile_id = read::<Int64Type>(group, 2, n, None)?;
        let user_id = strings(read::<ByteArrayType>(group, 3, n, None)?)?;
        let at = read::<Int64Type>(group, 4, n, None)?;
        let event_id = strings(read::<ByteArrayType>(group, 5, n, None)?)?;
        let variant = read::<Int32Type>(group, 6, n, None)?;
        let step = read::<Int32Type>(group, 7, n, None)?;
        let machine = read::<BoolType>(group, 8, n, None)?;
        let mut defined = Vec::with_capacity(n.min(ROW_GROUP_ROWS));
        let mut links =
            strings(read::<ByteArrayType>(group, 9, n, Some(&mut defined))?)?.into_iter();
        let link: Vec<Option<String>> = defined
            .iter()
            .map(|&level| if level == 1 { links.next() } else { None })
            .collect();
        if link.len() != n || links.next().is_some() {
            return Err(SegmentError::Corrupt(format!(
                "column link: {} levels for {n} rows or stray values",
                link.len()
            )));
        }

        let rows = (0..n)
            .zip(user_id)
            .zip(event_id)
            .zip(link)
            .map(|(((i, user_id), event_id), link)| ArchivedEvent {
                message_id: message_id[i],
                kind: kind[i].into(),
                profile_id: profile_id[i],
                user_id,
                at: at[i],
                event_id,
                variant: variant[i].into(),
                step: step[i].into(),
                machine: machine[i],
                link,
            })
            .collect();
        Ok(rows)
    }
}

/// Reads all `rows` records of one column; `levels` is given for the
/// OPTIONAL column and receives one definition level per row.
fn read<T: DataType>(
    group: &dyn RowGroupReader,
    column: usize,
    rows: usize,
    mut levels: Option<&mut Vec<i16>>,
) -> Result<Vec<T::T>, SegmentError> {
    let untyped: ColumnReader = group.get_column_reader(column).map_err(corrupt)?;
    // `get_typed_column_reader` panics on a type mismatch; this does not.
    let mut reader = T::get_column_reader(untyped)
        .ok_or_else(|| SegmentError::Corrupt(format!("column {column} has an unexpected type")))?;
    let mut values = Vec::with_capacity(rows.min(ROW_GROUP_ROWS));
    let mut read = 0;
    while read < rows {
        let (records, _, _) = reader
            .read_records(rows - read, levels.as_deref_mut(), None, &mut values)
            .map_err(corrupt)?;
        if records == 0 {
            break;
        }
        read += records;
    }
    if read != rows {
        return Err(SegmentError::Corrupt(format!(
            "column {column} holds {read} rows, row group declares {rows}"
        )));
    }
    Ok(values)
}

fn strings(values: Vec<ByteArray>) -> Result<Vec<String>, SegmentError> {
    values
        .iter()
        .map(|v| v.as_utf8().map(str::to_owned).map_err(corrupt))
        .collect()
}

fn schema() -> Result<Arc<Type>, ParquetError> {
    parse_message_type(SCHEMA).map(Arc::new)
}

/// Compares leaf by leaf so that the error names the offending column.
fn check_schema(found: &SchemaDescriptor) -> Result<(), SegmentError> {
    let expected = SchemaDescriptor::new(schema().map_err(encode)?);
    let describe = |c: &ColumnDescriptor| {
        format!(
            "{} {} {:?} def={}",
            c.path(),
            c.physical_type(),
            c.logical_type_ref(),
            c.max_def_level()
        )
    };
    if found.num_columns() != expected.num_columns() {
        return Err(SegmentError::Corrupt(format!(
            "schema mismatch: {} columns, expected {}",
            found.num_columns(),
            expected.num_columns()
        )));
    }
    for (f, e) in found.columns().iter().zip(expected.columns()) {
        let same = f.path() == e.path()
            && f.physical_type() == e.physical_type()
            && f.logical_type_ref() == e.logical_type_ref()
            && f.max_def_level() == e.max_def_level()
            && f.max_rep_level() == e.max_rep_level();
        if !same {
            return Err(SegmentError::Corrupt(format!(
                "schema mismatch: found {}, expected {}",
                describe(f),
                describe(e)
            )));
        }
    }
    Ok(())
}

fn encode(e: impl std::fmt::Display) -> SegmentError {
    SegmentError::Encode(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> SegmentError {
    SegmentError::Corrupt(e.to_string())
}

mod event_ids;

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
