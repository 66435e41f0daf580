//! Where a webhook may be sent. A production server sends to public `https` receivers only, so an
//! endpoint cannot point it at its own network (OWASP API7, server-side request forgery): every
//! address in the IANA special-purpose registries (RFC 6890 and its updates) is refused, in each
//! of its spellings — the numeric host forms a URL parser accepts (`127.1`, `0x7f000001`,
//! `2130706433`), IPv4 inside IPv6 (mapped, NAT64, 6to4) — and a name is refused when it resolves
//! to one, both when it is registered and when it is sent to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use actix_web::http::Uri;

use crate::http::error::FieldError;

/// Which receivers an endpoint may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Targets {
    /// `https` to a public host only (the default).
    #[default]
    PublicHttps,
    /// Also plain `http` and local addresses: development and tests
    /// (`KINERJA_WEBHOOK_ALLOW_LOCAL`).
    AnyHttp,
}

pub const URL_MAX: usize = 2000;

/// How long registration waits for a name to resolve.
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

fn refused(code: &str, message: &str) -> FieldError {
    FieldError::new("url", code, message)
}

fn not_public() -> FieldError {
    refused("local_address", "a webhook goes to a public host, not a local, private or reserved address")
}

/// A URL's host: a name, or an address however it was written.
#[derive(Debug, PartialEq, Eq)]
enum Host {
    Name(String),
    Address(IpAddr),
}

/// The endpoint URL as it will be called — a numeric host written out as its address, so what was
/// checked is what is connected to — or why it cannot be.
pub fn check_url(url: &str, targets: Targets) -> Result<String, FieldError> {
    let url = url.trim();
    if url.is_empty() || url.len() > URL_MAX {
        return Err(refused("invalid_length", "must be 1 to 2000 characters"));
    }
    let not_url = || refused("invalid_url", "not an absolute http(s) URL");
    let uri: Uri = url.parse().map_err(|_| not_url())?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(not_url());
    };
    if authority.as_str().contains('@') {
        return Err(refused("invalid_url", "put no user or password in the URL; verify the signature instead"));
    }
    match (scheme, targets) {
        ("https", _) | ("http", Targets::AnyHttp) => {}
        ("http", Targets::PublicHttps) => return Err(refused("https_required", "webhooks are sent over https only")),
        _ => return Err(not_url()),
    }
    let host = parse_host(authority.host())
        .ok_or_else(|| refused("invalid_url", "the host is not a valid name or address"))?;
    if targets == Targets::PublicHttps {
        let local = match &host {
            Host::Name(name) => is_local_name(name),
            Host::Address(ip) => is_special_address(*ip),
        };
        if local {
            return Err(not_public());
        }
    }
    match host {
        Host::Name(_) => Ok(url.to_owned()),
        Host::Address(ip) => {
            let host = match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            };
            let port = authority.port().map(|p| format!(":{p}")).unwrap_or_default();
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            Ok(format!("{scheme}://{host}{port}{path}"))
        }
    }
}

/// [`check_url`], and at registration the name resolved too: refused when it resolves to any
/// special-purpose address. A name that resolves to nothing yet is kept — its DNS may follow —
/// since every send resolves it again ([`PublicAddressesOnly`]).
pub async fn check_url_resolving(url: &str, targets: Targets) -> Result<String, FieldError> {
    let checked = check_url(url, targets)?;
    if targets == Targets::AnyHttp {
        return Ok(checked);
    }
    let uri: Uri = checked.parse().map_err(|_| refused("invalid_url", "not an absolute http(s) URL"))?;
    let Some(authority) = uri.authority() else { return Ok(checked) };
    if let Some(Host::Name(name)) = parse_host(authority.host()) {
        let lookup = tokio::net::lookup_host((name.as_str(), authority.port_u16().unwrap_or(443)));
        if let Ok(Ok(found)) = tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
            let addresses: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            if addresses.into_iter().any(is_special_address) {
                return Err(not_public());
            }
        }
    }
    Ok(checked)
}

/// The host as a name (lower case, without the root's trailing dot) or an address, read as
/// browsers read it (the WHATWG URL standard); `None` for a host no URL may have.
fn parse_host(host: &str) -> Option<Host> {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.strip_suffix(']')?.parse::<Ipv6Addr>().ok().map(|ip| Host::Address(IpAddr::V6(ip)));
    }
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    if host.is_empty() {
        return None;
    }
    match numeric_ipv4(host) {
        Some(parsed) => parsed.map(|ip| Host::Address(IpAddr::V4(ip))),
        None => Some(Host::Name(host.to_owned())),
    }
}

