//! Which rows of a list page are selected, and what a bulk restore of them
//! asks for. "All N matching" is kept as "the current filter", not as ids,
//! so it spans pages the browser has never loaded.

use std::collections::BTreeSet;

use recall::types::{MessageListQuery, RestoreRequest};

/// The most messages one restore request may name (the engine's limit).
pub const MAX_IDS: u64 = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Rows ticked one by one (or a page at a time), on any page.
    pub ids: BTreeSet<i64>,
    /// Every message matching the filter; `ids` is then ignored.
    pub all_matching: bool,
}

/// How much of the visible page is selected (the header checkbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCheck {
    None,
    Some,
    All,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        !self.all_matching && self.ids.is_empty()
    }

    /// How many messages are selected, given how many match the filter.
    pub fn count(&self, total: u64) -> u64 {
        if self.all_matching {
            total
        } else {
            self.ids.len() as u64
        }
    }

    pub fn contains(&self, id: i64) -> bool {
        self.all_matching || self.ids.contains(&id)
    }

    /// Ticks or unticks one row. Unticking a row of "all matching" keeps
    /// the rest of the visible page, as mail clients do.
    pub fn toggle(&mut self, id: i64, page: &[i64]) {
        if self.all_matching {
            self.all_matching = false;
            self.ids = page.iter().copied().collect();
        }
        if !self.ids.remove(&id) {
            self.ids.insert(id);
        }
    }

    pub fn page_check(&self, page: &[i64]) -> PageCheck {
        let ticked = page.iter().filter(|id| self.contains(**id)).count();
        match ticked {
            0 => PageCheck::None,
            n if n == page.len() => PageCheck::All,
            _ => PageCheck::Some,
        }
    }

    /// The header checkbox: selects the whole page, or clears it when it
    /// is all selected already.
    pub fn toggle_page(&mut self, page: &[i64]) {
        if self.page_check(page) == PageCheck::All {
            if self.all_matching {
                *self = Selection::default();
            } else {
                for id in page {
                    self.ids.remove(id);
                }
            }
        } else {
            self.ids.extend(page.iter().copied());
        }
    }
}

/// The part of a list query that decides which messages match: a new
/// filter starts a new selection, while paging and sorting keep it.
pub fn same_filter(a: &MessageListQuery, b: &MessageListQuery) -> bool {
    a.kind == b.kind
        && a.q == b.q
        && a.tags == b.tags
        && a.status == b.status
        && a.data_state == b.data_state
}

/// What a bulk restore of a selection asks the server for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Rows picked one by one.
    Ids(Vec<i64>),
    /// Every message carrying the tag (the filter was that tag alone).
    Tag(String),
    /// Every message matching the filter: the ids are collected page by
    /// page before asking.
    Matching(MessageListQuery),
}

impl Target {
    pub fn of(selection: &Selection, query: &MessageListQuery) -> Self {
        if !selection.all_matching {
            return Target::Ids(selection.ids.iter().copied().collect());
        }
        match query.tags.as_slice() {
            [tag] if query.q.is_empty() && query.status.is_none() && query.data_state.is_none() => {
                Target::Tag(tag.clone())
            }
            _ => Target::Matching(MessageListQuery {
                page: 1,
                per_page: MessageListQuery::MAX_PER_PAGE,
                ..query.clone()
            }),
        }
    }

    /// The request, once any ids are known.
    pub fn request(&self, collected: Vec<i64>) -> RestoreRequest {
        match self {
            Target::Ids(ids) => RestoreRequest {
                message_ids: ids.clone(),
                ..Default::default()
            },
            Target::Tag(tag) => RestoreRequest {
                tag: Some(tag.clone()),
                ..Default::default()
            },
            Target::Matching(_) => RestoreRequest {
                message_ids: collected,
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recall::types::{DataState, MessageKind};

    #[test]
    fn the_header_checkbox_selects_and_clears_the_page() {
        let page = [1, 2, 3];
        let mut s = Selection::default();
        s.toggle(2, &page);
        assert_eq!(s.page_check(&page), PageCheck::Some);
        s.toggle_page(&page);
        assert_eq!(s.page_check(&page), PageCheck::All);
        s.toggle_page(&page);
        assert!(s.is_empty());
    }

    #[test]
    fn unticking_a_row_of_all_matching_keeps_the_rest_of_the_page() {
        let mut s = Selection {
            all_matching: true,
            ..Default::default()
        };
        assert_eq!(s.count(120), 120);
        s.toggle(2, &[1, 2, 3]);
        assert!(!s.all_matching);
        assert_eq!(s.ids.iter().copied().collect::<Vec<_>>(), vec![1, 3]);
    }

    #[test]
    fn all_matching_a_lone_tag_restores_by_tag_and_anything_else_by_ids() {
        let all = Selection {
            all_matching: true,
            ..Default::default()
        };
        let mut query = MessageListQuery::for_kind(MessageKind::Campaign);
        query.tags = vec!["promo".into()];
        query.page = 3;
        assert_eq!(Target::of(&all, &query), Target::Tag("promo".into()));
        assert_eq!(
            Target::of(&all, &query).request(Vec::new()).tag.as_deref(),
            Some("promo")
        );

        query.data_state = Some(DataState::Expired);
        let Target::Matching(matching) = Target::of(&all, &query) else {
            panic!("a tag plus a state is not a tag restore");
        };
        assert_eq!(matching.page, 1);
        assert_eq!(matching.per_page, MessageListQuery::MAX_PER_PAGE);

        let picked = Selection {
            ids: [5, 3].into_iter().collect(),
            all_matching: false,
        };
        assert_eq!(
            Target::of(&picked, &query).request(Vec::new()).message_ids,
            vec![3, 5]
        );
    }
}
