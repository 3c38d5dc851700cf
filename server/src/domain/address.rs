//! What a client address counts as, for limits that are per address. An
//! IPv6 user usually holds a whole /64 (and often a /48 or /56), so counting
//! per /128 would let one actor rotate through addresses at will: IPv6
//! addresses count per /64, IPv4 addresses one by one. A *range* is the
//! coarser unit limits fall back to when everything is busy: a /48 for IPv6,
//! a /24 for IPv4.

use std::net::{IpAddr, Ipv6Addr};

/// The key an address is counted under (`203.0.113.9`, `2001:db8:1:2::/64`);
/// text that is not an address is counted as itself, bounded in length.
pub fn per_address(ip: &str) -> String {
    match parse(ip) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => format!("{}/64", prefix(v6, 4)),
        None => ip.chars().take(64).collect(),
    }
}

/// The range an address belongs to (`203.0.113.0/24`, `2001:db8:1::/48`).
pub fn range(ip: &str) -> String {
    match parse(ip) {
        Some(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Some(IpAddr::V6(v6)) => format!("{}/48", prefix(v6, 3)),
        None => ip.chars().take(64).collect(),
    }
}

fn parse(ip: &str) -> Option<IpAddr> {
    ip.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The address with all but its first `segments` 16-bit groups zeroed.
fn prefix(ip: Ipv6Addr, segments: usize) -> Ipv6Addr {
    let mut groups = ip.segments();
    for group in groups.iter_mut().skip(segments) {
        *group = 0;
    }
    Ipv6Addr::from(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_of_one_slash_64_count_as_one() {
        assert_eq!(
            per_address("2001:db8:1:2::1"),
            per_address("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(
            per_address("2001:db8:1:2::1"),
            per_address("2001:db8:1:3::1")
        );
        assert_eq!(per_address("2001:db8:1:2::1"), "2001:db8:1:2::/64");
    }

    #[test]
    fn ipv4_addresses_count_one_by_one_and_mapped_ones_as_ipv4() {
        assert_eq!(per_address("203.0.113.9"), "203.0.113.9");
        assert_eq!(per_address("::ffff:203.0.113.9"), "203.0.113.9");
    }

    #[test]
    fn ranges_are_a_slash_48_or_a_slash_24() {
        assert_eq!(range("2001:db8:1:2::1"), "2001:db8:1::/48");
        assert_eq!(range("2001:db8:1:ffff::1"), "2001:db8:1::/48");
        assert_eq!(range("203.0.113.9"), "203.0.113.0/24");
    }
}
