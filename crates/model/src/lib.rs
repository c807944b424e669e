//! Portico's own routing model: the immutable table the proxy serves from.
//!
//! The compiler turns Kubernetes objects into a [`RouteTable`]; the router, balancer and proxy read
//! only these types. Nothing here knows about Kubernetes API types, and nothing here does I/O.
#![forbid(unsafe_code)]

mod backend;
mod config;
mod diag;
mod filter;
mod policy;
mod render;
mod route;
mod table;

pub use backend::{Backend, BackendId, Endpoint, LbAlgorithm};
pub use config::{ClientLimits, GlobalConfig, HeaderSettings, Hsts, LimitDefaults, RealIp};
pub use diag::{Diagnostic, ObjectRef, Severity};
pub use filter::{
    canonical, AccessRule, AuthCache, CacheRule, ClientAuth, CnPattern, Cors, CorsOrigins,
    CustomErrors, ExternalAuth, Filter, Filters, HeaderEdit, HeaderName, HeaderValue,
    HttpsRedirect, IpNet, Limits, OriginPattern, Part, Phase, RateLimit, Return, RewriteTarget,
    SourceRange, StaticRedirect, Template, Var, VerifyClient,
};
pub use policy::{BasicAuth, LocationPolicy, NextUpstream, Timeouts};
pub use route::{BackendRule, Backends, RequestMatch, ValueMatch, WeightedTarget};
pub use table::{
    HostPattern, Location, PathType, Precedence, RouteTable, Server, Target, TlsSecret,
};
