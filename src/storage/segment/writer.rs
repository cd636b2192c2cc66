//! The write side of the segment format: [`SegmentWriter`] validates sorted
//! rows of one message and encodes them as zstd-compressed row groups.

use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::{DEFAULT_CREATED_BY, EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;

use super::{
    ArchivedEvent, EncodedSegment, ROW_GROUP_ROWS, SORT_KEY, SegmentError, checksum, encode, schema,
};

/// zstd's own default. On 100k realistic rows (see `zstd_levels`) levels 1, 3
/// and 9 come within 6% of each other (readable ids 6.9/6.7/6.4 bytes/row,
/// uuid ids 23.8/24.2/24.2) while 9 takes 1.4-2x the encode time.
pub(super) const ZSTD_LEVEL: i32 = 3;

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

    pub(super) fn with_level(
        metadata: Vec<(String, String)>,
        level: i32,
    ) -> Result<Self, SegmentError> {
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
