//! The `.eml` outbox: atomic writes, listing and reading, with just enough
//! header decoding (folded lines, RFC 2047 words) to show what was sent.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{MailError, OutboxEntry, sanitise};
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Temp file + fsync + rename, so a reader (or a crash) never sees half a mail,
/// and a rewrite of the same id replaces the old file in one step.
pub(super) fn write_atomic(dir: &Path, file: &str, bytes: &[u8]) -> Result<PathBuf, MailError> {
    let io =
        |what: &str, e: std::io::Error| MailError::Io(format!("{what} in {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(|e| io("cannot create outbox", e))?;
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{file}.{}.{n}.tmp", std::process::id()));
    let target = dir.join(file);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("cannot write outbox file", e));
    }
    // Persist the rename itself; directories cannot be opened this way on Windows.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(target)
}

/// Lists the outbox newest first. A missing directory is an empty outbox;
/// unreadable files are skipped (with a warning) rather than hiding the rest.
pub fn list_outbox(dir: &Path) -> Result<Vec<OutboxEntry>, MailError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(MailError::Io(format!("cannot list {}: {e}", dir.display()))),
    };
    let mut listed = Vec::new();
    for entry in entries.flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        // Symlinks are skipped like in read_outbox: the outbox only holds our own files.
        if !is_outbox_name(&name) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        match read_entry(&entry.path(), name) {
            Ok(item) => listed.push(item),
            Err(e) => {
                tracing::warn!(path = %entry.path().display(), error = %e, "skipping outbox file")
            }
        }
    }
    listed.sort_by(|(a, ea), (b, eb)| b.cmp(a).then_with(|| ea.file.cmp(&eb.file)));
    Ok(listed.into_iter().map(|(_, entry)| entry).collect())
}

/// Returns (sort key: seconds since epoch, entry).
fn read_entry(path: &Path, file: String) -> std::io::Result<(i64, OutboxEntry)> {
    let f = std::fs::File::open(path)?;
    let meta = f.metadata()?;
    // Headers only: stop at the blank line, and never read a huge body.
    let mut head = Vec::new();
    f.take(64 * 1024).read_to_end(&mut head)?;
    let head = String::from_utf8_lossy(&head);
    let head = head.split("\r\n\r\n").next().unwrap_or_default();
    let head = head.split("\n\n").next().unwrap_or_default();
    let (mut to, mut subject, mut date) = (Vec::new(), String::new(), None);
    for (name, value) in unfold_headers(head) {
        match name.to_ascii_lowercase().as_str() {
            "to" => {
                to = split_addresses(&value)
                    .iter()
                    .map(|a| decode_rfc2047(a))
                    .collect()
            }
            "subject" => subject = decode_rfc2047(&value),
            "date" => date = Some(value),
            _ => {}
        }
    }
    let parsed = date
        .as_deref()
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok());
    let mtime = meta
        .modified()
        .ok()
        .map(chrono::DateTime::<chrono::Utc>::from);
    let key = parsed
        .map(|d| d.timestamp())
        .or(mtime.map(|m| m.timestamp()))
        .unwrap_or(0);
    let date = match parsed {
        Some(d) => Some(d.with_timezone(&chrono::Utc).to_rfc3339()),
        None => date,
    };
    let entry = OutboxEntry {
        file,
        to,
        subject,
        date,
        bytes: meta.len(),
    };
    Ok((key, entry))
}

/// Reads one outbox file. Only names that `list_outbox` could return are
/// accepted, so `../`, absolute paths, hidden temp files and symlinks are refused.
pub fn read_outbox(dir: &Path, file: &str) -> Result<String, MailError> {
    let not_found = || MailError::NotFound(file.to_owned());
    if !is_outbox_name(file) {
        return Err(not_found());
    }
    let path = dir.join(file);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(not_found()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
        Err(e) => {
            return Err(MailError::Io(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| MailError::Io(format!("cannot read {}: {e}", path.display())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn is_outbox_name(name: &str) -> bool {
    name.strip_suffix(".eml")
        .is_some_and(|stem| !stem.is_empty() && !stem.starts_with('.') && sanitise(stem) == stem)
}

fn unfold_headers(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

/// Splits a raw To header on commas outside quotes and angle brackets; decoding
/// comes after, as an encoded display name may hide a comma ("Doe, John").
fn split_addresses(value: &str) -> Vec<String> {
    let (mut parts, mut current, mut quoted, mut angle) = (Vec::new(), String::new(), false, false);
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Decodes RFC 2047 encoded-words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`).
/// Adjacent words are joined before UTF-8 decoding because an encoder may split
/// a multi-byte character between them; whitespace between them is dropped.
pub(super) fn decode_rfc2047(s: &str) -> String {
    let (mut out, mut pending, mut rest, mut prev_encoded) = (String::new(), Vec::new(), s, false);
    while let Some((before, bytes, after)) = next_encoded_word(rest) {
        if !(prev_encoded && before.trim().is_empty()) {
            out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
            out.push_str(before);
        }
        pending.extend(bytes);
        rest = after;
        prev_encoded = true;
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(rest);
    out
}

/// Finds the first well-formed encoded-word: (text before, decoded bytes, text after).
fn next_encoded_word(s: &str) -> Option<(&str, Vec<u8>, &str)> {
    let mut from = 0;
    while let Some(offset) = s[from..].find("=?") {
        let start = from + offset;
        let body = &s[start + 2..];
        let parsed = (|| {
            let (_charset, rest) = body.split_once('?')?;
            let (encoding, rest) = rest.split_once('?')?;
            let (text, _) = rest.split_once("?=")?;
            if text.contains(char::is_whitespace) {
                return None;
            }
            let bytes = match encoding {
                "b" | "B" => decode_base64(text)?,
                "q" | "Q" => unescape(text, b'='),
                _ => return None,
            };
            let consumed = body.len() - rest.len() + text.len() + 2;
            Some((bytes, consumed))
        })();
        match parsed {
            Some((bytes, consumed)) => {
                return Some((&s[..start], bytes, &s[start + 2 + consumed..]));
            }
            None => from = start + 2,
        }
    }
    None
}

pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Undoes `=XX` (RFC 2047 Q) or `%XX` (URL) escapes; in Q, `_` is a space.
pub(super) fn unescape(text: &str, escape: u8) -> Vec<u8> {
    let (bytes, mut out, mut i) = (text.as_bytes(), Vec::new(), 0);
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (c, Some(byte)) if c == escape => {
                out.push(byte);
                i += 3;
                continue;
            }
            (b'_', _) if escape == b'=' => out.push(b' '),
            (other, _) => out.push(other),
        }
        i += 1;
    }
    out
}
