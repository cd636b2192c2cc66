//! Display helpers shared by pages: dates, counts, rates, sizes and
//! retention windows.

use chrono::{DateTime, Utc};

pub fn date(at: DateTime<Utc>) -> String {
    at.format("%b %-d, %Y").to_string()
}

pub fn date_time(at: DateTime<Utc>) -> String {
    at.format("%b %-d, %Y %H:%M UTC").to_string()
}

/// 1234567 -> "1,234,567".
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub fn percent(value: f64) -> String {
    format!("{value:.1}%")
}

/// What to tell a person when a server function failed: the server's
/// reason, as a sentence, or a hint to retry when it could not be reached.
pub fn failure(err: &leptos::prelude::ServerFnError) -> String {
    use leptos::prelude::ServerFnError;
    let text = match err {
        ServerFnError::ServerError(text) => text.clone(),
        ServerFnError::Request(_) | ServerFnError::Response(_) => {
            "Recall could not be reached. Check your connection and try again".to_string()
        }
        other => other.to_string(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => "Something went wrong.".to_string(),
    }
}

/// Why a message's data is kept, in words.
pub fn retained_by(reason: &recall::types::RetainedBy) -> String {
    use recall::types::RetainedBy;
    match reason {
        RetainedBy::Pin { until: Some(until) } => {
            format!("Kept available by a person until {}", date(*until))
        }
        RetainedBy::Pin { until: None } => "Kept available by a person until unpinned".into(),
        RetainedBy::Audience {
            message_id,
            message_name,
            segment: Some(segment),
        } => format!(
            "Used by the audience of active message \"{message_name}\" (#{message_id}) through segment \"{segment}\""
        ),
        RetainedBy::Audience {
            message_id,
            message_name,
            segment: None,
        } => format!("Used by the audience of active message \"{message_name}\" (#{message_id})"),
    }
}

/// A retention window in words: "3 months", "1 month", "Never".
pub fn retention(months: Option<u32>) -> String {
    match months {
        None => "Never".to_string(),
        Some(1) => "1 month".to_string(),
        Some(m) => format!("{m} months"),
    }
}

/// 1536 -> "1.5 KB": sizes in binary units with one decimal.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = n.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} {}", n.max(0), UNITS[0])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(-1_234_567), "-1,234,567");
    }

    #[test]
    fn server_reasons_read_as_sentences() {
        let err = leptos::prelude::ServerFnError::new("pin end must be in the future");
        assert_eq!(failure(&err), "Pin end must be in the future.");
    }

    #[test]
    fn sizes_are_human_readable() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(1023), "1023 bytes");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GB");
    }

    #[test]
    fn retention_windows_read_as_words() {
        assert_eq!(retention(None), "Never");
        assert_eq!(retention(Some(1)), "1 month");
        assert_eq!(retention(Some(6)), "6 months");
    }
}
