//! Portico's own routing model: the immutable table the proxy serves from.
//!
//! The compiler turns Kubernetes objects into a [`RouteTable`]; the router, balancer and proxy read
//! only these types. Nothing here knows about Kubernetes API types, and nothing here does I/O.
#![forbid(unsafe_code)]

mod backend;
mod balancing;
mod compression;
mod config;
mod diag;
mod filter;
mod log_format;
mod mirror;
mod policy;
mod render;
mod route;
mod table;
mod telemetry;
mod tls_settings;
mod upstream;
pub mod vars;

pub use backend::{Backend, BackendId, Endpoint, LbAlgorithm};
pub use balancing::{
    AffinityCookie, AffinityMode, Balancing, CookieAffinity, HashBy, HashPart, HashVar,
};
pub use compression::{types as compression_types, Codec, Compression};
pub use config::{ClientLimits, GlobalConfig, HeaderSettings, Hsts, LimitDefaults, RealIp};
pub use diag::{Diagnostic, ObjectRef, Severity};
pub use filter::{
    canonical, AccessRule, AuthCache, CacheRule, ClientAuth, CnPattern, Cors, CorsOrigins,
    CustomErrors, ExternalAuth, Filter, Filters, HeaderEdit, HeaderName, HeaderValue,
    HttpsRedirect, IpNet, Limits, OriginPattern, Part, Phase, RateLimit, RedirectStyle, Return,
    RewriteTarget, SourceRange, StaticRedirect, Template, Var, VerifyClient,
};
pub use log_format::{AccessLogSettings, LogFormat, LogPart, LogVar, NginxLog, UPSTREAMINFO};
pub use mirror::Mirror;
pub use policy::{BasicAuth, LocationPolicy, NextUpstream, RequestBodyPolicy, Timeouts};
pub use route::{BackendRule, Backends, RequestMatch, ValueMatch, WeightedTarget};
pub use table::{
    HostPattern, Location, PathType, Precedence, RouteTable, Server, Target, TlsSecret,
};
pub use telemetry::{LocationTracing, RootSampler, Sampler, TracingSettings, OTLP_HTTP_PORT};
pub use tls_settings::{HostTls, TlsSettings, DEFAULT_TLS12_SUITES};
pub use upstream::{
    ClientCert, ConnectionHeader, Replace, ResponseRewrite, TlsVersions, Upstream,
    UpstreamProtocol, UpstreamTls, DEFAULT_PROXY_SSL_NAME,
};
