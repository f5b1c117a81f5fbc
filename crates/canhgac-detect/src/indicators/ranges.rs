//! Networks (CIDR indicators) flattened into disjoint address ranges, so that finding the most
//! specific network holding an address is one binary search, whatever the mix of prefix lengths.
//!
//! CIDR blocks are either nested or disjoint, so a sweep over them sorted by start (wider first)
//! with a stack of open blocks cuts the address space into segments, each owned by the most
//! specific block covering it. Every block also remembers its parent (the next wider block that
//! holds it), so an expired block falls back to the one around it.

/// An address as an unsigned integer (IPv4 as `u32`, IPv6 as `u128`).
pub(crate) trait Addr: Copy + Ord {
    /// The first address.
    const ZERO: Self;
    /// The next address, `None` after the last.
    fn next(self) -> Option<Self>;
}

impl Addr for u32 {
    const ZERO: Self = 0;
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
}

impl Addr for u128 {
    const ZERO: Self = 0;
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
}

/// No owner: an address range no block covers, or a block without parent.
pub(crate) const NONE: u32 = u32::MAX;

/// The segments of one address family.
#[derive(Debug, Clone)]
pub(crate) struct Ranges<T> {
    /// Per segment, ascending: its first address (the first is always `T::ZERO`) and the local
    /// index of the block owning it, or [`NONE`]. Side by side, so that one cache line holds
    /// both the addresses searched and the answer.
    segs: Vec<(T, u32)>,
    /// Per block: (indicator index, local index of the parent block or [`NONE`]).
    blocks: Vec<(u32, u32)>,
}

impl<T: Addr> Ranges<T> {
    /// Builds the segments from `(first address, last address, indicator index)` blocks.
    pub(crate) fn build(mut nets: Vec<(T, T, u32)>) -> Self {
        // Same start: the wider block first, so that it becomes the parent of the narrower one.
        nets.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        let mut ranges = Ranges {
            segs: vec![(T::ZERO, NONE)],
            blocks: Vec::with_capacity(nets.len()),
        };
        // Open blocks: (last address, local index).
        let mut open: Vec<(T, u32)> = Vec::new();
        for (first, last, indicator) in nets {
            while let Some(&(end, _)) = open.last() {
                if end >= first {
                    break;
                }
                open.pop();
                let owner = open.last().map_or(NONE, |&(_, local)| local);
                if let Some(after) = end.next() {
                    ranges.emit(after, owner);
                }
            }
            let local = ranges.blocks.len() as u32;
            let parent = open.last().map_or(NONE, |&(_, local)| local);
            ranges.blocks.push((indicator, parent));
            ranges.emit(first, local);
            open.push((last, local));
        }
        while let Some((end, _)) = open.pop() {
            let owner = open.last().map_or(NONE, |&(_, local)| local);
            if let Some(after) = end.next() {
                ranges.emit(after, owner);
            }
        }
        ranges.segs.shrink_to_fit();
        ranges
    }

    /// Records that from `start` on, the addresses belong to `owner`.
    fn emit(&mut self, start: T, owner: u32) {
        let last = self.segs.len() - 1;
        if self.segs[last].0 == start {
            // A later decision at the same address is the more specific one.
            self.segs[last].1 = owner;
            if last > 0 && self.segs[last - 1].1 == owner {
                self.segs.pop();
            }
        } else if self.segs[last].1 != owner {
            self.segs.push((start, owner));
        }
    }

    /// Number of blocks.
    pub(crate) fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Number of segments (for tests and memory estimates).
    #[cfg(test)]
    pub(crate) fn segments(&self) -> usize {
        self.segs.len()
    }

    /// The segment index holding `addr`, searching only `segs[lo..hi]`: the segments starting
    /// inside a window of the address space (when none of them starts at or before `addr`, the
    /// answer is `lo - 1`, the segment that began before the window).
    fn segment_in(&self, addr: T, lo: usize, hi: usize) -> usize {
        let within = self.segs[lo..hi].partition_point(|&(s, _)| s <= addr);
        // `segs[0]` starts at ZERO, so at least one start is <= addr overall.
        (lo + within).saturating_sub(1)
    }

    /// The blocks holding `addr`, most specific first, as indicator indices.
    pub(crate) fn holding(&self, addr: T, hint: (usize, usize)) -> Chain<'_> {
        let first = if self.blocks.is_empty() {
            NONE
        } else {
            self.segs[self.segment_in(addr, hint.0, hint.1)].1
        };
        Chain {
            blocks: &self.blocks,
            next: first,
        }
    }

    /// The most specific block holding `addr` that `accept` takes (walking out to wider blocks
    /// when it refuses one), as an indicator index.
    #[cfg(test)]
    pub(crate) fn find_with(
        &self,
        addr: T,
        hint: (usize, usize),
        mut accept: impl FnMut(u32) -> bool,
    ) -> Option<u32> {
        self.holding(addr, hint).find(|&i| accept(i))
    }

    /// The whole search range, for families without an index.
    pub(crate) fn full(&self) -> (usize, usize) {
        (0, self.segs.len())
    }
}

/// The blocks holding an address, from the most specific outwards.
pub(crate) struct Chain<'r> {
    blocks: &'r [(u32, u32)],
    next: u32,
}

