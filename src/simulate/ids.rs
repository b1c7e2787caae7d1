//! Issue ids → their index in the replay's issue table.
//!
//! Almost every line names an issue, and a long timeline has hundreds of
//! thousands of them, so this lookup is the replay's hottest random memory
//! access. A `HashMap<Arc<str>, usize>` costs three cache misses per lookup
//! (control bytes, bucket, the key's text); this open-addressing table keeps
//! 8-byte slots, 32 bits of a hash beside the index, and compares the text
//! only where those match — against the id the issue table holds anyway, so
//! the table stores no key of its own. The slot is placed by the same 32
//! bits, so growing the table never reads an id again.
//!
//! Ids are mostly numbered (`W-001`, `B-1234`), and issues are handled
//! roughly in the order they were numbered. So ids that differ only in the
//! last three bits of their number share a hash and sit side by side in one
//! 64-byte line: the lookups of one busy stretch of a timeline touch a few
//! lines instead of one each.

use std::hash::{BuildHasher, Hasher};

/// Eight slots, one cache line. Slots are `key << 32 | (index + 1)`, at
/// `key & mask` or the next free slot after it; 0 is empty.
#[derive(Clone, Copy, Default)]
#[repr(align(64))]
struct Line([u64; 8]);

#[derive(Default)]
pub(super) struct IdTable {
    lines: Vec<Line>,
    len: usize,
}

/// The id's 32 bits: for a numbered id, a hash of the rest and of the number
/// but its last three bits, then those three bits; otherwise a hash of it.
fn key(code: &str) -> u64 {
    let digits = code.bytes().rev().take(18).take_while(u8::is_ascii_digit).count();
    let (stem, number) = code.split_at(code.len() - digits);
    let mut hasher = rustc_hash::FxBuildHasher.build_hasher();
    hasher.write(stem.as_bytes());
    // FxHash is made for hashbrown, which spreads its bits further: the
    // finish of MurmurHash3 makes any 29 of them place well.
    let mixed = |h: u64| {
        let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        (h ^ (h >> 33)) >> 32
    };
    if digits == 0 {
        return mixed(hasher.finish());
    }
    let number: u64 = number.bytes().fold(0, |n, d| n * 10 + u64::from(d - b'0'));
    hasher.write_u64(number >> 3);
    mixed(hasher.finish()) & !7 | number & 7
}

impl IdTable {
    fn slots(&self) -> usize {
        self.lines.len() * 8
    }

    fn slot(&self, at: usize) -> u64 {
        self.lines[at / 8].0[at % 8]
    }

    /// The index of `code`, given the ids by index.
    pub fn get<'k>(&self, code: &str, id_of: impl Fn(usize) -> &'k str) -> Option<usize> {
        if self.lines.is_empty() {
            return None;
        }
        let (key, mask) = (key(code), self.slots() - 1);
        let mut at = key as usize & mask;
        loop {
            let slot = self.slot(at);
            if slot == 0 {
                return None;
            }
            let index = (slot as u32 - 1) as usize;
            if slot >> 32 == key && id_of(index) == code {
                return Some(index);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds `code` at `index`; the caller made sure it is new.
    pub fn insert(&mut self, code: &str, index: usize) {
        // Linear probing stays short below three quarters full.
        if (self.len + 1) * 4 > self.slots() * 3 {
            self.grow();
        }
        let index = u32::try_from(index + 1).expect("fewer than 2^32 issues");
        self.place(key(code) << 32 | u64::from(index));
        self.len += 1;
    }

    fn place(&mut self, slot: u64) {
        let mask = self.slots() - 1;
        let mut at = (slot >> 32) as usize & mask;
        while self.slot(at) != 0 {
            at = (at + 1) & mask;
        }
        self.lines[at / 8].0[at % 8] = slot;
    }

    /// Doubles the table; each slot's key says where it goes.
    fn grow(&mut self) {
        let lines = (self.lines.len() * 2).max(128);
        let old = std::mem::replace(&mut self.lines, vec![Line::default(); lines]);
        for slot in old.iter().flat_map(|line| line.0).filter(|&s| s != 0) {
            self.place(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_id_through_growth_and_no_other() {
        // Numbered ids that share their number, and ids without one.
        let mut ids: Vec<String> = (0..3000).flat_map(|i| [format!("W-{i}"), format!("W-{i:05}"), format!("X{i}")]).collect();
        ids.extend(["", "W-", "abc", "99999999999999999999999"].map(String::from));
        let mut table = IdTable::default();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(table.get(id, |k| &ids[k]), None, "{id}");
            table.insert(id, i);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(table.get(id, |k| &ids[k]), Some(i), "{id}");
        }
        assert_eq!(table.get("W-3000", |k| &ids[k]), None);
        assert_eq!(table.get("ab", |k| &ids[k]), None);
    }

    #[test]
    fn neighbouring_numbers_share_a_line() {
        assert_eq!(key("B-1234") & !7, key("B-1239") & !7);
        assert_eq!(key("B-1234") & 7, 1234 & 7);
        assert_ne!(key("B-1234"), key("C-1234"));
    }
}
