//! Longest-prefix match over thousands of IPv4 and IPv6 prefixes.
//!
//! CIDR prefixes are either nested or disjoint, so the set flattens into sorted, disjoint address
//! ranges each owned by the most specific prefix covering it. A lookup is then one binary search,
//! with no allocation and no pointer chasing, which matters at millions of lookups per second.

use std::net::IpAddr;

use ipnet::IpNet;

/// One flattened range: every address in `first..=last` belongs to `value`.
#[derive(Debug, Clone, Copy)]
struct Range<T> {
    first: u128,
    last: u128,
    value: T,
}

/// Maps addresses to the value of the longest prefix containing them.
#[derive(Debug, Clone)]
pub struct PrefixTable<T> {
    v4: Vec<Range<T>>,
    v6: Vec<Range<T>>,
}

impl<T> Default for PrefixTable<T> {
    fn default() -> Self {
        PrefixTable {
            v4: Vec::new(),
            v6: Vec::new(),
        }
    }
}

/// A prefix as the first and last address of its range, widened to `u128`, plus its length.
fn bounds(net: &IpNet) -> (u128, u128, u8) {
    match net {
        IpNet::V4(n) => (
            u128::from(u32::from(n.network())),
            u128::from(u32::from(n.broadcast())),
            n.prefix_len(),
        ),
        IpNet::V6(n) => (
            u128::from(n.network()),
            u128::from(n.broadcast()),
            n.prefix_len(),
        ),
    }
}

impl<T: Copy> PrefixTable<T> {
    /// Builds the table. When the same prefix appears twice, the first one wins; callers that
    /// must refuse duplicates check before building.
    pub fn new(prefixes: impl IntoIterator<Item = (IpNet, T)>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (net, value) in prefixes {
            let (first, last, len) = bounds(&net);
            match net {
                IpNet::V4(_) => v4.push((first, last, len, value)),
                IpNet::V6(_) => v6.push((first, last, len, value)),
            }
        }
        PrefixTable {
            v4: flatten(v4),
            v6: flatten(v6),
        }
    }

    /// True when no prefix was given.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// The value of the longest prefix containing `addr`.
    #[inline]
    pub fn lookup(&self, addr: IpAddr) -> Option<T> {
        let (ranges, key) = match addr {
            IpAddr::V4(a) => (&self.v4, u128::from(u32::from(a))),
            IpAddr::V6(a) => (&self.v6, u128::from(a)),
        };
        let after = ranges.partition_point(|r| r.first <= key);
        let range = ranges.get(after.checked_sub(1)?)?;
        (key <= range.last).then_some(range.value)
    }
}