impl Iterator for Chain<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let (indicator, parent) = self.blocks[self.next as usize];
        self.next = parent;
        Some(indicator)
    }
}

impl Ranges<u32> {
    /// For each value of the top 16 bits, the number of segment starts below it: narrows every
    /// IPv4 search to the few segments inside one /16.
    pub(crate) fn index16(&self) -> Vec<u32> {
        let mut index = Vec::with_capacity(65_537);
        let mut pos = 0usize;
        for high in 0..=65_536u64 {
            let bound = high << 16;
            while pos < self.segs.len() && u64::from(self.segs[pos].0) < bound {
                pos += 1;
            }
            index.push(pos as u32);
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(net: &str) -> (u32, u32) {
        let net: ipnet::Ipv4Net = net.parse().unwrap();
        (u32::from(net.network()), u32::from(net.broadcast()))
    }

    fn build(nets: &[&str]) -> Ranges<u32> {
        Ranges::build(
            nets.iter()
                .enumerate()
                .map(|(i, n)| {
                    let (a, b) = v4(n);
                    (a, b, i as u32)
                })
                .collect(),
        )
    }

    fn find(r: &Ranges<u32>, ip: &str) -> Option<u32> {
        let ip: std::net::Ipv4Addr = ip.parse().unwrap();
        r.find_with(u32::from(ip), r.full(), |_| true)
    }

    #[test]
    fn nested_blocks_give_the_most_specific_and_fall_back_to_parents() {
        let r = build(&["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.0.2.0/24"]);
        assert_eq!(find(&r, "10.1.2.3"), Some(2));
        assert_eq!(find(&r, "10.1.3.3"), Some(1));
        assert_eq!(find(&r, "10.2.0.0"), Some(0));
        assert_eq!(find(&r, "10.255.255.255"), Some(0));
        assert_eq!(find(&r, "11.0.0.0"), None);
        assert_eq!(find(&r, "9.255.255.255"), None);
        assert_eq!(find(&r, "192.0.2.255"), Some(3));
        assert_eq!(find(&r, "192.0.3.0"), None);
        // The /24 refused: its parent /16 answers.
        let ip = u32::from("10.1.2.3".parse::<std::net::Ipv4Addr>().unwrap());
        assert_eq!(r.find_with(ip, r.full(), |i| i != 2), Some(1));
        assert_eq!(r.find_with(ip, r.full(), |i| i == 0), Some(0));
    }

    #[test]
    fn whole_space_and_last_address_do_not_overflow() {
        let r = build(&["0.0.0.0/0", "255.255.255.255/32", "0.0.0.0/32"]);
        assert_eq!(find(&r, "0.0.0.0"), Some(2));
        assert_eq!(find(&r, "0.0.0.1"), Some(0));
        assert_eq!(find(&r, "255.255.255.254"), Some(0));
        assert_eq!(find(&r, "255.255.255.255"), Some(1));
        assert_eq!(r.segments(), 3);
    }

    #[test]
    fn index16_narrows_to_the_same_answer() {
        let r = build(&[
            "10.0.0.0/8",
            "10.1.2.0/24",
            "10.1.2.128/25",
            "172.16.0.0/12",
        ]);
        let index = r.index16();
        for ip in [
            "10.1.2.200",
            "10.1.2.3",
            "10.0.0.1",
            "172.31.255.255",
            "172.32.0.0",
            "1.1.1.1",
        ] {
            let addr = u32::from(ip.parse::<std::net::Ipv4Addr>().unwrap());
            let high = (addr >> 16) as usize;
            let hint = (index[high] as usize, index[high + 1] as usize);
            assert_eq!(r.find_with(addr, hint, |_| true), find(&r, ip), "{ip}");
        }
    }
}

#[cfg(test)]
mod brute_force {
    use super::*;

    /// Random nested and disjoint networks: the ranges answer as a scan over all of them does.
    #[test]
    fn agrees_with_a_scan_over_every_block() {
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut nets = Vec::new();
        for i in 0..3000u32 {
            // Few distinct high bits so that blocks nest and collide.
            let base = ((next() as u32) & 0x0fff_ffff) | 0x0a00_0000;
            let len = [8u32, 12, 16, 20, 24, 28, 32][(next() % 7) as usize];
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            let first = base & mask;
            nets.push((first, first | !mask, i, len));
        }
        let ranges = Ranges::build(nets.iter().map(|&(a, b, i, _)| (a, b, i)).collect());
        let index = ranges.index16();
        for _ in 0..20_000 {
            let addr = ((next() as u32) & 0x1fff_ffff) | 0x0200_0000;
            // Most specific: the longest prefix; among equal networks, the last listed.
            let expected = nets
                .iter()
                .filter(|&&(a, b, _, _)| a <= addr && addr <= b)
                .max_by_key(|&&(_, _, i, len)| (len, i))
                .map(|&(_, _, i, _)| i);
            let high = (addr >> 16) as usize;
            let hint = (index[high] as usize, index[high + 1] as usize);
            let got = ranges.find_with(addr, hint, |_| true);
            assert_eq!(got, expected, "{addr:#x}");
        }
    }
}
