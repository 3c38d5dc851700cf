//! The address of the user agent, for throttling and the session record.
//!
//! Behind a reverse proxy every connection comes from the proxy, so the
//! address is read from `X-Forwarded-For`, but only when the connection comes
//! from a configured trusted proxy: anyone else could write that header.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// Networks whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    fn contains(&self, ip: &IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a connection from `peer` that carried these
    /// `X-Forwarded-For` values: the right-most address that is not a
    /// trusted proxy, walking back from the peer. An unparseable entry stops
    /// the walk at the last address known to be good.
    pub fn resolve<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl Iterator<Item = &'a str>,
    ) -> IpAddr {
        if !self.contains(&peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip.to_canonical();
                    if !self.contains(&client) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

/// The client's address: the peer, or what a trusted proxy says it forwarded.
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    Some(trusted.resolve(peer, forwarded).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|n| n.parse().expect("net")).collect())
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.resolve(ip("198.51.100.1"), ["203.0.113.9"].into_iter()),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.resolve(ip("10.0.0.5"), ["203.0.113.9"].into_iter()),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn spoofed_entries_left_of_the_real_client_are_ignored() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The client sent `X-Forwarded-For: 1.2.3.4`; the proxy appended the
        // address it saw.
        assert_eq!(
            trusted.resolve(ip("10.0.0.5"), ["1.2.3.4, 203.0.113.9"].into_iter()),
            ip("203.0.113.9")
        );
        // Chained trusted proxies are walked past, across header lines too.
        assert_eq!(
            trusted.resolve(
                ip("10.0.0.5"),
                ["1.2.3.4, 203.0.113.9", "10.1.1.1"].into_iter()
            ),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn garbage_stops_at_the_last_good_hop() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.resolve(ip("10.0.0.5"), ["203.0.113.9, unknown"].into_iter()),
            ip("10.0.0.5")
        );
        assert_eq!(
            trusted.resolve(ip("10.0.0.5"), std::iter::empty()),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_networks() {
        let trusted = proxies(&["127.0.0.1/32"]);
        assert_eq!(
            trusted.resolve(ip("::ffff:127.0.0.1"), ["203.0.113.9"].into_iter()),
            ip("203.0.113.9")
        );
    }
}
