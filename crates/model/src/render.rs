//! Human-readable rendering of a table, as `portico check` prints it.

use std::fmt;

use crate::{RouteTable, Server, Target};

impl fmt::Display for RouteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for server in self.servers.iter().chain(std::iter::once(&self.default_server)) {
            render_server(f, self, server)?;
        }
        for backend in &self.backends {
            write!(f, "backend {} ({})", backend.name, backend.algorithm.as_str())?;
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
    writeln!(f)?;
    for location in &server.locations {
        let target = match location.target {
            Target::Backend(id) => table.backend(id).map_or("?", |b| b.name.as_str()),
            Target::NotFound => "404",
        };
        write!(f, "  {} {} -> {}", location.path_type.as_str(), location.path, target)?;
        if let Some(ingress) = &location.ingress {
            write!(f, " (ingress {}/{})", ingress.namespace, ingress.name)?;
        }
        if location.implicit {
            write!(f, " [implicit]")?;
        }
        if let Some(rewrite) = &location.policy.rewrite_target {
            write!(f, " [rewrite {rewrite}]")?;
        }
        if location.policy.denied.is_some() {
            write!(f, " [denied]")?;
        }
        if location.policy.filters.basic_auth().is_some() {
            write!(f, " [auth]")?;
        }
        if let Some(auth) = location.policy.filters.external_auth() {
            write!(f, " [auth-url {}]", auth.url.raw)?;
        }
        writeln!(f)?;
    }
    Ok(())
}
