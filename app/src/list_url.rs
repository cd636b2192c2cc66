//! The list pages keep their whole filter in the URL query, so reloads,
//! the back button and shared links all show the same list.
//!
//! `?q=spring&tag=promo&tag=vip&status=stopped&state=expired&sort=name&dir=asc&page=2`

use recall::types::{DataState, MessageKind, MessageListQuery, MessageStatus, SortKey};

/// Reads a query from URL pairs; unknown or bad values fall back to the
/// defaults instead of failing the page.
pub fn parse_list_query(kind: MessageKind, pairs: &[(String, String)]) -> MessageListQuery {
    let mut query = MessageListQuery::for_kind(kind);
    for (key, value) in pairs {
        match key.as_str() {
            "q" => query.q = value.clone(),
            "tag" if !value.trim().is_empty() && !query.tags.contains(value) => {
                query.tags.push(value.clone())
            }
            "status" => query.status = value.parse::<MessageStatus>().ok(),
            "state" => query.data_state = value.parse::<DataState>().ok(),
            "sort" => query.sort = SortKey::parse(value).unwrap_or_default(),
            "dir" => query.descending = value != "asc",
            "page" => query.page = value.parse().unwrap_or(1),
            "per_page" => query.per_page = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    query.normalized()
}

/// The URL of `base` showing `query`; defaults are left out to keep links
/// short.
pub fn list_href(base: &str, query: &MessageListQuery) -> String {
    let mut parts: Vec<(String, String)> = Vec::new();
    if !query.q.is_empty() {
        parts.push(("q".into(), query.q.clone()));
    }
    for tag in &query.tags {
        parts.push(("tag".into(), tag.clone()));
    }
    if let Some(status) = query.status {
        parts.push(("status".into(), status.as_str().into()));
    }
    if let Some(state) = query.data_state {
        parts.push(("state".into(), state.as_str().into()));
    }
    if query.sort != SortKey::default() {
        parts.push(("sort".into(), query.sort.as_str().into()));
    }
    if !query.descending {
        parts.push(("dir".into(), "asc".into()));
    }
    if query.page > 1 {
        parts.push(("page".into(), query.page.to_string()));
    }
    if query.per_page != MessageListQuery::DEFAULT_PER_PAGE {
        parts.push(("per_page".into(), query.per_page.to_string()));
    }
    if parts.is_empty() {
        return base.to_string();
    }
    let encoded: Vec<String> = parts
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("{base}?{}", encoded.join("&"))
}

/// The same query with `tag` switched on or off, back on page 1.
pub fn toggle_tag(query: &MessageListQuery, tag: &str) -> MessageListQuery {
    let mut next = query.clone();
    if let Some(pos) = next.tags.iter().position(|t| t == tag) {
        next.tags.remove(pos);
    } else {
        next.tags.push(tag.to_string());
    }
    next.page = 1;
    next
}

/// Sorting by `key`; a second click on the same column flips the order.
pub fn sort_by(query: &MessageListQuery, key: SortKey) -> MessageListQuery {
    let mut next = query.clone();
    if next.sort == key {
        next.descending = !next.descending;
    } else {
        next.sort = key;
        next.descending = key != SortKey::Name;
    }
    next.page = 1;
    next
}

fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_query_survives_the_round_trip_through_the_url() {
        let mut query = MessageListQuery::for_kind(MessageKind::Campaign);
        query.q = "spring sale".into();
        query.tags = vec!["promo".into(), "q4/2026".into()];
        query.status = Some(MessageStatus::Stopped);
        query.data_state = Some(DataState::Expired);
        query.sort = SortKey::Name;
        query.descending = false;
        query.page = 3;
        let href = list_href("/campaigns", &query);
        assert_eq!(
            href,
            "/campaigns?q=spring+sale&tag=promo&tag=q4%2F2026&status=stopped&state=expired&sort=name&dir=asc&page=3"
        );
        let decoded = pairs(&[
            ("q", "spring sale"),
            ("tag", "promo"),
            ("tag", "q4/2026"),
            ("status", "stopped"),
            ("state", "expired"),
            ("sort", "name"),
            ("dir", "asc"),
            ("page", "3"),
        ]);
        assert_eq!(parse_list_query(MessageKind::Campaign, &decoded), query);
    }

    #[test]
    fn bad_values_fall_back_to_defaults() {
        let query = parse_list_query(
            MessageKind::Canvas,
            &pairs(&[
                ("status", "bogus"),
                ("page", "-4"),
                ("per_page", "100000"),
                ("sort", "x"),
            ]),
        );
        assert_eq!(query.status, None);
        assert_eq!(query.page, 1);
        assert_eq!(query.per_page, MessageListQuery::MAX_PER_PAGE);
        assert_eq!(query.sort, SortKey::LastActivity);
    }

    #[test]
    fn toggling_a_tag_adds_or_removes_it_and_resets_the_page() {
        let mut query = MessageListQuery::for_kind(MessageKind::Campaign);
        query.page = 4;
        let with = toggle_tag(&query, "vip");
        assert_eq!((with.tags.clone(), with.page), (vec!["vip".to_string()], 1));
        assert!(toggle_tag(&with, "vip").tags.is_empty());
    }

    #[test]
    fn clicking_the_sorted_column_again_flips_the_order() {
        let query = MessageListQuery::for_kind(MessageKind::Campaign);
        let by_name = sort_by(&query, SortKey::Name);
        assert!(!by_name.descending);
        assert!(sort_by(&by_name, SortKey::Name).descending);
    }
}
