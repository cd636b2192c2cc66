//! A statement built piece by piece (lists of values, optional clauses),
//! with the shape of sqlx's builder: `?` placeholders, arguments collected
//! for whichever backend runs it.

use std::borrow::Cow;
use std::fmt::Display;
use std::marker::PhantomData;

use super::{Arg, Bind, Query, QueryAs, QueryScalar};

/// Builds a statement piece by piece (lists of values, optional clauses),
/// with the same shape as sqlx's builder.
pub(crate) struct QueryBuilder {
    sql: String,
    args: Vec<Arg>,
}

impl QueryBuilder {
    pub(crate) fn new(init: impl Into<String>) -> Self {
        Self {
            sql: init.into(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, sql: impl Display) -> &mut Self {
        use std::fmt::Write;
        let _ = write!(self.sql, "{sql}");
        self
    }

    pub(crate) fn push_bind(&mut self, value: impl Bind) -> &mut Self {
        self.sql.push('?');
        self.args.push(value.into_arg());
        self
    }

    pub(crate) fn separated(&mut self, separator: &'static str) -> Separated<'_> {
        Separated {
            builder: self,
            separator,
            first: true,
        }
    }

    /// `VALUES (..), (..)`, one tuple per item.
    pub(crate) fn push_values<I: IntoIterator>(
        &mut self,
        items: I,
        mut push: impl FnMut(Separated<'_>, I::Item),
    ) -> &mut Self {
        self.push("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push("(");
            push(self.separated(", "), item);
            self.push(")");
        }
        self
    }

    #[cfg(test)]
    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    pub(crate) fn build(self) -> Query<'static> {
        Query {
            sql: Cow::Owned(self.sql),
            args: self.args,
        }
    }

    pub(crate) fn build_query_as<O>(self) -> QueryAs<'static, O> {
        QueryAs {
            inner: self.build(),
            row: PhantomData,
        }
    }

    pub(crate) fn build_query_scalar<O>(self) -> QueryScalar<'static, O> {
        QueryScalar {
            inner: self.build_query_as(),
        }
    }
}

/// Pushes with a separator between items.
pub(crate) struct Separated<'b> {
    builder: &'b mut QueryBuilder,
    separator: &'static str,
    first: bool,
}

impl Separated<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.builder.push(self.separator);
        }
        self.first = false;
    }

    pub(crate) fn push(&mut self, sql: impl Display) -> &mut Self {
        self.separate();
        self.builder.push(sql);
        self
    }

    pub(crate) fn push_bind(&mut self, value: impl Bind) -> &mut Self {
        self.separate();
        self.builder.push_bind(value);
        self
    }

    pub(crate) fn push_unseparated(&mut self, sql: impl Display) -> &mut Self {
        self.builder.push(sql);
        self
    }

    pub(crate) fn push_bind_unseparated(&mut self, value: impl Bind) -> &mut Self {
        self.builder.push_bind(value);
        self
    }
}
