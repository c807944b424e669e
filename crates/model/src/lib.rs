//! Portico's own routing model: the immutable table the proxy serves from.
//!
//! The compiler turns Kubernetes objects into a [`RouteTable`]; the router, balancer and proxy read
//! only these types. Nothing here knows about Kubernetes API types, and nothing here does I/O.
#![forbid(unsafe_code)]

mod backend;
mod compression;
mod config;
mod diag;
mod filter;
mod log_format;
mod policy;
mod render;
mod table;
mod tls_settings;

pub use backend::{Backend, BackendId, Endpoint, LbAlgorithm};
pub use compression::{types as compression_types, Codec, Compression};
pub use config::{ClientLimits, GlobalConfig, Hsts, LimitDefaults, RealIp};
pub use diag::{Diagnostic, ObjectRef, Severity};
pub use filter::{
    canonical, AccessRule, AuthCache, CacheRule, ClientAuth, CnPattern, Cors, CorsOrigins,
    ExternalAuth, Filter, Filters, HeaderEdit, HeaderName, HeaderValue, IpNet, Limits,
    OriginPattern, Part, Phase, RateLimit, Return, SourceRange, Template, Var, VerifyClient,
};
pub use log_format::{AccessLogSettings, LogFormat, LogPart, LogVar, NginxLog, UPSTREAMINFO};
pub use policy::{BasicAuth, LocationPolicy, NextUpstream, RequestBodyPolicy, Timeouts};
pub use table::{HostPattern, Location, PathType, RouteTable, Server, Target, TlsSecret};
pub use tls_settings::{TlsSettings, DEFAULT_TLS12_SUITES};