/// Turns nested prefixes into disjoint ranges owned by the innermost prefix.
fn flatten<T: Copy>(mut prefixes: Vec<(u128, u128, u8, T)>) -> Vec<Range<T>> {
    // Outer prefixes before the inner ones that start at the same address; a stable sort keeps
    // the first of two identical prefixes first.
    prefixes.sort_by_key(|&(first, _, len, _)| (first, len));
    prefixes.dedup_by_key(|&mut (first, _, len, _)| (first, len));

    let mut out: Vec<Range<T>> = Vec::with_capacity(prefixes.len() * 2);
    // Enclosing prefixes still open, innermost last.
    let mut open: Vec<(u128, T)> = Vec::new();
    // Next address not yet assigned to a range; `None` once the whole space is covered.
    let mut cursor: Option<u128> = Some(0);

    let emit = |out: &mut Vec<Range<T>>, cursor: &mut Option<u128>, last: u128, value: T| {
        if let Some(first) = *cursor {
            if first <= last {
                out.push(Range { first, last, value });
                *cursor = last.checked_add(1);
            }
        }
    };

    for (first, last, _, value) in prefixes {
        // Close every open prefix that ends before this one starts.
        while let Some(&(open_last, open_value)) = open.last() {
            if open_last >= first {
                break;
            }
            emit(&mut out, &mut cursor, open_last, open_value);
            open.pop();
        }
        match open.last() {
            // The gap between the cursor and this prefix belongs to the enclosing prefix.
            Some(&(_, enclosing)) if first > 0 => {
                emit(&mut out, &mut cursor, first - 1, enclosing);
            }
            _ => {}
        }
        if cursor.is_some_and(|c| c < first) || open.is_empty() {
            cursor = Some(first);
        }
        open.push((last, value));
    }
    while let Some((open_last, open_value)) = open.pop() {
        emit(&mut out, &mut cursor, open_last, open_value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(prefixes: &[(&str, u32)]) -> PrefixTable<u32> {
        PrefixTable::new(
            prefixes
                .iter()
                .map(|(p, v)| (p.parse::<IpNet>().unwrap(), *v)),
        )
    }

    fn at(t: &PrefixTable<u32>, addr: &str) -> Option<u32> {
        t.lookup(addr.parse().unwrap())
    }

    #[test]
    fn the_most_specific_prefix_wins_and_the_outer_one_resumes_after_it() {
        let t = table(&[
            ("10.0.0.0/8", 1),
            ("10.1.0.0/16", 2),
            ("10.1.2.0/24", 3),
            ("10.200.0.0/16", 4),
            ("2001:db8::/32", 5),
            ("2001:db8:1::/48", 6),
        ]);
        assert_eq!(at(&t, "10.0.0.1"), Some(1));
        assert_eq!(at(&t, "10.1.0.1"), Some(2));
        assert_eq!(at(&t, "10.1.2.255"), Some(3));
        assert_eq!(at(&t, "10.1.3.0"), Some(2));
        assert_eq!(at(&t, "10.2.0.0"), Some(1));
        assert_eq!(at(&t, "10.200.9.9"), Some(4));
        assert_eq!(at(&t, "10.255.255.255"), Some(1));
        assert_eq!(at(&t, "11.0.0.0"), None);
        assert_eq!(at(&t, "9.255.255.255"), None);
        assert_eq!(at(&t, "2001:db8:1::5"), Some(6));
        assert_eq!(at(&t, "2001:db8:2::5"), Some(5));
        assert_eq!(at(&t, "2001:db9::"), None);
        assert_eq!(at(&t, "::ffff:10.0.0.1"), None, "families never mix");
    }

    #[test]
    fn whole_address_spaces_and_host_routes_work_at_the_edges() {
        let t = table(&[
            ("0.0.0.0/0", 1),
            ("255.255.255.255/32", 2),
            ("::/0", 3),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 4),
            ("::/128", 5),
        ]);
        assert_eq!(at(&t, "0.0.0.0"), Some(1));
        assert_eq!(at(&t, "255.255.255.254"), Some(1));
        assert_eq!(at(&t, "255.255.255.255"), Some(2));
        assert_eq!(at(&t, "::"), Some(5));
        assert_eq!(at(&t, "::1"), Some(3));
        assert_eq!(at(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Some(4));
    }

    fn naive(prefixes: &[(IpNet, u32)], addr: IpAddr) -> Option<u32> {
        let mut best: Option<(u8, u32)> = None;
        for (net, v) in prefixes {
            if net.contains(&addr) && best.is_none_or(|(len, _)| net.prefix_len() > len) {
                best = Some((net.prefix_len(), *v));
            }
        }
        best.map(|(_, v)| v)
    }

    proptest! {
        #[test]
        fn lookup_agrees_with_a_linear_scan(
            raw in proptest::collection::vec((any::<u32>(), 0u8..=32), 0..40),
            probes in proptest::collection::vec(any::<u32>(), 0..60),
        ) {
            // Identical prefixes get distinct values only once, so the first-wins rule is moot.
            let mut prefixes: Vec<(IpNet, u32)> = Vec::new();
            for (i, (addr, len)) in raw.iter().enumerate() {
                let net = IpNet::new(IpAddr::from(addr.to_be_bytes()), *len).unwrap().trunc();
                if prefixes.iter().all(|(n, _)| *n != net) {
                    prefixes.push((net, i as u32));
                }
            }
            let t = PrefixTable::new(prefixes.iter().copied());
            for p in probes.iter().chain(raw.iter().map(|(a, _)| a)) {
                let addr = IpAddr::from(p.to_be_bytes());
                prop_assert_eq!(t.lookup(addr), naive(&prefixes, addr), "address {}", addr);
                // The edges of every prefix too.
                for (net, _) in &prefixes {
                    for edge in [net.network(), net.broadcast()] {
                        prop_assert_eq!(t.lookup(edge), naive(&prefixes, edge));
                    }
                }
            }
        }
    }
}
