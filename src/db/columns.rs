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
use serde::de::{Deserialize, Deserializer, Error, Visitor};
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
    pub fn text(&mut self) -> Result<Option<Text<'a>>, DbErr> {
        let at = self.next;
        self.next += 1;
        match self.row {
            Source::Postgres(row) => {
                let text: Option<&'a str> = row.try_get_unchecked(at).map_err(|e| DbErr::Type(format!("column {at}: {e}")))?;
                Ok(text.map(|t| Text(Cow::Borrowed(t))))
            }
            Source::Other(row) => Ok(row.try_get_by_index::<Option<String>>(at)?.map(|t| Text(Cow::Owned(t)))),
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

/// A text value that borrows from what it was read from where it can: a
/// PostgreSQL row's value, a JSON string without escapes. Thousands of rows
/// read at once then cost no allocation per value (serde's own `Cow` only
/// borrows outside an `Option`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Borrowing;
        impl<'de> Visitor<'de> for Borrowing {
            type Value = Cow<'de, str>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
                Ok(Cow::Borrowed(v))
            }

            fn visit_str<E: Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
                Ok(Cow::Owned(v.to_owned()))
            }

            fn visit_string<E: Error>(self, v: String) -> Result<Cow<'de, str>, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(Borrowing).map(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::Text;
    use std::borrow::Cow;

    /// JSON text borrows a string without escapes and unescapes one with.
    #[test]
    fn text_borrows_what_needs_no_unescaping() {
        let json = r#"["B-1", "a \"quoted\" note", null]"#;
        let read: Vec<Option<Text>> = serde_json::from_str(json).unwrap();
        assert!(matches!(&read[0], Some(Text(Cow::Borrowed("B-1")))));
        assert!(matches!(&read[1], Some(Text(Cow::Owned(t))) if t == "a \"quoted\" note"));
        assert_eq!(read[2], None);
    }
}
