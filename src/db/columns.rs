//! Reading a row's columns in order, by position (issue 12).
//!
//! A list page reads fifty issue rows of 26 columns. sea-orm's derived
//! reading looks each column up by name, and sqlx checks each value's type
//! against the Rust type before decoding it (several type comparisons for
//! every text column): under 16 readers of the first page, decoding the
//! rows was nearly half of the service's own CPU time (`perf`), and the
//! service's CPU time is what its p99 waits behind on 2 cores.
//!
//! Here the columns are read in the order the statement selects them. On
//! PostgreSQL the value is decoded without sqlx's type check: the statement
//! is ours and the schema's types are known. A wrong type can still not be
//! misread silently into memory: the decoders check the value's length and
//! UTF-8 and answer an error, which the caller reports like any other.

use sea_orm::sqlx::Row;
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::{DbErr, QueryResult, TryGetable};
use std::borrow::Cow;

/// A value of a column, readable from either backend's row.
pub trait Cell: Sized {
    fn from_pg(row: &PgRow, at: usize) -> Result<Self, DbErr>;
    fn from_any(row: &QueryResult, at: usize) -> Result<Self, DbErr>;
}

impl<T> Cell for T
where
    T: for<'r> sea_orm::sqlx::Decode<'r, Postgres> + TryGetable,
{
    fn from_pg(row: &PgRow, at: usize) -> Result<Self, DbErr> {
        row.try_get_unchecked(at).map_err(|e| DbErr::Type(format!("column {at}: {e}")))
    }

    fn from_any(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        row.try_get_by_index(at)
    }
}

/// The columns of one row, read one after another ([`Columns::read`]). A
/// clone reads on from where this one stands.
#[derive(Clone)]
pub struct Columns<'a> {
    row: Source<'a>,
    next: usize,
}

#[derive(Clone)]
enum Source<'a> {
    Postgres(&'a PgRow),
    Other(&'a QueryResult),
}

impl<'a> Columns<'a> {
    /// The columns of `row` from its `first` (0: the first column).
    pub fn from(row: &'a QueryResult, first: usize) -> Columns<'a> {
        let row = match row.try_as_pg_row() {
            Some(pg) => Source::Postgres(pg),
            None => Source::Other(row),
        };
        Columns { row, next: first }
    }

    /// The next column's text, borrowed from a PostgreSQL row (copied
    /// from any other).
    pub fn text(&mut self) -> Result<Option<Cow<'a, str>>, DbErr> {
        let at = self.next;
        self.next += 1;
        match self.row {
            Source::Postgres(row) => {
                let text: Option<&'a str> = row.try_get_unchecked(at).map_err(|e| DbErr::Type(format!("column {at}: {e}")))?;
                Ok(text.map(Cow::Borrowed))
            }
            Source::Other(row) => Ok(row.try_get_by_index::<Option<String>>(at)?.map(Cow::Owned)),
        }
    }

    /// The next column's value.
    pub fn read<T: Cell>(&mut self) -> Result<T, DbErr> {
        let at = self.next;
        self.next += 1;
        match self.row {
            Source::Postgres(row) => T::from_pg(row, at),
            Source::Other(row) => T::from_any(row, at),
        }
    }
}
