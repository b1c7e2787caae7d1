//! The report's layout: serde_json's `PrettyFormatter` with a one-space
//! indent, byte for byte, but cheaper.
//!
//! A long replay prints hundreds of thousands of items of seven fields, and
//! `PrettyFormatter` writes each line's indent one `write_all` per level,
//! which showed in profiles. This writes the line break and the whole
//! indent in one slice. The logic is `PrettyFormatter`'s (serde_json 1.0).

use serde_json::ser::Formatter;
use std::io;

/// A comma, a line break, then room for the indent of deep lines.
const BREAK: &[u8] = b",\n                                                                ";

#[derive(Default)]
pub(super) struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// `,` if not the first, a line break and the indent of this depth.
    fn line<W: ?Sized + io::Write>(&self, writer: &mut W, first: bool) -> io::Result<()> {
        let from = usize::from(first);
        match BREAK.get(from..2 + self.depth) {
            Some(all) => writer.write_all(all),
            None => {
                writer.write_all(&BREAK[from..2])?;
                (0..self.depth).try_for_each(|_| writer.write_all(b" "))
            }
        }
    }

    fn begin<W: ?Sized + io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn end<W: ?Sized + io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(writer, true)?;
        }
        writer.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.line(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.begin(writer, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.end(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.line(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[test]
    fn writes_what_pretty_formatter_writes() {
        let mut deep = serde_json::json!([1, {}, [], {"a": []}]);
        for i in 0..80 {
            deep = serde_json::json!({ "level": i, "next": deep, "empty": [], "list": [true, null, "x\n"] });
        }
        let mut theirs = Vec::new();
        deep.serialize(&mut serde_json::Serializer::with_formatter(&mut theirs, serde_json::ser::PrettyFormatter::with_indent(b" "))).unwrap();
        let mut ours = Vec::new();
        deep.serialize(&mut serde_json::Serializer::with_formatter(&mut ours, Pretty::default())).unwrap();
        assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap());
    }
}
