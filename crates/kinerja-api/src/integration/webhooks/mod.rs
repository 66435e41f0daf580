//! Webhooks: agencies' endpoints are sent the outbox's events (`kinerja_store::outbox_rows`), signed
//! as Standard Webhooks asks ([`signature`]), by a background [`deliverer::Deliverer`] that
//! every server runs and that never holds a request up.

pub mod deliverer;
pub mod signature;

use std::net::{IpAddr, SocketAddr};

use actix_web::http::Uri;

use crate::http::error::FieldError;

/// Which receivers an endpoint may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Targets {
    /// `https` to a public host only (the default): no plain HTTP, and no loopback, private or
    /// link-local address, so an endpoint cannot point the server at its own network.
    #[default]
    PublicHttps,
    /// Also plain `http` and local addresses: development and tests
    /// (`KINERJA_WEBHOOK_ALLOW_LOCAL`).
    AnyHttp,
}

pub const URL_MAX: usize = 2000;

/// The endpoint URL as it will be called, or why it cannot be.
pub fn check_url(url: &str, targets: Targets) -> Result<String, FieldError> {
    let bad = |code: &str, message: &str| FieldError::new("url", code, message);
    let url = url.trim();
    if url.is_empty() || url.len() > URL_MAX {
        return Err(bad("invalid_length", "must be 1 to 2000 characters"));
    }
    let uri: Uri = url.parse().map_err(|_| bad("invalid_url", "not an absolute http(s) URL"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(bad("invalid_url", "not an absolute http(s) URL"));
    };
    if authority.as_str().contains('@') {
        return Err(bad("invalid_url", "put no user or password in the URL; verify the signature instead"));
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    match (scheme, targets) {
        ("https", _) | ("http", Targets::AnyHttp) => {}
        ("http", Targets::PublicHttps) => return Err(bad("https_required", "webhooks are sent over https only")),
        _ => return Err(bad("invalid_url", "not an absolute http(s) URL")),
    }
    if targets == Targets::PublicHttps && is_local(host) {
        return Err(bad("local_address", "a webhook goes to a public host, not a local or private address"));
    }
    Ok(url.to_owned())
}

/// A host that names this machine or a private network.
fn is_local(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") || host.ends_with(".internal") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(is_local_address)
}

/// An address of this machine or of a private network (loopback, private, link-local, unique
/// local, unspecified, broadcast; an IPv4 address mapped into IPv6 as itself).
pub fn is_local_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast()
        }
        IpAddr::V6(ip) => {
            let segment = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (segment & 0xfe00) == 0xfc00
                || (segment & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(|v4| is_local_address(IpAddr::V4(v4)))
        }
    }
}

/// Name resolution for public receivers: a name that resolves only to local or private
/// addresses is refused when it is sent to, not only when it is registered — a public name can
/// be pointed at an inner address later.
pub struct PublicAddressesOnly;

impl actix_tls::connect::Resolve for PublicAddressesOnly {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> futures_util::future::LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn std::error::Error>>> {
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| !is_local_address(a.ip())).collect();
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

    #[test]
    fn public_https_only_by_default() {
        let ok = |u: &str| check_url(u, Targets::PublicHttps).map_err(|e| e.code);
        assert_eq!(
            ok("https://hr.example.go.id/hooks/kinerja").as_deref(),
            Ok("https://hr.example.go.id/hooks/kinerja")
        );
        assert_eq!(ok("http://hr.example.go.id/h").err().as_deref(), Some("https_required"));
        for local in [
            "https://localhost/h",
            "https://127.0.0.1:8443/h",
            "https://10.1.2.3/h",
            "https://192.168.0.9/h",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/h",
            "https://[fd00::1]/h",
            "https://[::ffff:10.0.0.1]/h",
            "https://0.0.0.0/h",
        ] {
            assert_eq!(ok(local).err().as_deref(), Some("local_address"), "{local}");
        }
        assert_eq!(ok("ftp://example.com/").err().as_deref(), Some("invalid_url"));
        assert_eq!(ok("/relative").err().as_deref(), Some("invalid_url"));
        assert_eq!(ok("https://user:pw@example.com/").err().as_deref(), Some("invalid_url"));
        assert_eq!(ok("").err().as_deref(), Some("invalid_length"));
    }

    /// A name that resolves only to this machine is refused when sent to.
    #[test]
    fn a_name_resolving_to_a_local_address_is_not_connected_to() {
        use actix_tls::connect::Resolve;
        let looked_up = actix_web::rt::System::new()
            .block_on(async { PublicAddressesOnly.lookup("localhost", 443).await.map_err(|e| e.to_string()) });
        assert_eq!(looked_up.err().as_deref(), Some("localhost resolves to no public address"));
        for local in ["10.0.0.1", "127.0.0.1", "169.254.169.254", "::1", "fd00::1", "::ffff:192.168.1.1"] {
            assert!(is_local_address(local.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))), "{local}");
        }
        assert!(!is_local_address(IpAddr::from([203, 0, 113, 7])));
    }

    #[test]
    fn development_allows_local_http() {
        assert!(check_url("http://127.0.0.1:9000/hook", Targets::AnyHttp).is_ok());
        assert!(check_url("http://localhost:9000/hook", Targets::AnyHttp).is_ok());
    }
}
