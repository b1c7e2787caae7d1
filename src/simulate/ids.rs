//! Issue ids → their index in the replay's issue table.
//!
//! Almost every line names an issue, and a long timeline has hundreds of
//! thousands of them, so this lookup is the replay's hottest random memory
//! access. A `HashMap<Arc<str>, usize>` costs three cache misses per lookup
//! (control bytes, bucket, the key's text); this open-addressing table keeps
//! 8-byte slots, 32 bits of the hash beside the index, and compares the text
//! only where those match — against the id the issue table holds anyway, so
//! the table stores no key of its own. The slot is placed by the same 32
//! bits, so growing the table never reads an id again.

use std::hash::BuildHasher;

/// Slots are `tag << 32 | (index + 1)`, at `tag & mask` or the next free
/// slot after it; 0 is empty.
#[derive(Default)]
pub(super) struct IdTable {
    slots: Vec<u64>,
    len: usize,
}

/// 32 bits of the id's hash. FxHash is made for hashbrown, which spreads
/// its bits further; ids like `B-1`, `B-2`… need the finish of MurmurHash3
/// so that any 32 of them place well.
fn tag(code: &str) -> u64 {
    let h = rustc_hash::FxBuildHasher.hash_one(code);
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    (h ^ (h >> 33)) >> 32
}

impl IdTable {
    /// The index of `code`, given the ids by index.
    pub fn get<'k>(&self, code: &str, id_of: impl Fn(usize) -> &'k str) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let (tag, mask) = (tag(code), self.slots.len() - 1);
        let mut at = tag as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return None;
            }
            let index = (slot as u32 - 1) as usize;
            if slot >> 32 == tag && id_of(index) == code {
                return Some(index);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds `code` at `index`; the caller made sure it is new.
    pub fn insert(&mut self, code: &str, index: usize) {
        // Linear probing stays short below three quarters full.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let index = u32::try_from(index + 1).expect("fewer than 2^32 issues");
        self.place(tag(code) << 32 | u64::from(index));
        self.len += 1;
    }

    fn place(&mut self, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut at = (slot >> 32) as usize & mask;
        while self.slots[at] != 0 {
            at = (at + 1) & mask;
        }
        self.slots[at] = slot;
    }

    /// Doubles the table; each slot's tag says where it goes.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        for slot in old.into_iter().filter(|&s| s != 0) {
            self.place(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_id_through_growth_and_no_other() {
        let ids: Vec<String> = (0..5000).map(|i| format!("W-{i}")).collect();
        let mut table = IdTable::default();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(table.get(id, |k| &ids[k]), None);
            table.insert(id, i);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(table.get(id, |k| &ids[k]), Some(i));
        }
        assert_eq!(table.get("W-5000", |k| &ids[k]), None);
        assert_eq!(table.get("", |k| &ids[k]), None);
    }
}
