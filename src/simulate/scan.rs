//! The common timeline line, read by hand.
//!
//! Nearly every line of a timeline is a flat object of plain strings and
//! booleans: `{"at":"2021-03-16T09:00:00","event":"accept","issue":"W-001"}`.
//! Reading those byte by byte costs a fraction of serde_json's general
//! reader, which is most of a replay's time. Anything else — an escape, a
//! control character, a number, a nested value, bad JSON — gives `None`, and
//! [`super::raw`] reads the line with serde_json instead. serde_json is the
//! reference: on a line this accepts it reads the same fields (the tests
//! check it on generated lines), so this only decides who does the work.
//!
//! It reads bytes, not a `str`, so that the replay can read a line straight
//! from the input's buffer: no search for its end, no copy, no UTF-8 check
//! of the whole line. Outside strings it accepts ASCII only, so checking
//! each string is checking the line. A line ends at its first `\n`, so
//! that is no whitespace inside it.

use super::raw::{Key, RawLine, Scalar};
use std::borrow::Cow;

struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
}

/// A value as found, before the line is known to be UTF-8: a string by
/// where it lies.
#[derive(Clone, Copy)]
enum Found {
    Str(usize, usize),
    Bool(bool),
    Null,
}

/// The fields a line can fill before it is over: more read it with serde.
const MOST: usize = 16;

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// JSON's whitespace bytes but the line break, which ends the line.
    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    /// Where the rest of a string lies, after its opening quote, if it has
    /// no escapes or control characters (which JSON forbids raw).
    fn plain_str(&mut self) -> Option<(usize, usize)> {
        let len = plain_len(&self.text[self.at..]);
        let (from, to) = (self.at, self.at + len);
        if self.text.get(to) != Some(&b'"') {
            return None;
        }
        self.at = to + 1;
        Some((from, to))
    }

    fn word(&mut self, word: &[u8]) -> bool {
        let found = self.text[self.at..].starts_with(word);
        self.at += if found { word.len() } else { 0 };
        found
    }

    /// A plain string, `true`, `false` or `null`.
    fn value(&mut self) -> Option<Found> {
        if self.eat(b'"') {
            self.plain_str().map(|(from, to)| Found::Str(from, to))
        } else if self.word(b"true") {
            Some(Found::Bool(true))
        } else if self.word(b"false") {
            Some(Found::Bool(false))
        } else if self.word(b"null") {
            Some(Found::Null)
        } else {
            None
        }
    }
}

/// How many bytes lead `bytes` before a quote, a backslash or a control
/// character: eight at a time, as this is where a line's bytes are spent.
fn plain_len(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // The high bit of each byte below `n`: exact for the lowest such byte,
    // as only a byte below `n` borrows from the ones above it.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let found = below(word ^ (ONES * u64::from(b'"')), 1) | below(word ^ (ONES * u64::from(b'\\')), 1) | below(word, 0x20);
        if found != 0 {
            // Little-endian: the lowest bit is the first byte.
            return at + found.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    at + bytes[at..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).unwrap_or(bytes.len() - at)
}

/// Fills `line` (empty before) from the line that starts `text`, if it is
/// a flat object of plain strings, booleans and nulls, and returns its
/// length, with its `\n` if it has one (the last line of a file may not); a
/// repeated key counts as its last occurrence. On `None`, `line` is empty.
pub(super) fn line<'a>(line: &mut RawLine<'a>, text: &'a [u8]) -> Option<usize> {
    let mut found = [(Key::Other, Found::Null); MOST];
    let (len, fields) = structure(text, &mut found)?;
    // One UTF-8 check for the line: outside strings it is ASCII already.
    let text = std::str::from_utf8(&text[..len]).ok()?;
    for &(key, value) in &found[..fields] {
        if let Some(slot) = line.slot(key) {
            *slot = match value {
                // Quotes are ASCII, so the bounds are character boundaries.
                Found::Str(from, to) => Some(Scalar::Str(Cow::Borrowed(&text[from..to]))),
                Found::Bool(b) => Some(Scalar::Bool(b)),
                Found::Null => None,
            };
        }
    }
    Some(len)
}

/// The line's length and the fields an event may use, in `found`.
fn structure(text: &[u8], found: &mut [(Key, Found); MOST]) -> Option<(usize, usize)> {
    let mut s = Scanner { text, at: 0 };
    let mut fields = 0;
    s.skip_whitespace();
    if !s.eat(b'{') {
        return None;
    }
    s.skip_whitespace();
    if !s.eat(b'}') {
        loop {
            if !s.eat(b'"') {
                return None;
            }
            let (from, to) = s.plain_str()?;
            s.skip_whitespace();
            if !s.eat(b':') {
                return None;
            }
            s.skip_whitespace();
            let value = s.value()?;
            let key = Key::of_bytes(&text[from..to]);
            if !matches!(key, Key::Other) {
                *found.get_mut(fields)? = (key, value);
                fields += 1;
            }
            s.skip_whitespace();
            if s.eat(b'}') {
                break;
            }
            if !s.eat(b',') {
                return None;
            }
            s.skip_whitespace();
        }
    }
    s.skip_whitespace();
    (s.eat(b'\n') || s.at == text.len()).then_some((s.at, fields))
}

