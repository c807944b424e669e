//! The hyper-based reverse proxy: request phases, routing snapshot, upstream pool, forwarding.
//!
//! A [`Proxy`] serves client connections from the live [`Snapshot`] (swapped whole, read
//! lock-free). Each request runs the phases of [`phases`] in the order of the spec's §1.7;
//! failures are [`ProxyError`]s mapped to nginx-like pages in one place. Bodies stream both
//! ways; upstream HTTP/1.1 connections are pooled per endpoint address.
#![forbid(unsafe_code)]

mod access_log;
mod affinity;
mod body;
mod config;
mod conn;
mod drain;
mod error;
mod error_pages;
mod filters;
mod forwarded;
mod headers;
mod mirror;
mod passthrough;
pub mod phases;
mod request_id;
mod request_metrics;
mod resolve;
mod response_rewrite;
mod retire;
mod rounds;
mod server;
mod snapshot;
mod snapshot_reuse;
mod table_metrics;
mod telemetry;
mod tls;
mod upgrade;
mod upstream;
pub mod workers;

pub use access_log::{writer as log_writer, ACCESS_LOG_TARGET};
pub use body::{BodyError, RequestBody, ResponseBody};
pub use config::{ConnInfo, ProxyConfig};
pub use error::ProxyError;
pub use resolve::{DnsSettings, Resolver};
pub use server::Proxy;
pub use snapshot::Snapshot;
pub use workers::{Listeners, Workers};
