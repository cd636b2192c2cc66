//! One column of a segment on its own: the senders' event ids, which is
//! all ingest needs to recognise an id sent again after its message expired.

use parquet::data_type::ByteArrayType;
use parquet::file::reader::FileReader;

use super::reader::{read, strings};
use super::{SegmentError, SegmentReader, corrupt};

/// Leaf index of `event_id` in the schema.
const EVENT_ID: usize = 5;

impl SegmentReader {
    /// The event ids of one row group, in row order. Only that column is
    /// decoded, so this costs a fraction of [`SegmentReader::read_row_group`].
    pub fn read_event_ids(&self, index: usize) -> Result<Vec<String>, SegmentError> {
        let count = self.row_groups();
        if index >= count {
            return Err(SegmentError::RowGroupOutOfRange { index, count });
        }
        let group = self.file.get_row_group(index).map_err(corrupt)?;
        let rows = usize::try_from(group.metadata().num_rows()).map_err(corrupt)?;
        strings(read::<ByteArrayType>(group.as_ref(), EVENT_ID, rows, None)?)
    }
}
