//! Who is asking: the address a request comes from, seen through the
//! reverse proxies the operator trusts.
//!
//! Sign-in and code limits count attempts per client address, and the
//! share-link log records it. Behind a reverse proxy every connection comes
//! from the proxy, so counting the peer would let one client lock everyone
//! out; counting a header anyone can write would let a client dodge the
//! limits by making one up. So `X-Forwarded-For` is believed only as far as
//! the proxies in `http.trusted_proxies` wrote it.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use poem::http::HeaderMap;
use poem::{FromRequest, Request, RequestBody};
use serde::Deserialize;

/// The reverse proxies whose `X-Forwarded-For` entries are believed:
/// single addresses (`10.0.0.7`, `::1`) and networks (`10.0.0.0/8`).
/// Empty by default, when the header is ignored and the peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct TrustedProxies(Vec<IpNet>);

/// An entry of [`TrustedProxies`] that is neither an IP address nor a
/// network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is neither an IP address nor a network such as 10.0.0.0/8")]
pub struct InvalidProxy(String);

impl TrustedProxies {
    /// Reads each entry as an address or a network; the first that is
    /// neither is the error.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, InvalidProxy> {
        entries.iter().map(|entry| parse_entry(entry.as_ref())).collect::<Result<_, _>>().map(Self)
    }

    fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client behind `peer`. A peer that is not a trusted proxy is the
    /// client, whatever its header says. Otherwise the header is read from
    /// the right, each trusted hop passing on to the one before it: the
    /// first address that is not trusted is the client. Entries left of it
    /// are whatever the client chose to send and are never read, so
    /// neither a made-up address nor garbage there changes anything. An
    /// entry that is not an address where one is needed means the chain
    /// cannot be followed, and the peer is all that is known. When every
    /// hop is trusted, the first of them sent the request.
    fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let mut client = peer;
        for value in headers.get_all("x-forwarded-for").iter().rev() {
            let Ok(value) = value.to_str() else {
                return peer;
            };
            for entry in value.rsplit(',') {
                let Ok(hop) = IpAddr::from_str(entry.trim()) else {
                    return peer;
                };
                let hop = hop.to_canonical();
                if !self.contains(hop) {
                    return hop;
                }
                client = hop;
            }
        }
        client
    }
}

impl TryFrom<Vec<String>> for TrustedProxies {
    type Error = InvalidProxy;

    fn try_from(entries: Vec<String>) -> Result<Self, Self::Error> {
        Self::parse(&entries)
    }
}

fn parse_entry(entry: &str) -> Result<IpNet, InvalidProxy> {
    let entry = entry.trim();
    // An IPv4 address written IPv4-mapped (`::ffff:10.0.0.7`) is the
    // IPv4 address, as peers are compared.
    IpAddr::from_str(entry)
        .map(|address| IpNet::from(address.to_canonical()))
        .or_else(|_| IpNet::from_str(entry).map(|network| network.trunc()))
        .map_err(|_| InvalidProxy(entry.to_owned()))
}

/// The address `request` comes from: the peer, or the client behind it
/// when the peer is a trusted proxy (the [`TrustedProxies`] attached to
/// the request by `routes`). `None` when the peer has no IP address.
///
/// The one place that decides it: the access log and every handler that
/// counts or records addresses ask here.
pub(crate) fn client_address(request: &Request) -> Option<IpAddr> {
    // A dual-stack listener shows IPv4 peers IPv4-mapped; compared and
    // recorded as the IPv4 addresses they are.
    let peer = request.remote_addr().as_socket_addr()?.ip().to_canonical();
    Some(match request.data::<TrustedProxies>() {
        Some(trusted) => trusted.client_of(peer, request.headers()),
        None => peer,
    })
}

/// [`client_address`] as a handler argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientAddress(pub Option<IpAddr>);