/// Whether all of `text`, one line, is a flat object as [`line`] reads it.
pub(super) fn fill<'a>(raw: &mut RawLine<'a>, text: &'a str) -> bool {
    line(raw, text.as_bytes()) == Some(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn serde(text: &str) -> Option<String> {
        let mut line = RawLine::default();
        line.read_with_serde(text).ok().map(|_| format!("{line:?}"))
    }

    fn line(text: &str) -> Option<RawLine<'_>> {
        let mut line = RawLine::default();
        fill(&mut line, text).then_some(line)
    }

    #[test]
    fn plain_len_stops_at_the_first_quote_backslash_or_control_character() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).unwrap_or(b.len());
        let bytes: Vec<u8> = (0..=255u8).collect();
        for start in 0..bytes.len() {
            for len in 0..20.min(bytes.len() - start) {
                let mut sample: Vec<u8> = bytes[start..start + len].to_vec();
                sample.splice(0..0, b"W-001 \xe4\xb8\xad".iter().copied());
                assert_eq!(plain_len(&sample), naive(&sample), "{sample:?}");
            }
        }
        assert_eq!(plain_len(b"0123456789abcdef\"x"), 16);
    }

    #[test]
    fn reads_the_common_line_and_leaves_the_rest_to_serde_json() {
        let common = "{\"at\":\"2021-03-16T09:00:00\", \"event\" : \"recheck\",\"issue\":\"W-001\",\"passed\":false,\"id\":null,\"note\":\"中\"}\r\n";
        assert_eq!(line(common).map(|l| format!("{l:?}")), serde(common));
        assert!(line("{}").is_some());
        for other in
            [r#"{"a":"\n"}"#, r#"{"a":1}"#, r#"{"a":[]}"#, r#"{"a":"b",}"#, r#"{"a":"b"} x"#, r#"{"a":tru}"#, "{\"a\":\"\t\"}", r#"["a"]"#, r#"{"a" "b"}"#]
        {
            assert!(line(other).is_none(), "{other}");
        }
    }

    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\t",
        "\n",
        "\"at\"",
        "\"event\"",
        "\"passed\"",
        "\"id\"",
        "\"x\"",
        "\"W-1\"",
        "\"中兴\"",
        "\"a\\\"b\"",
        "\"\\u4e2d\"",
        "\"\\ud800\"",
        "\"\"",
        "\"",
        "\\",
        "true",
        "false",
        "null",
        "nul",
        "1",
        "-2.5e3",
        "\u{1}",
        "\u{a0}",
    ];

    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(PIECES)
    }

    /// Mostly one of `fit`, sometimes any piece at all.
    fn mostly(fit: &'static [&'static str]) -> impl Strategy<Value = &'static str> + Clone {
        prop_oneof![12 => prop::sample::select(fit), 1 => piece()]
    }

    /// Objects of entries that are mostly well formed.
    fn object() -> impl Strategy<Value = String> {
        let key = mostly(&["\"at\"", "\"event\"", "\"passed\"", "\"id\"", "\"x\"", "\"\"", "\"\\u0061t\""]);
        let gap = mostly(&["", "", " ", "\t", "\n", "\r"]);
        let value = mostly(&["\"W-1\"", "\"中兴\"", "\"\"", "true", "false", "null", "\"a\\\"b\"", "1"]);
        let entry = (key, gap.clone(), value, gap.clone()).prop_map(|(key, gap, value, end)| format!("{key}{gap}:{value}{end}"));
        (prop::collection::vec(entry, 0..6), gap.clone(), gap).prop_map(|(entries, before, after)| format!("{before}{{{}}}{after}", entries.join(",")))
    }

    proptest! {
        // Cheap cases, and most pieces make lines the scanner leaves alone.
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn whatever_it_reads_serde_json_reads_alike(pieces in prop::collection::vec(piece(), 0..24), object in object()) {
            let pieces = pieces.concat();
            for text in [format!("{{{pieces}}}"), pieces, object] {
                if let Some(read) = line(&text) {
                    prop_assert_eq!(Some(format!("{read:?}")), serde(&text), "{}", text);
                }
            }
        }
    }
}
