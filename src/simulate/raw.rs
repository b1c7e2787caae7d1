//! Reading a timeline line as JSON, as leniently as JSON itself allows.
//!
//! The lenient reading skips values as raw text (`RawValue`), then decodes
//! only the fields an event uses, so that "wrong type" and "missing" are
//! reported as such, a repeated key counts as its last occurrence (as most
//! JSON readers do), and oddities in fields nobody reads — a lone UTF-16
//! surrogate in a title, say — cannot make a line bad. It reads each value
//! twice, so a line is first read the quick way, each value decoded as it is
//! met (as a typed struct would be); only a line the quick way refuses is
//! read again the lenient way, whose verdict, error message included, stands.
//! Before either, [`super::scan`] reads the common flat line by hand.
//! Strings without escapes are borrowed: no allocation for the common line.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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

/// A value decoded as it is read: `None` for `null`. Fails where the
/// lenient reading would not on a string that is no Unicode.
struct Quick<'a>(Option<Scalar<'a>>);

impl<'de> Deserialize<'de> for Quick<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Quick<'de>, D::Error> {
        struct QuickVisitor;
        impl<'de> Visitor<'de> for QuickVisitor {
            type Value = Quick<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Quick<'de>, E> {
                Ok(Quick(Some(Scalar::Str(Cow::Borrowed(v)))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quick<'de>, E> {
                Ok(Quick(Some(Scalar::Str(Cow::Owned(v.to_owned())))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Quick<'de>, E> {
                Ok(Quick(Some(Scalar::Bool(v))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Quick<'de>, E> {
                Ok(Quick(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Quick<'de>, E> {
                Ok(Quick(Some(Scalar::Other)))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Quick<'de>, E> {
                Ok(Quick(Some(Scalar::Other)))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Quick<'de>, E> {
                Ok(Quick(Some(Scalar::Other)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Quick<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Quick(Some(Scalar::Other)))
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Quick<'de>, M::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Quick(Some(Scalar::Other)))
            }
        }
        d.deserialize_any(QuickVisitor)
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

impl<'a> RawLine<'a> {
    /// Reads a common line by hand ([`super::scan`]), another the quick way,
    /// and a line that refuses the lenient way, into `self` (empty before):
    /// a line is ten fields wide, worth not moving about.
    pub fn read(&mut self, text: &'a str) -> Result<(), serde_json::Error> {
        if super::scan::fill(self, text) {
            return Ok(());
        }
        *self = RawLine::default();
        self.read_with_serde(text)
    }

    /// Reads a line the quick way, and a line that refuses the lenient way.
    pub(super) fn read_with_serde(&mut self, text: &'a str) -> Result<(), serde_json::Error> {
        if Filling::<true>::read(self, text).is_err() {
            *self = RawLine::default();
            Filling::<false>::read(self, text)?;
        }
        Ok(())
    }

    /// The field a key fills; `None` for a key no event reads.
    pub(super) fn slot(&mut self, key: Key) -> Option<&mut Option<Scalar<'a>>> {
        Some(match key {
            Key::At => &mut self.at,
            Key::Event => &mut self.event,
            Key::Issue => &mut self.issue,
            Key::Unit => &mut self.unit,
            Key::Title => &mut self.title,
            Key::Source => &mut self.source,
            Key::Category => &mut self.category,
            Key::Passed => &mut self.passed,
            Key::Id => &mut self.id,
            Key::Violation => &mut self.violation,
            Key::Other => return None,
        })
    }
}

/// A key, matched without allocating.
#[derive(Clone, Copy)]
pub(super) enum Key {
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

impl Key {
    pub(super) fn of(name: &str) -> Key {
        Key::of_bytes(name.as_bytes())
    }

    pub(super) fn of_bytes(name: &[u8]) -> Key {
        match name {
            b"at" => Key::At,
            b"event" => Key::Event,
            b"issue" => Key::Issue,
            b"unit" => Key::Unit,
            b"title" => Key::Title,
            b"source" => Key::Source,
            b"category" => Key::Category,
            b"passed" => Key::Passed,
            b"id" => Key::Id,
            b"violation" => Key::Violation,
            _ => Key::Other,
        }
    }
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
                Ok(Key::of(v))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Fills a line the quick way (`QUICK`) or the lenient way, in place.
struct Filling<'l, 'a, const QUICK: bool>(&'l mut RawLine<'a>);

impl<'l, 'a, const QUICK: bool> Filling<'l, 'a, QUICK> {
    /// What `serde_json::from_str` does, into the slot.
    fn read(line: &'l mut RawLine<'a>, text: &'a str) -> Result<(), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        de::DeserializeSeed::deserialize(Filling::<QUICK>(line), &mut de)?;
        de.end()
    }
}

impl<'de: 'a, 'l, 'a, const QUICK: bool> de::DeserializeSeed<'de> for Filling<'l, 'a, QUICK> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'l, 'a, const QUICK: bool> Visitor<'de> for Filling<'l, 'a, QUICK> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let line = self.0;
        while let Some(key) = map.next_key::<Key>()? {
            match line.slot(key) {
                Some(slot) if QUICK => *slot = map.next_value::<Quick<'de>>()?.0,
                Some(slot) => *slot = Scalar::from_raw(map.next_value()?),
                None if QUICK => drop(map.next_value::<IgnoredAny>()?),
                None => drop(map.next_value::<&'de RawValue>()?),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> RawLine<'_> {
        let mut line = RawLine::default();
        line.read(text).unwrap();
        line
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

    #[test]
    fn the_quick_and_the_lenient_reading_agree() {
        for text in [
            r#"{"at":"2021-01-01T08:00:00","event":"register","issue":"B-1","unit":"中兴街道","title":"t"}"#,
            r#"{"event":"recheck","passed":false,"issue":"a\"b","unit":"\u4e2d","id":null,"title":1.5e3,"x":{"y":[1,"z"]}}"#,
            r#"{"passed":[true],"source":{"a":1},"category":-7,"violation":"v","violation":"w"}"#,
        ] {
            let (mut quick, mut lenient) = (RawLine::default(), RawLine::default());
            Filling::<true>::read(&mut quick, text).unwrap();
            Filling::<false>::read(&mut lenient, text).unwrap();
            assert_eq!(format!("{quick:?}"), format!("{lenient:?}"), "{text}");
        }
    }
}