/// A host whose last label is a number is an IPv4 address in one of the forms URL parsers
/// accept: one to four parts, each decimal, `0x` hexadecimal or `0`-prefixed octal, the last
/// filling the bytes left (`127.1`, `0x7f.1`, `2130706433`). `None` when the host is a name;
/// `Some(None)` when it is a number but no address.
fn numeric_ipv4(host: &str) -> Option<Option<Ipv4Addr>> {
    let parts: Vec<&str> = host.split('.').collect();
    let last = parts.last()?;
    let ends_in_number = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) || parse_part(last).is_some();
    if !ends_in_number {
        return None;
    }
    let numbers: Option<Vec<u64>> = parts.iter().map(|p| parse_part(p)).collect();
    let Some(numbers) = numbers.filter(|n| n.len() <= 4) else { return Some(None) };
    let (last, leading) = numbers.split_last()?;
    if leading.iter().any(|&n| n > 255) || *last >= 1u64 << (8 * (5 - numbers.len())) {
        return Some(None);
    }
    let mut value = *last;
    for (i, &n) in leading.iter().enumerate() {
        value += n << (8 * (3 - i));
    }
    Some(u32::try_from(value).ok().map(Ipv4Addr::from))
}

/// One part of a numeric host: `0x1f`, `017` (octal), `31`; at most 32 bits' worth.
fn parse_part(part: &str) -> Option<u64> {
    let (digits, radix) = if let Some(hex) = part.strip_prefix("0x") {
        (hex, 16)
    } else if part.len() > 1 && part.starts_with('0') {
        (&part[1..], 8)
    } else {
        (part, 10)
    };
    if digits.is_empty() {
        return (radix == 16).then_some(0);
    }
    u64::from_str_radix(digits, radix).ok().filter(|&n| n <= u64::from(u32::MAX))
}

/// Names that mean this machine or a private network by themselves (RFC 6761, RFC 8375).
fn is_local_name(name: &str) -> bool {
    ["localhost", "local", "internal", "home.arpa", "localdomain"]
        .iter()
        .any(|suffix| name == *suffix || name.ends_with(&format!(".{suffix}")))
}

/// The IPv4 blocks of the IANA special-purpose registry, and multicast and reserved space: none
/// is a public receiver.
const SPECIAL_V4: [([u8; 4], u8); 18] = [
    ([0, 0, 0, 0], 8),       // "this network"
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // shared address space (CGNAT; cloud metadata at 100.100.100.200)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local (cloud metadata at 169.254.169.254)
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 31, 196, 0], 24), // AS112
    ([192, 52, 193, 0], 24), // AMT
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private
    ([192, 175, 48, 0], 24), // AS112 direct delegation
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, and the limited broadcast 255.255.255.255
];

/// IPv6 blocks inside global unicast (2000::/3) that are special all the same.
const SPECIAL_V6_IN_GLOBAL: [([u16; 3], u8); 4] = [
    ([0x2001, 0x0000, 0], 23),      // IETF protocol assignments: Teredo, benchmarking, ORCHID
    ([0x2001, 0x0db8, 0], 32),      // documentation
    ([0x2620, 0x004f, 0x8000], 48), // AS112
    ([0x3fff, 0x0000, 0], 20),      // documentation
];

fn in_block(bits: u128, width: u32, network: u128, prefix: u8) -> bool {
    let shift = width - u32::from(prefix);
    bits >> shift == network >> shift
}

/// An address no webhook goes to: loopback, private, shared, link-local, benchmarking,
/// documentation, multicast, reserved, unspecified, or an IPv4 address of those written into IPv6
/// (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`); in IPv6 anything outside
/// global unicast (2000::/3: unique local, link-local, multicast, discard, local NAT64 …) too.
pub fn is_special_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u128::from(u32::from(v4));
            SPECIAL_V4.iter().any(|(net, prefix)| in_block(bits, 32, u128::from(u32::from_be_bytes(*net)), *prefix))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let embedded = |v4_bits: u128| is_special_address(IpAddr::V4(Ipv4Addr::from(v4_bits as u32)));
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_special_address(IpAddr::V4(v4));
            }
            if in_block(bits, 128, 0x0064_ff9b << 96, 96) {
                return embedded(bits & 0xffff_ffff);
            }
            if in_block(bits, 128, 0x2002 << 112, 16) {
                return embedded((bits >> 80) & 0xffff_ffff);
            }
            let global = in_block(bits, 128, 0x2000 << 112, 3);
            !global
                || SPECIAL_V6_IN_GLOBAL.iter().any(|(net, prefix)| {
                    let network = (u128::from(net[0]) << 112) | (u128::from(net[1]) << 96) | (u128::from(net[2]) << 80);
                    in_block(bits, 128, network, *prefix)
                })
        }
    }
}

/// Name resolution for public receivers: a name is refused when it is sent to if it resolves
/// only to special-purpose addresses — a public name can be pointed inward after it was
/// registered — and is connected to at the public addresses found, checked, never looked up again.
pub struct PublicAddressesOnly;

