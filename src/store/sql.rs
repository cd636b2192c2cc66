//! One query interface over SQLite and PostgreSQL.
//!
//! Store code writes each statement once, with `?` placeholders, and runs
//! it on whichever database the deployment chose. Rows decode straight
//! from the backend's own row type (no intermediate `Any` row: sqlx's
//! `Any` driver cost a quarter of the row-read speed in a measurement on
//! this machine). Arguments are collected first (an owned copy of each)
//! and bound when the backend is known; for PostgreSQL the placeholders
//! are numbered (`$1`, `$2`, ...).

use std::borrow::Cow;
use std::marker::PhantomData;

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

mod builder;

pub(crate) use builder::QueryBuilder;

/// The database a deployment runs on.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction on either database.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }
}

/// Where a statement runs: the pool (autocommit) or a transaction.
pub(crate) enum Ex<'e> {
    Pool(&'e Pool),
    Tx(&'e mut Tx),
}

impl Ex<'_> {
    /// The same place again, for one more statement.
    pub(crate) fn reborrow(&mut self) -> Ex<'_> {
        match self {
            Ex::Pool(pool) => Ex::Pool(pool),
            Ex::Tx(tx) => Ex::Tx(tx),
        }
    }
}

impl<'e> From<&'e Pool> for Ex<'e> {
    fn from(pool: &'e Pool) -> Self {
        Ex::Pool(pool)
    }
}

impl<'e> From<&'e mut Tx> for Ex<'e> {
    fn from(tx: &'e mut Tx) -> Self {
        Ex::Tx(tx)
    }
}

/// A bound value, kept until the backend is known. Booleans are stored as
/// 0/1 integers on both databases, so they bind as integers.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// Values a statement can bind.
pub(crate) trait Bind {
    fn into_arg(self) -> Arg;
}

macro_rules! bind_as {
    ($variant:ident, $convert:expr; $($t:ty),*) => {$(
        impl Bind for $t {
            fn into_arg(self) -> Arg {
                Arg::$variant(Some($convert(self)))
            }
        }
        impl Bind for Option<$t> {
            fn into_arg(self) -> Arg {
                Arg::$variant(self.map($convert))
            }
        }
        impl Bind for &Option<$t> {
            fn into_arg(self) -> Arg {
                Arg::$variant(self.clone().map($convert))
            }
        }
    )*};
}

bind_as!(Int, i64::from; i64, i32, u32, u8);
bind_as!(Int, |b: bool| i64::from(b); bool);
bind_as!(Real, f64::from; f64);
bind_as!(Text, String::from; String, &str, &String);
bind_as!(Bytes, Vec::from; Vec<u8>, &[u8]);

impl Bind for &i64 {
    fn into_arg(self) -> Arg {
        Arg::Int(Some(*self))
    }
}

/// Rows either backend can decode into `Self`.
pub(crate) trait Decode:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Decode for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// What a statement changed.
pub(crate) struct Executed(u64);

impl Executed {
    pub(crate) fn rows_affected(&self) -> u64 {
        self.0
    }
}

/// A statement and its arguments.
pub(crate) struct Query<'q> {
    sql: Cow<'q, str>,
    args: Vec<Arg>,
}

pub(crate) fn query(sql: &str) -> Query<'_> {
    Query {
        sql: Cow::Borrowed(sql),
        args: Vec::new(),
    }
}

pub(crate) fn query_as<O>(sql: &str) -> QueryAs<'_, O> {
    QueryAs {
        inner: query(sql),
        row: PhantomData,
    }
}

pub(crate) fn query_scalar<O>(sql: &str) -> QueryScalar<'_, O> {
    QueryScalar {
        inner: query_as(sql),
    }
}

/// Binds every collected argument to a backend query, in order.
macro_rules! bound {
    ($sql:expr, $args:expr, $make:path) => {{
        let mut q = $make($sql);
        for arg in $args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Real(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_deref()),
                Arg::Bytes(v) => q.bind(v.as_deref()),
            };
        }
        q
    }};
}

