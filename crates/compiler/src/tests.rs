//! Compiler tests: whole builds from fixture objects, one file per concern.

mod auth;
mod authtls;
mod backends;
mod balancing;
mod canary;
mod class;
mod fixtures;
mod headers;
mod host_tls;
mod hosts;
mod incremental;
mod lifecycle;
mod merge;
mod mirror;
mod passthrough;
mod proxy_ssl;
mod redirects;
mod report;
mod server_policy;
mod service_upstream;
mod tls;
mod unsupported;

use portico_model::{Diagnostic, Server, Target};

use crate::Compiled;

/// The server of `host` (`_` = the default server); panics with the table when missing.
pub fn server<'a>(compiled: &'a Compiled, host: &str) -> &'a Server {
    if host == "_" {
        return &compiled.table.default_server;
    }
    compiled
        .table
        .servers
        .iter()
        .find(|s| s.host.to_string() == host)
        .unwrap_or_else(|| panic!("no server {host} in\n{}", compiled.table))
}

/// The locations of `host`, one line each: `<type> <path> -> <backend|404> (<ingress>)`, with
/// ` [implicit]` for implicit roots.
pub fn routes(compiled: &Compiled, host: &str) -> Vec<String> {
    server(compiled, host)
        .locations
        .iter()
        .map(|l| {
            let target = match l.target() {
                Target::Backend(id) => {
                    compiled.table.backend(id).map_or_else(|| "?".to_string(), |b| b.name.clone())
                }
                Target::NotFound => "404".to_string(),
            };
            let owner = l.ingress.as_ref().map_or("-".to_string(), |i| i.name.clone());
            let implicit = if l.implicit { " [implicit]" } else { "" };
            format!("{} {} -> {target} ({owner}){implicit}", l.path_type.as_str(), l.path)
        })
        .collect()
}

/// Diagnostics as displayed.
pub fn messages(compiled: &Compiled) -> Vec<String> {
    compiled.diagnostics.iter().map(Diagnostic::to_string).collect()
}

/// The one diagnostic containing `needle`; panics listing all when there is not exactly one.
pub fn one_diagnostic<'a>(compiled: &'a Compiled, needle: &str) -> &'a Diagnostic {
    let found: Vec<_> =
        compiled.diagnostics.iter().filter(|d| d.to_string().contains(needle)).collect();
    assert_eq!(found.len(), 1, "diagnostics containing {needle:?}: {:#?}", messages(compiled));
    found[0]
}
