//! Segment codec tests: round trips, damage detection, sizes.

use parquet::data_type::Int64Type;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use super::writer::ZSTD_LEVEL;
use super::*;

/// splitmix64: deterministic data without a `rand` dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn sort(rows: &mut [ArchivedEvent]) {
    rows.sort_by(|a, b| {
        (a.kind, a.profile_id, a.at, &a.event_id).cmp(&(b.kind, b.profile_id, b.at, &b.event_id))
    });
}

/// One campaign message: everyone but a 5% control group receives it,
/// ~45% open (a third of opens are machine opens), some click and convert.
fn realistic(n: usize, uuid_ids: bool) -> Vec<ArchivedEvent> {
    const LINKS: [&str; 4] = [
        "https://shop.example.com/sale?utm_source=recall&utm_campaign=m42",
        "https://shop.example.com/new-arrivals",
        "https://example.com/unsubscribe",
        "https://shop.example.com/cart",
    ];
    let mut rng = Rng(42);
    let mut rows = Vec::with_capacity(n + 8);
    let sent = 1_760_000_000_000;
    let mut profile_id = 10_000;
    while rows.len() < n {
        profile_id += 1 + rng.below(3);
        let user = profile_id - 10_000;
        let variant = 1 + rng.below(2);
        let mut push = |rng: &mut Rng, kind: i64, at: i64, machine, link: Option<&str>| {
            let event_id = if uuid_ids {
                let (a, b) = (rng.next(), rng.next());
                format!(
                    "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    0x8000 | (b >> 48) & 0x3fff,
                    b & 0xffff_ffff_ffff
                )
            } else {
                let name = ["", "recv", "open", "click", "conv", "ctrl"][kind as usize];
                let nth = 1 + rows
                    .iter()
                    .rev()
                    .take_while(|r: &&ArchivedEvent| r.profile_id == profile_id)
                    .filter(|r| r.kind == kind)
                    .count();
                format!("m42-u{user:06}-{name}-{nth}")
            };
            rows.push(ArchivedEvent {
                message_id: 42,
                kind,
                profile_id,
                user_id: format!("user-{user:06}"),
                at,
                event_id,
                variant,
                step: 0,
                machine,
                link: link.map(str::to_owned),
            });
        };
        let received = sent + rng.below(600_000);
        if rng.chance(5) {
            push(&mut rng, 5, received, false, None);
            continue;
        }
        push(&mut rng, 1, received, false, None);
        if !rng.chance(45) {
            continue;
        }
        let opened = received + rng.below(86_400_000);
        let machine = rng.chance(33);
        push(&mut rng, 2, opened, machine, None);
        if rng.chance(30) {
            let again = opened + rng.below(3_600_000);
            push(&mut rng, 2, again, false, None);
        }
        if rng.chance(20) {
            let clicked = opened + rng.below(300_000);
            let link = LINKS[rng.below(LINKS.len() as u64) as usize];
            let machine = rng.chance(5);
            push(&mut rng, 3, clicked, machine, Some(link));
            if rng.chance(20) {
                let converted = clicked + rng.below(3_600_000);
                push(&mut rng, 4, converted, false, None);
            }
        }
    }
    rows.truncate(n);
    sort(&mut rows);
    rows
}

fn encode_rows(rows: &[ArchivedEvent], metadata: Vec<(String, String)>) -> EncodedSegment {
    let mut writer = SegmentWriter::new(metadata).expect("test setup");
    writer.write(rows).expect("test setup");
    writer.finish().expect("test setup")
}

fn read_all(reader: &SegmentReader) -> Vec<ArchivedEvent> {
    (0..reader.row_groups())
        .flat_map(|i| reader.read_row_group(i).expect("test setup"))
        .collect()
}

fn corrupt_reason(result: Result<SegmentReader, SegmentError>) -> String {
    match result {
        Err(SegmentError::Corrupt(reason)) => reason,
        Err(other) => panic!("expected Corrupt, got {other:?}"),
        Ok(_) => panic!("expected Corrupt, got a reader"),
    }
}

/// Edge values: extreme integers, empty and non-ASCII strings, NUL bytes.
fn odd_rows() -> Vec<ArchivedEvent> {
    let row = |kind, profile_id: i64, user_id: &str, event_id: &str| ArchivedEvent {
        message_id: 7,
        kind,
        profile_id,
        user_id: user_id.into(),
        at: profile_id,
        event_id: event_id.into(),
        variant: i64::from(i32::MAX),
        step: i64::from(i32::MIN),
        machine: false,
        link: None,
    };
    let link = Some("https://example.com/ü?q=✓".to_owned());
    vec![
        row(1, i64::MIN, "", ""),
        ArchivedEvent {
            machine: true,
            link: Some(String::new()),
            ..row(1, -1, "Zoë 🦀", "ключ-1")
        },
        ArchivedEvent {
            link,
            ..row(2, 0, "用户-零", "e\0nul")
        },
        row(2, 0, "用户-零", "e\0nul"),
        ArchivedEvent {
            machine: true,
            ..row(3, i64::MAX, "user-000123", "m42-u000123-open-1")
        },
    ]
}