/// Runs `$method` of the bound statement on whichever backend `$ex` is;
/// `$then` maps each backend's answer (named `$out`) to one type.
macro_rules! on_backend {
    ($self:ident, $ex:expr, $make:path, $method:ident, $out:ident => $then:expr) => {{
        let sql = &$self.sql;
        let args = &$self.args;
        match $ex.into() {
            Ex::Pool(Pool::Sqlite(pool)) => {
                let $out = bound!(sql.as_ref(), args, $make).$method(pool).await?;
                $then
            }
            Ex::Tx(Tx::Sqlite(tx)) => {
                let $out = bound!(sql.as_ref(), args, $make).$method(&mut **tx).await?;
                $then
            }
            Ex::Pool(Pool::Postgres(pool)) => {
                let sql = numbered(sql);
                let $out = bound!(sql.as_str(), args, $make).$method(pool).await?;
                $then
            }
            Ex::Tx(Tx::Postgres(tx)) => {
                let sql = numbered(sql);
                let $out = bound!(sql.as_str(), args, $make).$method(&mut **tx).await?;
                $then
            }
        }
    }};
}

impl<'q> Query<'q> {
    pub(crate) fn bind(mut self, value: impl Bind) -> Self {
        self.args.push(value.into_arg());
        self
    }

    pub(crate) async fn execute<'e>(self, ex: impl Into<Ex<'e>>) -> Result<Executed, sqlx::Error> {
        Ok(on_backend!(self, ex, sqlx::query, execute, done => Executed(done.rows_affected())))
    }
}

/// Statements whose rows decode into `O`.
pub(crate) struct QueryAs<'q, O> {
    inner: Query<'q>,
    row: PhantomData<fn() -> O>,
}

impl<'q, O: Decode> QueryAs<'q, O> {
    pub(crate) fn bind(mut self, value: impl Bind) -> Self {
        self.inner = self.inner.bind(value);
        self
    }

    pub(crate) async fn fetch_all<'e>(self, ex: impl Into<Ex<'e>>) -> Result<Vec<O>, sqlx::Error> {
        let q = self.inner;
        Ok(on_backend!(q, ex, sqlx::query_as, fetch_all, rows => rows))
    }

    pub(crate) async fn fetch_one<'e>(self, ex: impl Into<Ex<'e>>) -> Result<O, sqlx::Error> {
        let q = self.inner;
        Ok(on_backend!(q, ex, sqlx::query_as, fetch_one, rows => rows))
    }

    pub(crate) async fn fetch_optional<'e>(
        self,
        ex: impl Into<Ex<'e>>,
    ) -> Result<Option<O>, sqlx::Error> {
        let q = self.inner;
        Ok(on_backend!(q, ex, sqlx::query_as, fetch_optional, rows => rows))
    }
}

/// Statements whose first column is the answer.
pub(crate) struct QueryScalar<'q, O> {
    inner: QueryAs<'q, (O,)>,
}

impl<'q, O> QueryScalar<'q, O>
where
    (O,): Decode,
{
    pub(crate) fn bind(mut self, value: impl Bind) -> Self {
        self.inner = self.inner.bind(value);
        self
    }

    pub(crate) async fn fetch_all<'e>(self, ex: impl Into<Ex<'e>>) -> Result<Vec<O>, sqlx::Error> {
        Ok(self
            .inner
            .fetch_all(ex)
            .await?
            .into_iter()
            .map(|(v,)| v)
            .collect())
    }

    pub(crate) async fn fetch_one<'e>(self, ex: impl Into<Ex<'e>>) -> Result<O, sqlx::Error> {
        Ok(self.inner.fetch_one(ex).await?.0)
    }

    pub(crate) async fn fetch_optional<'e>(
        self,
        ex: impl Into<Ex<'e>>,
    ) -> Result<Option<O>, sqlx::Error> {
        Ok(self.inner.fetch_optional(ex).await?.map(|(v,)| v))
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, ...` (and `?NNN` as `$NNN`),
/// leaving quoted text and identifiers alone.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    n += 1;
                    out.push_str(&n.to_string());
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered("SELECT '?', \"a?\" FROM t WHERE a = ? AND b IN (?, ?)"),
            "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
        assert_eq!(
            numbered("a = ?2 OR b = ?1 OR c = ?12"),
            "a = $2 OR b = $1 OR c = $12"
        );
    }

    #[test]
    fn builder_separates_and_collects_arguments() {
        let mut qb = QueryBuilder::new("INSERT INTO t (a, b) ");
        qb.push_values([(1i64, "x"), (2, "y")], |mut b, (n, s)| {
            b.push_bind(n).push_bind(s);
        });
        assert_eq!(qb.sql(), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
        assert_eq!(qb.build().args.len(), 4);
    }
}
