//! Validated names: built only through `parse`, so a stored name is always
//! a good one.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageName(String);

impl MessageName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(Error::invalid("name must not be empty"));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(Error::invalid(format!(
                "name is longer than {} characters",
                Self::MAX_CHARS
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(Error::invalid("name must not contain control characters"));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Tags are matched case-insensitively and stored lowercased, so "Q4" and
/// "q4" are one tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagName(String);

impl TagName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self> {
        let tag = raw.trim().to_lowercase();
        if tag.is_empty() {
            return Err(Error::invalid("tag must not be empty"));
        }
        if tag.chars().count() > Self::MAX_CHARS {
            return Err(Error::invalid(format!(
                "tag {tag:?} is longer than {} characters",
                Self::MAX_CHARS
            )));
        }
        if !tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' ' | '.' | ':' | '/'))
        {
            return Err(Error::invalid(format!(
                "tag {tag:?} may only contain letters, digits, spaces and - _ . : /"
            )));
        }
        Ok(Self(tag))
    }

    /// Parses a list, dropping duplicates while keeping the first order.
    pub fn parse_all<S: AsRef<str>>(raw: &[S]) -> Result<Vec<Self>> {
        let mut tags: Vec<Self> = Vec::with_capacity(raw.len());
        for r in raw {
            let tag = Self::parse(r.as_ref())?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(tags)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_must_not_be_blank() {
        assert_eq!(
            MessageName::parse("  Spring sale ").map(|n| n.0),
            Ok("Spring sale".into())
        );
        assert!(MessageName::parse("   ").is_err());
        assert!(MessageName::parse("a\u{0}b").is_err());
        assert!(MessageName::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn tags_are_case_insensitive_and_deduplicated() {
        let tags = TagName::parse_all(&["Q4", "q4", " Promo "]).expect("valid");
        let names: Vec<_> = tags.iter().map(TagName::as_str).collect();
        assert_eq!(names, ["q4", "promo"]);
        assert!(TagName::parse("bad<tag>").is_err());
    }
}
