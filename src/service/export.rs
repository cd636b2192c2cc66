//! Raw download of a message's events, wherever they are: long-term
//! storage segments (checked against the manifest as they are read) and
//! hot rows. Lines have the shape the ingest API accepts, so a download can
//! be sent back in as it is.

use std::collections::{HashMap, VecDeque};

use chrono::SecondsFormat;

use crate::domain::{DataLocation, EventKind};
use crate::error::Result;
use crate::storage::{ArchivedEvent, LongTermStorage, SegmentReader};
use crate::store::{Db, EventSnapshot, SegmentRecord, Workspace, from_ms_public};

/// A download in progress; `next_chunk` yields NDJSON text until `None`.
pub struct Export {
    archive: LongTermStorage,
    segments: VecDeque<SegmentRecord>,
    current: Option<(SegmentReader, usize)>,
    hot: Option<EventSnapshot>,
    variants: HashMap<i64, String>,
    steps: HashMap<i64, String>,
}

const HOT_PAGE: usize = 10_000;

pub async fn open_export(
    db: &Db,
    archive: &LongTermStorage,
    ws: &Workspace,
    id: i64,
) -> Result<Export> {
    let location = db.message_location(ws, id).await?;
    // While hot, the listed segments (if any) duplicate the hot rows.
    let segments = if location == DataLocation::Hot {
        VecDeque::new()
    } else {
        db.segments(id).await?.into()
    };
    let (variants, steps) = db.ordinal_keys(id).await?;
    Ok(Export {
        archive: archive.clone(),
        segments,
        current: None,
        hot: Some(db.event_snapshot(id).await?),
        variants,
        steps,
    })
}

impl Export {
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        loop {
            if let Some((reader, group)) = self.current.as_mut() {
                if *group < reader.row_groups() {
                    let rows = reader.read_row_group(*group)?;
                    *group += 1;
                    return Ok(Some(self.lines(&rows)));
                }
                self.current = None;
            }
            if let Some(segment) = self.segments.pop_front() {
                let bytes = self.archive.get(&segment.path).await?;
                let reader = SegmentReader::open(bytes, &segment.checksum, segment.rows as u64)?;
                self.current = Some((reader, 0));
                continue;
            }
            let Some(hot) = self.hot.as_mut() else {
                return Ok(None);
            };
            let rows = hot.next_page(HOT_PAGE).await?;
            if rows.is_empty() {
                self.hot = None;
                return Ok(None);
            }
            return Ok(Some(self.lines(&rows)));
        }
    }

    fn lines(&self, rows: &[ArchivedEvent]) -> String {
        let mut out = String::with_capacity(rows.len() * 160);
        for row in rows {
            let kind = EventKind::from_code(row.kind).map_or("unknown", EventKind::as_str);
            let line = serde_json::json!({
                "id": row.event_id,
                "message_id": row.message_id,
                "user_id": row.user_id,
                "kind": kind,
                "at": from_ms_public(row.at).to_rfc3339_opts(SecondsFormat::Millis, true),
                "variant": self.variants.get(&row.variant),
                "step": self.steps.get(&row.step),
                "machine": row.machine,
                "link": row.link,
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }
}
