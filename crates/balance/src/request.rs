//! What balancers read from a request before picking ([`RequestView`]), and the lookups they
//! share: a cookie by name, a query argument by name, and the `upstream-hash-by` key.
//!
//! Everything here borrows from the request and allocates nothing: the hash key is fed to the
//! hasher part by part (nginx concatenates the parts, so `"ab" + "c"` hashes as `"a" + "bc"`).

use std::fmt::Write as _;
use std::net::IpAddr;

use http::{HeaderMap, Method, Uri};
use portico_model::{vars, HashPart, HashVar};

use crate::hash::mix;

/// The request as a balancer may look at it, before it is rewritten for the upstream.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// The client address after real-IP processing (`$remote_addr`).
    pub client: IpAddr,
    /// The Host as received (port and case kept; `$host` strips and lowercases).
    pub host: &'a str,
    /// The normalized path (`$uri`).
    pub path: &'a str,
    pub scheme: &'a str,
    pub method: &'a Method,
    /// The request-target as received (`$request_uri`, `$args`, `$arg_NAME`).
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
}

/// A streaming 64-bit FNV-1a, finished with splitmix64 so that every key bit spreads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

/// A small stack buffer for formatting an address without allocating.
struct StackText {
    buf: [u8; 64],
    len: usize,
}

// === impl KeyHasher ===

impl KeyHasher {
    pub(crate) fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_byte(b);
        }
    }

    fn write_byte(&mut self, b: u8) {
        self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }

    pub(crate) fn finish(self) -> u64 {
        mix(self.0)
    }
}

/// The hash of `key` as one string.
pub(crate) fn hash_str(key: &str) -> u64 {
    let mut h = KeyHasher::new();
    h.write(key.as_bytes());
    h.finish()
}

/// The hash of the `upstream-hash-by` key of `req`: its parts' values, concatenated.
pub(crate) fn request_hash(parts: &[HashPart], req: &RequestView<'_>) -> u64 {
    let mut h = KeyHasher::new();
    for part in parts {
        match part {
            HashPart::Text(text) => h.write(text.as_bytes()),
            HashPart::Var(var) => write_var(&mut h, var, req),
        }
    }
    h.finish()
}

fn write_var(h: &mut KeyHasher, var: &HashVar, req: &RequestView<'_>) {
    match var {
        HashVar::RequestUri => {
            h.write(req.uri.path_and_query().map_or(req.uri.path(), |pq| pq.as_str()).as_bytes())
        }
        HashVar::Uri => h.write(req.path.as_bytes()),
        HashVar::Args => h.write(req.uri.query().unwrap_or("").as_bytes()),
        HashVar::RemoteAddr => {
            let mut text = StackText { buf: [0; 64], len: 0 };
            if write!(text, "{}", req.client.to_canonical()).is_ok() {
                h.write(text.as_bytes());
            }
        }
        HashVar::BinaryRemoteAddr => match req.client.to_canonical() {
            IpAddr::V4(v4) => h.write(&v4.octets()),
            IpAddr::V6(v6) => h.write(&v6.octets()),
        },
        HashVar::Host => host_without_port(req.host).bytes().for_each(|b| {
            h.write_byte(b.to_ascii_lowercase());
        }),
        HashVar::Scheme => h.write(req.scheme.as_bytes()),
        HashVar::Method => h.write(req.method.as_str().as_bytes()),
        HashVar::Header(name) => {
            if let Some(value) = req.headers.get(name.as_str()) {
                h.write(value.as_bytes());
            }
        }
        HashVar::Cookie(name) => h.write(vars::cookie(req.headers, name).unwrap_or_default()),
        HashVar::Arg(name) => {
            h.write(req.uri.query().and_then(|q| vars::arg(q, name)).unwrap_or_default())
        }
        HashVar::Empty => {}
    }
}

/// `example.com:8080` → `example.com`; `[::1]:80` → `[::1]`.
fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.split(':').next().unwrap_or(host)
}

/// The value of cookie `name` as lua-resty-cookie reads it for the affinity cookie (first
/// occurrence, name compared exactly, value trimmed); `$cookie_NAME` in hash keys is nginx's
/// ([`portico_model::vars::cookie`]).
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim_start().split_once('=')?;
            (key.trim_end() == name).then(|| value.trim())
        })
}

// === impl StackText ===

impl StackText {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cookies_by_name() {
        let h = headers(&[("cookie", "a=1; INGRESSCOOKIE=k|b ;c=3"), ("cookie", "d=4")]);
        assert_eq!(cookie(&h, "INGRESSCOOKIE"), Some("k|b"));
        assert_eq!(cookie(&h, "c"), Some("3"));
        assert_eq!(cookie(&h, "d"), Some("4"));
        assert_eq!(cookie(&h, "ingresscookie"), None);
        assert_eq!(cookie(&HeaderMap::new(), "a"), None);
    }

    #[test]
    fn host_port_is_stripped() {
        assert_eq!(host_without_port("Example.com:8080"), "Example.com");
        assert_eq!(host_without_port("[::1]:80"), "[::1]");
        assert_eq!(host_without_port("h"), "h");
    }

    #[test]
    fn concatenation_hashes_as_one_string() {
        let uri: Uri = "/a?q=1".parse().unwrap();
        let h = headers(&[("x-user", "bob")]);
        let req = RequestView {
            client: "10.0.0.1".parse().unwrap(),
            host: "Foo.com:80",
            path: "/a",
            scheme: "http",
            method: &Method::GET,
            uri: &uri,
            headers: &h,
        };
        let parts = [
            HashPart::Var(HashVar::RequestUri),
            HashPart::Text("-".into()),
            HashPart::Var(HashVar::Host),
            HashPart::Var(HashVar::Header("x-user".into())),
            HashPart::Var(HashVar::RemoteAddr),
            HashPart::Var(HashVar::Empty),
        ];
        assert_eq!(request_hash(&parts, &req), hash_str("/a?q=1-foo.combob10.0.0.1"));
        let other = [HashPart::Var(HashVar::Arg("Q".into()))];
        assert_eq!(request_hash(&other, &req), hash_str("1"));
    }
}
