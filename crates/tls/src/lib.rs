//! TLS termination: the certificate each host is served, chosen by SNI, and the rustls server
//! configuration of the https listener (spec §3).
//!
//! - [`CertStore::build`] parses the Secrets a routing table assigns to hosts (once per
//!   Secret), checks key and host coverage, and reports bad Secrets as diagnostics; such hosts
//!   get the default certificate (§3.1).
//! - [`SniResolver`] serves the current store to handshakes: exact host, one-label wildcard,
//!   default (§3.2). [`SniResolver::swap`] installs the next table's store without locks.
//! - [`server_config`]: TLS 1.2/1.3, ALPN `h2`/`http/1.1`, session resumption (§3.3).
//!
//! - [`ClientAuthStore`]: per host, the handshake configuration asking for client
//!   certificates (`auth-tls-*`) and their verification against the host's CA.
//! - [`HostConfigs`]: per host, the handshake configuration of hosts with their own
//!   `ssl-ciphers` / `ssl-prefer-server-ciphers` (and no client certificates).
//!
//! - [`upstream_client_config`]: TLS toward backends (`backend-protocol: HTTPS`, `proxy-ssl-*`).
//!
//! Only the `ring` crypto provider is used. No I/O here besides what `tokio-rustls` does for
//! the caller.
#![forbid(unsafe_code)]

mod client_auth;
mod config;
mod error;
mod fake;
mod host_configs;
mod names;
mod resolver;
mod secret;
mod sessions;
mod sni_map;
mod store;
mod upstream;

pub use crate::client_auth::{
    check_client_ca, ClientAuthStore, ClientCaError, ClientVerifier, PeerCert, Verification,
};
pub use crate::config::{server_config, server_config_with, ALPN_PROTOCOLS, SESSION_CACHE_SIZE};
pub use crate::error::{Error, SecretError};
pub use crate::fake::{fake_certificate, FAKE_CERT_CN, FAKE_CERT_ORG, FAKE_CERT_SAN};
pub use crate::host_configs::HostConfigs;
pub use crate::resolver::SniResolver;
pub use crate::secret::{secret_covers, secret_names, SecretNames, MAX_CHAIN_LEN, MAX_PEM_BYTES};
pub use crate::store::{check_secret, CertStore};
pub use crate::upstream::{
    check_upstream_tls, upstream_client_config, upstream_server_name, UpstreamTlsError,
};

/// The rustls and tokio-rustls this crate is built against, so callers use the same versions
/// (and the same single crypto provider).
pub use rustls;
pub use tokio_rustls;
