//! Human-readable rendering of a table, as `portico check` prints it.

use std::fmt;

use crate::{AffinityMode, Balancing, RouteTable, Server, Target};

impl fmt::Display for RouteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for server in self.servers.iter().chain(std::iter::once(&self.default_server)) {
            render_server(f, self, server)?;
        }
        for backend in &self.backends {
            write!(f, "backend {} ({})", backend.name, backend.algorithm.as_str())?;
            render_balancing(f, &backend.balancing)?;
            if backend.endpoints.is_empty() {
                let why = backend.unavailable.as_deref().unwrap_or("no ready endpoints");
                writeln!(f, ": unavailable, {why}")?;
            } else {
                let eps: Vec<String> = backend.endpoints.iter().map(|e| e.to_string()).collect();
                writeln!(f, ": {}", eps.join(", "))?;
            }
        }
        if let Some(tls) = &self.default_certificate {
            writeln!(f, "default certificate {}/{}", tls.secret.namespace, tls.secret.name)?;
        }
        Ok(())
    }
}

/// Affinity and hashing, which take precedence over the algorithm shown before them.
fn render_balancing(f: &mut fmt::Formatter<'_>, balancing: &Balancing) -> fmt::Result {
    if let Some(affinity) = &balancing.affinity {
        let mode = match affinity.mode {
            AffinityMode::Balanced => "balanced",
            AffinityMode::Persistent => "persistent",
        };
        write!(f, " [affinity cookie {} {mode}]", affinity.cookie.name)?;
    } else if let Some(hash_by) = &balancing.hash_by {
        write!(f, " [upstream-hash-by {}", hash_by.source)?;
        if let Some(size) = hash_by.subset {
            write!(f, " subset {size}")?;
        }
        write!(f, "]")?;
    }
    Ok(())
}

fn render_server(f: &mut fmt::Formatter<'_>, table: &RouteTable, server: &Server) -> fmt::Result {
    write!(f, "server {}", server.host)?;
    if server.regex_mode {
        write!(f, " [regex]")?;
    }
    match &server.certificate {
        Some(tls) => write!(f, " [tls {}/{}]", tls.secret.namespace, tls.secret.name)?,
        None if server.has_certificate => write!(f, " [tls default-certificate]")?,
        None => {}
    }
    if let Some(root) = &server.app_root {
        write!(f, " [app-root {root}]")?;
    }
    if let Some(id) = server.passthrough {
        let backend = table.backend(id).map_or("?", |b| b.name.as_str());
        write!(f, " [ssl-passthrough {backend}]")?;
    }
    if let Some(suites) = &server.tls.tls12_suites {
        write!(f, " [ssl-ciphers {}]", suites.join(":"))?;
    }
    if let Some(prefer) = server.tls.prefer_server_ciphers {
        write!(f, " [ssl-prefer-server-ciphers {}]", if prefer { "on" } else { "off" })?;
    }
    writeln!(f)?;
    for location in &server.locations {
        let name = |target: Target| match target {
            Target::Backend(id) => table.backend(id).map_or("?", |b| b.name.as_str()),
            Target::NotFound => "404",
        };
        write!(
            f,
            "  {} {} -> {}",
            location.path_type.as_str(),
            location.path,
            name(location.target())
        )?;
        if let Some(ingress) = &location.ingress {
            write!(f, " (ingress {}/{})", ingress.namespace, ingress.name)?;
        }
        write_alternatives(f, &location.backends, name)?;
        if location.implicit {
            write!(f, " [implicit]")?;
        }
        if location.policy.denied.is_some() {
            write!(f, " [denied]")?;
        }
        write_upstream(f, &location.policy.upstream)?;
        if let Some(mirror) = &location.policy.mirror {
            let body = if mirror.request_body { "" } else { " no-body" };
            write!(f, " [mirror {} host {}{body}]", mirror.target.raw, mirror.host.raw)?;
        }
        for filter in location.policy.filters.iter() {
            write_filter(f, filter)?;
        }
        writeln!(f)?;
    }
    Ok(())
}

/// The protocol, TLS and Host toward the backend when they differ from plain HTTP/1.1.
fn write_upstream(f: &mut impl std::fmt::Write, upstream: &crate::Upstream) -> std::fmt::Result {
    if upstream.protocol != crate::UpstreamProtocol::Http {
        write!(f, " [{}]", upstream.protocol.as_str())?;
    }
    if let Some(tls) = &upstream.tls {
        let verify = if tls.verify { "verify" } else { "no-verify" };
        write!(f, " [proxy-ssl {} {verify} name {}", tls.secret, tls.name)?;
        if tls.server_name {
            write!(f, " sni")?;
        }
        if tls.client_cert.is_some() {
            write!(f, " client-cert")?;
        }
        write!(f, "]")?;
    }
    if let Some(vhost) = &upstream.vhost {
        write!(f, " [upstream-vhost {vhost}]")?;
    }
    Ok(())
}

