//! The read side of the segment format: [`SegmentReader`] verifies a file
//! against the manifest (checksum, row count, schema) before decoding any of it.

use bytes::Bytes;
use parquet::column::reader::ColumnReader;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DataType, Int32Type, Int64Type};
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::schema::types::{ColumnDescriptor, SchemaDescriptor};

use super::{ArchivedEvent, ROW_GROUP_ROWS, SegmentError, checksum, corrupt, encode, schema};

/// Opens a segment for reading after verifying checksum and row count against
/// the manifest's values.
pub struct SegmentReader {
    pub(super) file: SerializedFileReader<Bytes>,
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
pub(super) fn read<T: DataType>(
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

pub(super) fn strings(values: Vec<ByteArray>) -> Result<Vec<String>, SegmentError> {
    values
        .iter()
        .map(|v| v.as_utf8().map(str::to_owned).map_err(corrupt))
        .collect()
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
