//! Hashing for correlation: a fast unkeyed hasher for its string keys, and a pass-through one for precomputed hashes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The hasher of maps keyed by a precomputed [`str_hash`]: passes it through.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        // Not reached (u64 keys write one u64); hashes anyway, to stay a correct hasher.
        let mut h = FastHasher(self.0);
        h.write(bytes);
        self.0 = h.finish();
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// [`FastHasher`] over one string.
pub fn str_hash(s: &str) -> u64 {
    let mut h = FastHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// A hash map with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A fast unkeyed hasher for the string keys of correlation (repositories, tags, digests): SipHash took a quarter
/// of the time at 100k pushes. The keys come from the user's own accounts, so flooding is not a concern.
#[derive(Default)]
pub struct FastHasher(u64);

impl FastHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(Self::K).rotate_left(26);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // murmur3's finaliser: every output bit depends on every input bit (hashbrown uses both ends).
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_hash_spreads_digests_over_both_ends() {
        // hashbrown picks the bucket from the low bits and a tag from the top 7 bits: both must vary.
        let n = 1u64 << 16;
        let mut low = vec![0u32; n as usize];
        let mut top = [0u32; 128];
        let mut seen = std::collections::HashSet::new();
        for i in 0..n {
            let h = str_hash(&format!("sha256:{:064x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
            assert!(seen.insert(h), "collision at {i}");
            low[(h % n) as usize] += 1;
            top[(h >> 57) as usize] += 1;
        }
        // Random hashing puts at most ~10 keys in the fullest of 65536 buckets, and ~512 ± 70 in each tag.
        assert!(low.iter().max().copied().unwrap_or(0) < 16);
        assert!(top.iter().all(|&c| (350..700).contains(&c)), "{top:?}");
    }
}