/// A location's canaries: each alternative target with its weight and the rules choosing it.
fn write_alternatives<'t>(
    f: &mut impl std::fmt::Write,
    backends: &crate::Backends,
    name: impl Fn(Target) -> &'t str,
) -> std::fmt::Result {
    let total = backends.total_weight();
    for (i, alt) in backends.targets().iter().enumerate().skip(1) {
        write!(f, " [canary {}", name(alt.target))?;
        if total > 0 && alt.weight > 0 {
            write!(f, " weight {}/{total}", alt.weight)?;
        }
        for rule in backends.rules().iter().filter(|r| r.choose == i) {
            write!(f, " if {}", rule.when)?;
        }
        let never: Vec<String> =
            backends.rules().iter().filter(|r| r.choose == 0).map(|r| r.when.to_string()).collect();
        if !never.is_empty() {
            write!(f, " unless {}", never.join(", "))?;
        }
        write!(f, "]")?;
    }
    Ok(())
}

/// One filter as `portico check` shows it on its location's line: what it does, briefly.
fn write_filter(f: &mut impl std::fmt::Write, filter: &crate::Filter) -> std::fmt::Result {
    use crate::Filter;
    let nets = |nets: &[crate::IpNet]| nets.iter().map(ToString::to_string).collect::<Vec<_>>();
    match filter {
        Filter::SourceRange(range) => {
            if !range.allow.is_empty() {
                write!(f, " [allow {}]", nets(&range.allow).join(","))?;
            }
            if !range.deny.is_empty() {
                write!(f, " [deny {}]", nets(&range.deny).join(","))?;
            }
            Ok(())
        }
        Filter::AccessRules(rules) => write!(f, " [snippet allow/deny x{}]", rules.len()),
        Filter::Return(ret) => write!(f, " [return {}]", ret.status),
        Filter::Redirect(to) => write!(f, " [redirect {} {}]", to.status, to.url),
        Filter::RelativeRedirects => write!(f, " [relative-redirects]"),
        Filter::PortInRedirects => write!(f, " [use-port-in-redirects]"),
        Filter::CustomErrors(errors) => write!(f, " [custom-http-errors {:?}]", errors.codes),
        Filter::Rewrite(rewrite) => write!(f, " [rewrite {}]", rewrite.target),
        // The default (`ssl-redirect` on hosts with a certificate) is not worth a word.
        Filter::HttpsRedirect(redirect) if redirect.force => write!(f, " [force-ssl-redirect]"),
        Filter::HttpsRedirect(_) => Ok(()),
        Filter::UpstreamHeaders(sets) => write!(f, " [proxy_set_header x{}]", sets.len()),
        Filter::ResponseHeaders(edits) => write!(f, " [response headers x{}]", edits.len()),
        Filter::CorsPreflight(_) => write!(f, " [cors]"),
        Filter::CorsHeaders(_) => Ok(()),
        Filter::Limits(limits) => {
            for (name, value) in
                [("rps", limits.rps), ("rpm", limits.rpm), ("connections", limits.connections)]
            {
                if value > 0 {
                    write!(f, " [limit-{name} {value}]")?;
                }
            }
            Ok(())
        }
        Filter::RateLimit(rate) => write!(f, " [limit-rate {}B/s]", rate.bytes_per_second),
        Filter::BasicAuth(_) => write!(f, " [auth]"),
        Filter::ExternalAuth(auth) => write!(f, " [auth-url {}]", auth.url.raw),
        Filter::ClientCert(auth) => write!(f, " [auth-tls {}]", auth.secret),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use std::sync::Arc;

    use crate::{
        BasicAuth, Filter, HostPattern, Limits, Location, LocationPolicy, PathType, RouteTable,
        Server, SourceRange, Target,
    };

    #[test]
    fn a_location_line_names_its_filters() {
        let mut policy = LocationPolicy::default();
        policy.filters.set(Filter::SourceRange(Arc::new(SourceRange {
            allow: vec!["10.0.0.0/8".parse().unwrap()],
            deny: vec![],
        })));
        policy.filters.set(Filter::Limits(Arc::new(Limits {
            rps: 10,
            rpm: 0,
            burst_multiplier: 5,
            connections: 2,
            allow: vec![],
            req_status: 503,
            conn_status: 503,
        })));
        let basic = BasicAuth {
            realm: String::new(),
            secret_version: String::new(),
            users: Default::default(),
        };
        policy.filters.set(Filter::BasicAuth(Arc::new(basic)));
        let location = Location {
            path: "/".into(),
            path_type: PathType::Prefix,
            backends: crate::Backends::single(Target::NotFound),
            policy: Arc::new(policy),
            ingress: None,
            implicit: false,
            order: 0,
        };
        let server = Server {
            host: HostPattern::Exact("a.test".into()),
            locations: vec![location],
            ..Server::default()
        };
        let table = RouteTable { servers: vec![server], ..RouteTable::default() };
        let text = table.to_string();
        let line = text.lines().find(|l| l.contains("Prefix /")).unwrap();
        assert!(
            line.ends_with("[limit-rps 10] [limit-connections 2] [allow 10.0.0.0/8] [auth]"),
            "in phase order: {line}"
        );
    }
}