impl<'a> FromRequest<'a> for ClientAddress {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(client_address(request)))
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use poem::http::HeaderValue;
    use poem::http::uri::Scheme;
    use poem::web::{LocalAddr, RemoteAddr};
    use poem::{Addr, Body, RequestParts};

    use super::*;

    fn trusted(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries).expect("valid entries")
    }

    fn headers(forwarded_for: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded_for {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).expect("a header value"));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        IpAddr::from_str(text).expect("an IP address")
    }

    fn client(proxies: &TrustedProxies, peer: &str, forwarded_for: &[&str]) -> IpAddr {
        proxies.client_of(ip(peer), &headers(forwarded_for))
    }

    #[test]
    fn the_header_of_an_untrusted_peer_is_ignored() {
        let proxies = trusted(&["10.0.0.7"]);
        assert_eq!(client(&proxies, "203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"));
        assert_eq!(client(&TrustedProxies::default(), "10.0.0.7", &["198.51.100.1"]), ip("10.0.0.7"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let proxies = trusted(&["10.0.0.7"]);
        assert_eq!(client(&proxies, "10.0.0.7", &["198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(client(&proxies, "10.0.0.7", &[]), ip("10.0.0.7"), "no header: the proxy itself asked");
    }

    #[test]
    fn made_up_entries_left_of_the_client_are_ignored() {
        let proxies = trusted(&["10.0.0.7"]);
        // The client sent "1.2.3.4" itself; the proxy appended the real address.
        assert_eq!(client(&proxies, "10.0.0.7", &["1.2.3.4, 198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(client(&proxies, "10.0.0.7", &["1.2.3.4", "198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(client(&proxies, "10.0.0.7", &["not-an-address, 198.51.100.1"]), ip("198.51.100.1"));
    }

    #[test]
    fn networks_are_followed_hop_by_hop() {
        let proxies = trusted(&["10.0.0.0/8", "2001:db8::/32"]);
        assert_eq!(client(&proxies, "10.1.2.3", &["1.2.3.4, 198.51.100.1, 10.9.9.9"]), ip("198.51.100.1"));
        assert_eq!(client(&proxies, "2001:db8::5", &["2001:db8::6, 2001:db8:1::7"]), ip("2001:db8::6"));
        assert_eq!(client(&proxies, "11.0.0.1", &["198.51.100.1"]), ip("11.0.0.1"), "outside the network");
        assert_eq!(client(&proxies, "10.0.0.1", &["10.0.0.2, 10.0.0.3"]), ip("10.0.0.2"), "every hop trusted");
    }

    #[test]
    fn an_unreadable_hop_leaves_only_the_peer() {
        let proxies = trusted(&["10.0.0.0/8"]);
        for forwarded_for in ["198.51.100.1, garbage", "198.51.100.1:4711", "", "198.51.100.1,,10.0.0.2"] {
            assert_eq!(client(&proxies, "10.0.0.7", &[forwarded_for]), ip("10.0.0.7"), "{forwarded_for:?}");
        }
    }

    #[test]
    fn ipv4_mapped_addresses_are_their_ipv4_addresses() {
        let proxies = trusted(&["10.0.0.0/8", "::ffff:192.0.2.1"]);
        assert_eq!(client(&proxies, "10.0.0.7", &["::ffff:198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(client(&proxies, "192.0.2.1", &["198.51.100.1"]), ip("198.51.100.1"));
    }

    #[test]
    fn entries_are_addresses_or_networks() {
        assert_eq!(trusted(&[" 10.1.2.3/8 "]), trusted(&["10.0.0.0/8"]), "host bits are dropped");
        for refused in ["proxy.internal", "10.0.0.0/33", "10.0.0", ""] {
            assert_eq!(TrustedProxies::parse(&[refused]), Err(InvalidProxy(refused.to_owned())), "{refused:?}");
        }
    }

    fn from_peer(peer: &str, forwarded_for: &str) -> Request {
        let parts = poem::http::Request::builder()
            .uri("/")
            .header("x-forwarded-for", forwarded_for)
            .body(())
            .expect("a request")
            .into_parts()
            .0;
        let peer = SocketAddr::from_str(peer).expect("a socket address");
        let parts = RequestParts::from((parts, LocalAddr::default(), RemoteAddr(Addr::from(peer)), Scheme::HTTP));
        Request::from_parts(parts, Body::empty())
    }

    #[test]
    fn a_request_is_judged_by_the_proxies_attached_to_it() {
        let mut request = from_peer("[::ffff:10.0.0.7]:40000", "198.51.100.1");
        assert_eq!(client_address(&request), Some(ip("10.0.0.7")), "nothing attached: the peer");
        request.extensions_mut().insert(trusted(&["10.0.0.7"]));
        assert_eq!(client_address(&request), Some(ip("198.51.100.1")));
        assert_eq!(client_address(&Request::default()), None, "a peer without an IP address");
    }
}
