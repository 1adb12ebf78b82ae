//! Where a webhook may be sent: an `http(s)` URL whose host is a public address. Private,
//! loopback, link-local (cloud metadata services) and other non-global addresses are refused
//! unless the operator allows them (tests, a private deployment), so that a subscription
//! cannot make the registry probe its own network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a target is refused: a code and a message for the problem document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub detail: String,
}

fn refused(code: &'static str, detail: impl Into<String>) -> Refused {
    Refused {
        code,
        detail: detail.into(),
    }
}

/// Longest target URL.
pub const MAX_URL: usize = 2000;

/// Checks the form of a target URL (no name resolution): `https` (or `http` where private
/// targets are allowed), a host, no user name or password, no fragment; an IP literal must be
/// public unless `allow_private`.
pub fn parse(raw: &str, allow_private: bool) -> Result<url::Url, Refused> {
    if raw.len() > MAX_URL {
        return Err(refused(
            "too_long",
            format!("must be at most {MAX_URL} characters"),
        ));
    }
    let url = url::Url::parse(raw.trim())
        .map_err(|e| refused("invalid_url", format!("is not an absolute URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => {
            return Err(refused(
                "insecure_url",
                "must use https (deliveries carry a signature, not secrecy)",
            ));
        }
        _ => return Err(refused("invalid_url", "must be an https URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused(
            "invalid_url",
            "must not contain a user name or password (the signature authenticates a delivery)",
        ));
    }
    if url.fragment().is_some() {
        return Err(refused("invalid_url", "must not have a fragment (`#…`)"));
    }
    match url.host() {
        None => return Err(refused("invalid_url", "must name a host")),
        Some(url::Host::Ipv4(ip)) => check_address(IpAddr::V4(ip), allow_private)?,
        Some(url::Host::Ipv6(ip)) => check_address(IpAddr::V6(ip), allow_private)?,
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !allow_private && (name == "localhost" || name.ends_with(".localhost")) {
                return Err(refused(
                    "private_target",
                    "must not be a loopback host (localhost)",
                ));
            }
        }
    }
    Ok(url)
}

/// Refuses an address that is not public, unless `allow_private`.
pub fn check_address(ip: IpAddr, allow_private: bool) -> Result<(), Refused> {
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(refused(
            "private_target",
            format!("must be a public address; {ip} is private, loopback, link-local or reserved"),
        ))
    }
}

/// Whether `ip` is a globally reachable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // shared address space (carrier-grade NAT), 100.64.0.0/10
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24
        || (a == 192 && b == 0 && c == 0)
        // benchmarking, 198.18.0.0/15
        || (a == 198 && (b == 18 || b == 19))
        // reserved, 240.0.0.0/4
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // unique local fc00::/7
        || (first & 0xfe00) == 0xfc00
        // link-local fe80::/10
        || (first & 0xffc0) == 0xfe80
        // documentation 2001:db8::/32
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible and other ::/8 forms
        || first == 0)
}

/// Resolves `url`'s host and checks every address it gives (a name that resolves to a
/// private address is refused like the address itself).
pub async fn resolve(url: &url::Url, allow_private: bool) -> Result<Vec<IpAddr>, Refused> {
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.to_owned(),
        Some(url::Host::Ipv4(ip)) => return Ok(vec![IpAddr::V4(ip)]),
        Some(url::Host::Ipv6(ip)) => return Ok(vec![IpAddr::V6(ip)]),
        None => return Err(refused("invalid_url", "must name a host")),
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| refused("unresolvable_host", "the host name does not resolve"))?
        .map(|a| a.ip())
        .collect();
    if addresses.is_empty() {
        return Err(refused(
            "unresolvable_host",
            "the host name does not resolve",
        ));
    }
    for ip in &addresses {
        check_address(*ip, allow_private)?;
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.215.14", "145.97.1.1", "2a00:1450:4001::1"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_before_any_lookup() {
        let code = |raw: &str| parse(raw, false).err().map(|e| e.code);
        assert_eq!(code("https://93.184.215.14/hooks"), None);
        assert_eq!(code("https://hooks.example.nl/onconet"), None);
        assert_eq!(code("http://hooks.example.nl/"), Some("insecure_url"));
        assert_eq!(code("ftp://hooks.example.nl/"), Some("invalid_url"));
        assert_eq!(code("hooks.example.nl"), Some("invalid_url"));
        assert_eq!(
            code("https://user:pw@hooks.example.nl/"),
            Some("invalid_url")
        );
        assert_eq!(code("https://hooks.example.nl/#x"), Some("invalid_url"));
        assert_eq!(code("https://127.0.0.1/"), Some("private_target"));
        assert_eq!(code("https://[::1]:8443/"), Some("private_target"));
        assert_eq!(
            code("https://169.254.169.254/latest"),
            Some("private_target")
        );
        assert_eq!(code("https://localhost/"), Some("private_target"));
        assert_eq!(code("https://api.LOCALHOST./"), Some("private_target"));
        assert_eq!(
            code(&format!("https://a.nl/{}", "x".repeat(2000))),
            Some("too_long")
        );
        // An operator may allow them (tests, a closed network).
        assert!(parse("http://127.0.0.1:9000/hook", true).is_ok());
    }
}
