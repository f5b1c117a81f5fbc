//! Fixed-size summaries: distinct counts (HyperLogLog) and heavy hitters (Space-Saving), so that
//! the memory spent on one host or one attack never grows with the traffic.

use std::net::IpAddr;

/// A well-mixed 64-bit hash of a 64-bit value (the SplitMix64 finaliser). Deterministic, so
/// tests and restarts see the same estimates.
#[inline]
pub(crate) fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Hash of an address, v4 and v6 kept apart.
#[inline]
pub(crate) fn hash_addr(addr: IpAddr) -> u64 {
    match addr {
        IpAddr::V4(a) => mix64(u64::from(u32::from(a))),
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            mix64((bits as u64) ^ mix64((bits >> 64) as u64 ^ 0x6a09_e667_f3bc_c908))
        }
    }
}

const HLL_BITS: u32 = 6;
const HLL_REGISTERS: usize = 1 << HLL_BITS;

/// Distinct-count estimate in 64 bytes (standard error about 13 %), enough to tell a host that
/// talks to a handful of peers from one sweeping thousands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HyperLogLog {
    registers: [u8; HLL_REGISTERS],
}

impl Default for HyperLogLog {
    fn default() -> Self {
        HyperLogLog {
            registers: [0; HLL_REGISTERS],
        }
    }
}

impl HyperLogLog {
    /// Records one hashed item.
    #[inline]
    pub(crate) fn insert(&mut self, hash: u64) {
        let index = (hash >> (64 - HLL_BITS)) as usize;
        // A guard bit keeps the rank bounded when the remaining bits are all zero.
        let rest = (hash << HLL_BITS) | (1 << (HLL_BITS - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        let register = &mut self.registers[index];
        if rank > *register {
            *register = rank;
        }
    }

    /// Estimated number of distinct items inserted.
    pub(crate) fn estimate(&self) -> u64 {
        let m = HLL_REGISTERS as f64;
        let mut sum = 0.0;
        let mut zeros = 0u32;
        for &r in &self.registers {
            sum += 1.0 / f64::from(1u32 << r.min(31));
            if r == 0 {
                zeros += 1;
            }
        }
        let raw = 0.709 * m * m / sum;
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            // Small cardinalities: linear counting is far more accurate.
            m * (m / f64::from(zeros)).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.registers = [0; HLL_REGISTERS];
    }
}

/// Heavy hitters by weight with a fixed number of counters (the Space-Saving algorithm): any
/// key heavier than `total / capacity` is guaranteed to be kept.
#[derive(Debug, Clone)]
pub(crate) struct SpaceSaving<K> {
    capacity: usize,
    entries: Vec<(K, u64)>,
}

impl<K: Copy + PartialEq> SpaceSaving<K> {
    pub(crate) fn new(capacity: usize) -> Self {
        SpaceSaving {
            capacity: capacity.max(1),
            entries: Vec::with_capacity(capacity.max(1)),
        }
    }

    /// Adds `weight` to `key`, replacing the lightest key when full.
    #[inline]
    pub(crate) fn add(&mut self, key: K, weight: u64) {
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = entry.1.saturating_add(weight);
            return;
        }
        if self.entries.len() < self.capacity {
            self.entries.push((key, weight));
            return;
        }
        if let Some(lightest) = self.entries.iter_mut().min_by_key(|(_, w)| *w) {
            // The newcomer inherits the evicted count: an overestimate, never an underestimate.
            *lightest = (key, lightest.1.saturating_add(weight));
        }
    }

    /// The `k` heaviest keys, heaviest first.
    pub(crate) fn top(&self, k: usize) -> Vec<(K, u64)> {
        let mut sorted = self.entries.clone();
        sorted.sort_by_key(|entry| std::cmp::Reverse(entry.1));
        sorted.truncate(k);
        sorted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_counts_are_close_and_repeats_do_not_count() {
        for n in [1u64, 10, 50, 200, 1000, 20_000] {
            let mut hll = HyperLogLog::default();
            for round in 0..3 {
                for i in 0..n {
                    hll.insert(mix64(i * 7919 + 13));
                }
                let estimate = hll.estimate() as f64;
                let error = (estimate - n as f64).abs() / n as f64;
                assert!(
                    error < 0.35,
                    "n={n} round={round}: estimate {estimate} is {error:.2} off"
                );
            }
        }
        let mut hll = HyperLogLog::default();
        assert_eq!(hll.estimate(), 0);
        hll.insert(hash_addr("2001:db8::1".parse().unwrap()));
        hll.clear();
        assert_eq!(hll.estimate(), 0);
    }

    #[test]
    fn heavy_hitters_survive_a_crowd_of_light_keys() {
        let mut top = SpaceSaving::new(8);
        for i in 0..10_000u32 {
            top.add(i, 1);
            if i % 10 == 0 {
                top.add(1_000_000, 5);
            }
            if i % 20 == 0 {
                top.add(2_000_000, 5);
            }
        }
        let best = top.top(2);
        assert_eq!(best[0].0, 1_000_000);
        assert_eq!(best[1].0, 2_000_000);
        assert!(best[0].1 >= 5000);
        assert_eq!(top.top(100).len(), 8, "never more than capacity");
    }
}