#[test]
fn round_trip_across_row_groups() {
    let mut rows = realistic(5_000, false);
    rows.iter_mut().for_each(|r| r.message_id = 7);
    rows.extend(odd_rows());
    sort(&mut rows);

    let mut writer = SegmentWriter::new(vec![]).expect("test setup");
    writer.write(&rows[..1_000]).expect("test setup");
    writer.write(&rows[1_000..1_001]).expect("test setup");
    writer.write(&[]).expect("test setup");
    writer.write(&rows[1_001..]).expect("test setup");
    assert_eq!(writer.rows(), rows.len() as u64);
    let segment = writer.finish().expect("test setup");
    assert_eq!(segment.rows, rows.len() as u64);
    assert_eq!(segment.checksum, checksum(&segment.bytes));

    let reader =
        SegmentReader::open(segment.bytes, &segment.checksum, segment.rows).expect("test setup");
    assert_eq!(reader.row_groups(), 3);
    assert_eq!(reader.rows(), rows.len() as u64);
    assert_eq!(
        reader.read_row_group(1).expect("test setup"),
        rows[1_000..1_001]
    );
    assert_eq!(read_all(&reader), rows);
    assert!(rows.iter().any(|r| r.machine) && rows.iter().any(|r| !r.machine));
    assert!(rows.iter().any(|r| r.link.is_none()) && rows.iter().any(|r| r.link.is_some()));
}

#[test]
fn oversized_write_is_split_into_row_groups() {
    let rows = realistic(ROW_GROUP_ROWS + 10, true);
    let segment = encode_rows(&rows, vec![]);
    let reader =
        SegmentReader::open(segment.bytes, &segment.checksum, segment.rows).expect("test setup");
    assert_eq!(reader.row_groups(), 2);
    assert_eq!(
        reader.read_row_group(1).expect("test setup"),
        rows[ROW_GROUP_ROWS..]
    );
    assert!(matches!(
        reader.read_row_group(2),
        Err(SegmentError::RowGroupOutOfRange { index: 2, count: 2 })
    ));
}