impl actix_tls::connect::Resolve for PublicAddressesOnly {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> futures_util::future::LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn std::error::Error>>> {
        Box::pin(async move {
            if is_local_name(host.trim_end_matches('.').to_ascii_lowercase().as_str()) {
                return Err(format!("{host} resolves to no public address").into());
            }
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| !is_special_address(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(public)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(url: &str) -> Result<String, String> {
        check_url(url, Targets::PublicHttps).map_err(|e| e.code)
    }

    #[test]
    fn public_https_only_by_default() {
        assert_eq!(
            code("https://hr.example.go.id/hooks/kinerja").as_deref(),
            Ok("https://hr.example.go.id/hooks/kinerja")
        );
        assert_eq!(code("http://hr.example.go.id/h").err().as_deref(), Some("https_required"));
        assert_eq!(code("ftp://example.com/").err().as_deref(), Some("invalid_url"));
        assert_eq!(code("/relative").err().as_deref(), Some("invalid_url"));
        assert_eq!(code("https://user:pw@example.com/").err().as_deref(), Some("invalid_url"));
        assert_eq!(code("").err().as_deref(), Some("invalid_length"));
    }

    #[test]
    fn every_special_purpose_range_is_refused_in_every_spelling() {
        for local in [
            "https://localhost/h",
            "https://localhost./h",
            "https://LOCALHOST/h",
            "https://printer.local/h",
            "https://nas.home.arpa/h",
            "https://127.0.0.1:8443/h",
            "https://127.1/h",
            "https://0x7f000001/h",
            "https://2130706433/h",
            "https://0177.0.0.1/h",
            "https://0x7f.1/h",
            "https://127.0.0.1./h",
            "https://10.1.2.3/h",
            "https://172.16.0.1/h",
            "https://192.168.0.9/h",
            "https://100.64.0.1/h",
            "https://100.100.100.200/latest/meta-data",
            "https://169.254.169.254/latest/meta-data",
            "https://198.18.0.1/h",
            "https://198.19.255.254/h",
            "https://192.0.2.10/h",
            "https://198.51.100.7/h",
            "https://203.0.113.9/h",
            "https://192.0.0.8/h",
            "https://224.0.0.1/h",
            "https://239.255.255.250/h",
            "https://240.0.0.1/h",
            "https://255.255.255.255/h",
            "https://0.0.0.0/h",
            "https://0/h",
            "https://[::1]/h",
            "https://[::]/h",
            "https://[fd00::1]/h",
            "https://[fe80::1]/h",
            "https://[ff02::1]/h",
            "https://[::ffff:10.0.0.1]/h",
            "https://[::ffff:127.0.0.1]/h",
            "https://[64:ff9b::7f00:1]/h",
            "https://[64:ff9b::a9fe:a9fe]/h",
            "https://[64:ff9b:1::1]/h",
            "https://[2002:7f00:1::]/h",
            "https://[2002:a9fe:a9fe::1]/h",
            "https://[2001:db8::1]/h",
            "https://[2001::1]/h",
            "https://[3fff::1]/h",
            "https://[100::1]/h",
        ] {
            assert_eq!(code(local).err().as_deref(), Some("local_address"), "{local}");
        }
    }

    #[test]
    fn public_addresses_pass_and_are_written_as_they_are_connected_to() {
        for (url, called) in [
            ("https://8.8.8.8/h", "https://8.8.8.8/h"),
            ("https://0x08080808:8443/h?x=1", "https://8.8.8.8:8443/h?x=1"),
            ("https://134744072/h", "https://8.8.8.8/h"),
            ("https://[2606:4700::1111]/h", "https://[2606:4700::1111]/h"),
            ("https://[::ffff:8.8.8.8]/h", "https://[::ffff:8.8.8.8]/h"),
            ("https://[64:ff9b::808:808]/h", "https://[64:ff9b::808:808]/h"),
            ("https://[2002:808:808::1]/h", "https://[2002:808:808::1]/h"),
            ("https://100.128.0.1/h", "https://100.128.0.1/h"),
            ("https://198.20.0.1/h", "https://198.20.0.1/h"),
        ] {
            assert_eq!(code(url).as_deref(), Ok(called), "{url}");
        }
    }

    #[test]
    fn a_number_that_is_no_address_is_no_host() {
        for bad in ["https://256.0.0.1/h", "https://1.2.3.4.5/h", "https://4294967296/h", "https://08/h"] {
            assert_eq!(code(bad).err().as_deref(), Some("invalid_url"), "{bad}");
        }
        // A name that merely holds digits is a name.
        assert!(code("https://1.example.go.id/h").is_ok());
        assert!(code("https://0x1g/h").is_ok());
    }

    /// A name that resolves only to this machine is refused when sent to.
    #[test]
    fn a_name_resolving_to_a_local_address_is_not_connected_to() {
        use actix_tls::connect::Resolve;
        let looked_up = actix_web::rt::System::new().block_on(async {
            let by_name = PublicAddressesOnly.lookup("localhost.", 443).await.map_err(|e| e.to_string());
            let registered =
                check_url_resolving("https://localhost./h", Targets::PublicHttps).await.map_err(|e| e.code);
            (by_name, registered)
        });
        assert_eq!(looked_up.0.err().as_deref(), Some("localhost. resolves to no public address"));
        assert_eq!(looked_up.1.err().as_deref(), Some("local_address"));
    }

    #[test]
    fn development_allows_local_http() {
        assert!(check_url("http://127.0.0.1:9000/hook", Targets::AnyHttp).is_ok());
        assert!(check_url("http://localhost:9000/hook", Targets::AnyHttp).is_ok());
    }
}
