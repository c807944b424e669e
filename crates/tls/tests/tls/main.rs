//! TLS termination through real handshakes: a tokio-rustls client against [`server_config`]
//! over an in-memory duplex, with certificates from rcgen and from the `openssl` CLI.
//!
//! [`server_config`]: portico_tls::server_config
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod formats;
mod rotation;
mod secrets;
mod sni;
mod support;