#[test]
fn metadata_round_trips() {
    let metadata = vec![
        ("workspace".to_owned(), "acme".to_owned()),
        ("message".to_owned(), "Sommer-Sale ☀️".to_owned()),
        ("variants".to_owned(), r#"["control","A","B"]"#.to_owned()),
        ("empty".to_owned(), String::new()),
    ];
    let segment = encode_rows(&odd_rows(), metadata.clone());
    let reader =
        SegmentReader::open(segment.bytes, &segment.checksum, segment.rows).expect("test setup");
    assert_eq!(reader.metadata(), metadata);

    let segment = encode_rows(&odd_rows(), vec![]);
    let reader =
        SegmentReader::open(segment.bytes, &segment.checksum, segment.rows).expect("test setup");
    assert_eq!(reader.metadata(), vec![]);
}

#[test]
fn checksum_mismatch_is_corrupt() {
    let segment = encode_rows(&odd_rows(), vec![]);
    let wrong = checksum(b"something else");
    let reason = corrupt_reason(SegmentReader::open(segment.bytes.clone(), &wrong, 5));
    assert!(reason.contains("checksum mismatch"), "{reason}");
    // The manifest may hold the checksum in upper case; that is not corruption.
    let upper = segment.checksum.to_uppercase();
    assert!(SegmentReader::open(segment.bytes, &upper, 5).is_ok());
}

#[test]
fn truncated_bytes_are_corrupt() {
    let segment = encode_rows(&realistic(2_000, false), vec![]);
    for len in [0, 4, 8, segment.bytes.len() / 2, segment.bytes.len() - 1] {
        let cut = segment.bytes.slice(..len);
        let reason = corrupt_reason(SegmentReader::open(cut.clone(), &segment.checksum, 2_000));
        assert!(reason.contains("checksum mismatch"), "{reason}");
        // Even with a manifest that matches the truncated bytes, no panic.
        let reason = corrupt_reason(SegmentReader::open(cut.clone(), &checksum(&cut), 2_000));
        assert!(
            reason.contains("not a readable Parquet file"),
            "{len}: {reason}"
        );
    }
}

#[test]
fn flipped_byte_is_caught_by_checksum() {
    let segment = encode_rows(&realistic(2_000, false), vec![]);
    let mut bytes = segment.bytes.to_vec();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let reason = corrupt_reason(SegmentReader::open(bytes.into(), &segment.checksum, 2_000));
    assert!(reason.contains("checksum mismatch"), "{reason}");
}

#[test]
fn wrong_row_count_is_corrupt() {
    let segment = encode_rows(&odd_rows(), vec![]);
    let reason = corrupt_reason(SegmentReader::open(segment.bytes, &segment.checksum, 6));
    assert!(reason.contains("row count mismatch"), "{reason}");
    assert!(reason.contains("manifest has 6, file has 5"), "{reason}");
}

#[test]
fn foreign_parquet_file_is_a_schema_mismatch() {
    let schema =
        parse_message_type("message m { required int64 message_id; }").expect("test setup");
    let props = Arc::new(WriterProperties::builder().build());
    let mut file =
        SerializedFileWriter::new(Vec::new(), Arc::new(schema), props).expect("test setup");
    let mut group = file.next_row_group().expect("test setup");
    let mut column = group
        .next_column()
        .expect("test setup")
        .expect("test setup");
    column
        .typed::<Int64Type>()
        .write_batch(&[1], None, None)
        .expect("test setup");
    column.close().expect("test setup");
    group.close().expect("test setup");
    let bytes = Bytes::from(file.into_inner().expect("test setup"));
    let reason = corrupt_reason(SegmentReader::open(bytes.clone(), &checksum(&bytes), 1));
    assert!(reason.contains("schema mismatch"), "{reason}");
}

#[test]
fn empty_segment_is_refused() {
    let mut writer = SegmentWriter::new(vec![]).expect("test setup");
    writer.write(&[]).expect("test setup");
    assert!(
        matches!(writer.finish(), Err(SegmentError::Encode(reason)) if reason == "empty segment")
    );
}

#[test]
fn bad_input_is_refused_before_writing() {
    let rows = odd_rows();
    let mut writer = SegmentWriter::new(vec![]).expect("test setup");
    let reversed: Vec<_> = rows.iter().rev().cloned().collect();
    assert!(
        matches!(writer.write(&reversed), Err(SegmentError::Encode(r)) if r.contains("not sorted"))
    );

    let mut other = rows[4].clone();
    other.message_id = 8;
    writer.write(&rows).expect("test setup");
    assert!(
        matches!(writer.write(&[other]), Err(SegmentError::Encode(r)) if r.contains("message 8"))
    );

    let mut huge = rows[4].clone();
    huge.step = i64::from(i32::MAX) + 1;
    assert!(matches!(writer.write(&[huge]), Err(SegmentError::Encode(r)) if r.contains("step")));

    // Refused input leaves the writer usable.
    writer.write(&rows[4..]).expect("test setup");
    let segment = writer.finish().expect("test setup");
    let reader = SegmentReader::open(segment.bytes, &segment.checksum, 6).expect("test setup");
    assert_eq!(reader.read_row_group(1).expect("test setup"), rows[4..]);
}

fn bytes_per_row(rows: &[ArchivedEvent], level: i32) -> (usize, f64) {
    let mut writer = SegmentWriter::with_level(vec![], level).expect("test setup");
    for group in rows.chunks(ROW_GROUP_ROWS) {
        writer.write(group).expect("test setup");
    }
    let len = writer.finish().expect("test setup").bytes.len();
    (len, len as f64 / rows.len() as f64)
}

/// Prints, does not assert: `cargo test size_report -- --nocapture`.
#[test]
fn size_report() {
    for uuid_ids in [false, true] {
        let rows = realistic(100_000, uuid_ids);
        let (len, per_row) = bytes_per_row(&rows, ZSTD_LEVEL);
        println!("uuid_ids={uuid_ids}: {len} bytes, {per_row:.2} bytes/row");
    }
}

/// The measurement behind `ZSTD_LEVEL`; slow in debug builds.
#[test]
#[ignore]
fn zstd_levels() {
    for uuid_ids in [false, true] {
        let rows = realistic(100_000, uuid_ids);
        for level in [1, 3, 9] {
            let started = std::time::Instant::now();
            let (len, per_row) = bytes_per_row(&rows, level);
            println!(
                "uuid_ids={uuid_ids} level={level}: {len} bytes, {per_row:.2} bytes/row, {:?}",
                started.elapsed()
            );
        }
    }
}
