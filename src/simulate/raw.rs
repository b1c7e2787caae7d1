//! Reading a timeline line as JSON, as leniently as JSON itself allows.
//!
//! Values are first skipped as raw text (`RawValue`), then decoded only for
//! the fields an event uses, so that "wrong type" and "missing" are reported
//! as such, a repeated key counts as its last occurrence (as most JSON
//! readers do), and oddities in fields nobody reads — a lone UTF-16
//! surrogate in a title, say — cannot make a line bad. Strings without
//! escapes are borrowed: no allocation for the common line.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// A JSON value as far as the timeline cares: a string, a bool, or other.
#[derive(Debug)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Other,
}

impl<'a> Scalar<'a> {
    /// `null` reads as absent (`None`).
    fn from_raw(raw: &'a RawValue) -> Option<Scalar<'a>> {
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'"') if !text.contains('\\') => Some(Scalar::Str(Cow::Borrowed(&text[1..text.len() - 1]))),
            // A string that is not Unicode (a lone UTF-16 surrogate escape)
            // is no string: bad where the event uses it, ignored elsewhere.
            Some(b'"') => Some(serde_json::from_str::<String>(text).map_or(Scalar::Other, |s| Scalar::Str(Cow::Owned(s)))),
            Some(b't') => Some(Scalar::Bool(true)),
            Some(b'f') => Some(Scalar::Bool(false)),
            Some(b'n') => None,
            _ => Some(Scalar::Other),
        }
    }
}

/// The fields any event may use; a key not listed is ignored.
#[derive(Debug, Default)]
pub struct RawLine<'a> {
    pub at: Option<Scalar<'a>>,
    pub event: Option<Scalar<'a>>,
    pub issue: Option<Scalar<'a>>,
    pub unit: Option<Scalar<'a>>,
    pub title: Option<Scalar<'a>>,
    pub source: Option<Scalar<'a>>,
    pub category: Option<Scalar<'a>>,
    pub passed: Option<Scalar<'a>>,
    pub id: Option<Scalar<'a>>,
    pub violation: Option<Scalar<'a>>,
}

/// A key, matched without allocating.
enum Key {
    At,
    Event,
    Issue,
    Unit,
    Title,
    Source,
    Category,
    Passed,
    Id,
    Violation,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "at" => Key::At,
                    "event" => Key::Event,
                    "issue" => Key::Issue,
                    "unit" => Key::Unit,
                    "title" => Key::Title,
                    "source" => Key::Source,
                    "category" => Key::Category,
                    "passed" => Key::Passed,
                    "id" => Key::Id,
                    "violation" => Key::Violation,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawLine<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawLine<'a>, D::Error> {
        struct LineVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for LineVisitor<'a> {
            type Value = RawLine<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<RawLine<'a>, M::Error> {
                let mut line = RawLine::default();
                while let Some(key) = map.next_key::<Key>()? {
                    let value: &'de RawValue = map.next_value()?;
                    let slot = match key {
                        Key::At => &mut line.at,
                        Key::Event => &mut line.event,
                        Key::Issue => &mut line.issue,
                        Key::Unit => &mut line.unit,
                        Key::Title => &mut line.title,
                        Key::Source => &mut line.source,
                        Key::Category => &mut line.category,
                        Key::Passed => &mut line.passed,
                        Key::Id => &mut line.id,
                        Key::Violation => &mut line.violation,
                        Key::Other => continue,
                    };
                    *slot = Scalar::from_raw(value);
                }
                Ok(line)
            }
        }
        d.deserialize_map(LineVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> RawLine<'_> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn the_last_of_a_repeated_key_counts() {
        let line = read(r#"{"at":"x","title":"a","title":"b"}"#);
        assert!(matches!(line.title, Some(Scalar::Str(ref s)) if s == "b"));
    }

    #[test]
    fn escapes_decode_and_lone_surrogates_do_not_break_the_line() {
        let line = read(r#"{"unit":"\u4e2d\u5174","title":"a\udc00","passed":true,"source":null,"x":[1,{"y":2}]}"#);
        assert!(matches!(line.unit, Some(Scalar::Str(ref s)) if s == "中兴"));
        assert!(matches!(line.title, Some(Scalar::Other)), "{:?}", line.title);
        assert!(matches!(line.passed, Some(Scalar::Bool(true))));
        assert!(line.source.is_none());
    }
}
