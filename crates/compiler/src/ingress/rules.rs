//! `spec.rules` and backends of one Ingress: hosts, paths, path types, Service references.

use k8s_openapi::api::networking::v1::{IngressBackend, IngressRule};
use portico_model::{Diagnostic, PathType};

use super::{PathRule, PortRef, Rule, ServiceRef, Spot};
use crate::host::parse_rule_host;

/// Extracts every rule whose host is valid, and every usable path of it. `use_regex` (the
/// Ingress's own `use-regex`) lifts the leading-`/` requirement on paths.
pub(super) fn extract_rules(
    rules: &[IngressRule],
    use_regex: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Rule> {
    let mut out = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let host = match rule.host.as_deref() {
            None | Some("") => None,
            Some(raw) => match parse_rule_host(raw) {
                Ok(host) => Some(host),
                Err(why) => {
                    diagnostics.push(
                        Diagnostic::error(format!("{why}; rule skipped"))
                            .with_field(format!("spec.rules[{i}].host")),
                    );
                    continue;
                }
            },
        };
        let http_paths = rule.http.as_ref().map(|http| http.paths.as_slice()).unwrap_or_default();
        // Sized up front: `collect` over `filter_map` would grow to 4, 8, 16... and the
        // extraction lives as long as the Ingress is loaded.
        let mut paths = Vec::with_capacity(http_paths.len());
        paths.extend(http_paths.iter().enumerate().filter_map(|(j, p)| {
            let path = p.path.as_deref().filter(|p| !p.is_empty()).unwrap_or("/");
            extract_path(path, &p.path_type, &p.backend, use_regex, Spot::path(i, j), diagnostics)
        }));
        out.push(Rule { host, paths });
    }
    out
}

/// One path, or `None` with a diagnostic when it cannot be served.
fn extract_path(
    path: &str,
    path_type: &str,
    backend: &IngressBackend,
    use_regex: bool,
    field: Spot,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<PathRule> {
    let path_type = match path_type {
        "Exact" => PathType::Exact,
        "Prefix" => PathType::Prefix,
        // A missing pathType is Prefix-like in ingress-nginx, as ImplementationSpecific is.
        "ImplementationSpecific" | "" => PathType::ImplementationSpecific,
        other => {
            diagnostics.push(
                Diagnostic::error(format!(
                    "unknown pathType {other:?} (Exact, Prefix or ImplementationSpecific); path skipped"
                ))
                .with_field(format!("{field}.pathType")),
            );
            return None;
        }
    };
    if !path.starts_with('/') && !use_regex {
        diagnostics.push(
            Diagnostic::error(format!("path {path:?} must start with `/`; path skipped"))
                .with_field(format!("{field}.path")),
        );
        return None;
    }
    let backend = service_ref(backend, field, diagnostics)?;
    Some(PathRule { path: path.to_string(), path_type, backend, field })
}

/// The Service reference of `backend` (of the path or default backend `at`), or `None` with a
/// diagnostic: `resource:` backends are not supported, and a Service needs a name and a port.
pub(super) fn service_ref(
    backend: &IngressBackend,
    at: Spot,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ServiceRef> {
    let mut fail = |message: &str, suffix: &str| {
        let field = format!("{}{suffix}", at.backend_field());
        diagnostics.push(Diagnostic::error(message.to_string()).with_field(field));
        None
    };
    if backend.service.is_none() && backend.resource.is_some() {
        return fail(
            "resource backends are not supported by Portico; only Service backends are served",
            ".resource",
        );
    }
    let Some(service) = &backend.service else {
        return fail("backend has no service", "");
    };
    if service.name.is_empty() {
        return fail("backend service has no name", ".service.name");
    }
    let port = service.port.as_ref();
    let port = match (port.and_then(|p| p.number), port.and_then(|p| p.name.as_deref())) {
        (Some(number), _) if (1..=65535).contains(&number) => PortRef::Number(number),
        (Some(number), _) => {
            return fail(&format!("port number {number} out of range"), ".service.port.number")
        }
        (None, Some(name)) if !name.is_empty() => PortRef::Name(name.to_string()),
        _ => return fail("backend service needs port.number or port.name", ".service.port"),
    };
    Some(ServiceRef { service: service.name.clone(), port, at })
}
