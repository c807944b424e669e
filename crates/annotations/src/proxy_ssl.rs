//! TLS toward the backend (ingress-nginx `annotations/proxyssl/main.go`).
//!
//! Everything hangs on `proxy-ssl-secret` (`namespace/name` of a Secret with `tls.crt` +
//! `tls.key` and/or `ca.crt`): without it the other `proxy-ssl-*` annotations are ignored (with
//! a warning), as ingress-nginx's parser stops there. The Secret itself is read by the
//! compiler, which denies the locations (503) when it is missing, in another namespace
//! (unless `allow-cross-namespace-resources`) or holds neither a key pair nor a CA.
//!
//! Outcomes follow ingress-nginx: a secret value with other characters is a validation error
//! (the Ingress is not loaded); a secret not written `namespace/name` denies the locations;
//! bad ciphers, protocols, name, verify, depth or server-name fall back to their defaults
//! (`DEFAULT`, `TLSv1.2`, none, `off`, `1`, `off`) with a warning.

use portico_model::TlsVersions;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::IngressAnnotations;

mod ciphers;

pub use ciphers::{parse_ciphers, RUSTLS_TLS12_CIPHERS};

/// `proxy-ssl-*` from annotations, before the Secret is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySslRequest {
    pub secret_namespace: String,
    pub secret_name: String,
    pub verify: bool,
    /// >= 1.
    pub verify_depth: u32,
    /// `proxy-ssl-name`, when set.
    pub name: Option<String>,
    pub server_name: bool,
    pub versions: TlsVersions,
    /// OpenSSL names of the TLS 1.2 suites to offer; empty = rustls' defaults.
    pub ciphers: Vec<String>,
}

const OTHERS: [&str; 6] = [
    "proxy-ssl-verify",
    "proxy-ssl-verify-depth",
    "proxy-ssl-name",
    "proxy-ssl-server-name",
    "proxy-ssl-protocols",
    "proxy-ssl-ciphers",
];

const ON_OFF: Validator = Validator { describe: "on or off", check: check_on_off };

const fn spec(
    name: &'static str,
    validator: Validator,
    risk: Risk,
    on_invalid: OnInvalid,
    doc: &'static str,
) -> AnnotationSpec {
    AnnotationSpec::new(name, ValueKind::String, validator, Scope::Ingress, risk, doc)
        .on_invalid(on_invalid)
}

pub(crate) const SPECS: &[AnnotationSpec] = &[
    spec(
        "proxy-ssl-secret",
        Validator { describe: "namespace/name (regex ^[-/._~:a-zA-Z0-9]*$)", check: check_secret },
        Risk::Medium,
        OnInvalid::Fatal,
        "Secret with tls.crt/tls.key (client certificate to the backend) and/or ca.crt (trusted \
         for proxy-ssl-verify); the other proxy-ssl-* need it. Unusable Secret: 503.",
    ),
    spec(
        "proxy-ssl-verify",
        ON_OFF,
        Risk::Low,
        OnInvalid::Default,
        "Verify the backend certificate against ca.crt (default off: any certificate).",
    ),
    spec(
        "proxy-ssl-verify-depth",
        Validator { describe: "integer >= 0 (0 means 1)", check: check_depth },
        Risk::Low,
        OnInvalid::Default,
        "Intermediate certificates allowed in the backend chain (default 1).",
    ),
    spec(
        "proxy-ssl-name",
        Validator { describe: "server name", check: check_name },
        Risk::High,
        OnInvalid::Default,
        "Name the backend certificate is verified against and sent as SNI (default \
         upstream_balancer, as ingress-nginx).",
    ),
    spec(
        "proxy-ssl-server-name",
        ON_OFF,
        Risk::Low,
        OnInvalid::Default,
        "Send SNI to the backend (default off).",
    ),
    spec(
        "proxy-ssl-protocols",
        Validator { describe: "TLSv1.2 and/or TLSv1.3, space-separated", check: check_protocols },
        Risk::Low,
        OnInvalid::Default,
        "TLS versions offered to the backend (default TLSv1.2).",
    ),
    spec(
        "proxy-ssl-ciphers",
        Validator {
            describe: "OpenSSL cipher list (regex ^[A-Za-z0-9+:_\\-!]*$)",
            check: check_ciphers,
        },
        Risk::Medium,
        OnInvalid::Default,
        "TLS 1.2 ciphers offered to the backend; names rustls does not implement are ignored \
         with a warning.",
    ),
];

/// Applies the family onto `out.proxy_ssl`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    out.proxy_ssl = parse(ctx);
}

fn parse(ctx: &mut Ctx<'_>) -> Option<Result<ProxySslRequest, String>> {
    let secret = match ctx.try_value("proxy-ssl-secret") {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            for name in OTHERS {
                if ctx.is_present(name) {
                    ctx.warn(name, "ignored: proxy-ssl-secret is not set (as ingress-nginx)");
                }
            }
            return None;
        }
        Err(_) => return None, // validation error: the Ingress is not loaded
    };
    let (secret_namespace, secret_name) = match secret.split('/').collect::<Vec<_>>()[..] {
        [namespace, name] if !namespace.is_empty() && !name.is_empty() => {
            (namespace.to_string(), name.to_string())
        }
        _ => {
            let reason = format!("proxy-ssl-secret {secret:?} is not namespace/name");
            ctx.error(
                "proxy-ssl-secret",
                format!("{reason}; every path of this Ingress answers 503"),
            );
            return Some(Err(reason));
        }
    };
    Some(Ok(ProxySslRequest {
        secret_namespace,
        secret_name,
        verify: ctx.value("proxy-ssl-verify") == Some("on"),
        verify_depth: depth(ctx),
        name: ctx.value("proxy-ssl-name").map(str::to_string),
        server_name: ctx.value("proxy-ssl-server-name") == Some("on"),
        versions: ctx.value("proxy-ssl-protocols").map_or(TLS12_ONLY, parse_protocols),
        ciphers: ciphers(ctx),
    }))
}

/// ingress-nginx's default `proxy-ssl-protocols`.
const TLS12_ONLY: TlsVersions = TlsVersions { tls12: true, tls13: false };

fn depth(ctx: &mut Ctx<'_>) -> u32 {
    match ctx.value("proxy-ssl-verify-depth").and_then(|v| v.parse::<u32>().ok()) {
        Some(0) | None => 1,
        Some(depth) => depth,
    }
}

fn ciphers(ctx: &mut Ctx<'_>) -> Vec<String> {
    let Some(v) = ctx.value("proxy-ssl-ciphers") else { return Vec::new() };
    let (known, unknown) = parse_ciphers(v);
    if !unknown.is_empty() {
        let using =
            if known.is_empty() { "rustls' default suites".to_string() } else { known.join(":") };
        ctx.warn(
            "proxy-ssl-ciphers",
            format!(
                "cipher(s) {} not offered by Portico (rustls implements {}); using {using}",
                unknown.join(":"),
                RUSTLS_TLS12_CIPHERS.join(":"),
            ),
        );
    }
    known
}

/// A validated `proxy-ssl-protocols` (tokens `TLSv1.2`, `TLSv1.3` and spaces).
fn parse_protocols(value: &str) -> TlsVersions {
    let tls12 = value.split(' ').any(|t| t == "TLSv1.2");
    let tls13 = value.split(' ').any(|t| t == "TLSv1.3");
    if tls12 || tls13 {
        TlsVersions { tls12, tls13 }
    } else {
        TLS12_ONLY
    }
}

fn check_secret(value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-._~:".contains(c);
    match value.chars().all(allowed) {
        true => Ok(()),
        false => Err("only letters, digits and -._~:/ are allowed".to_string()),
    }
}

fn check_on_off(value: &str) -> Result<(), String> {
    match value {
        "on" | "off" => Ok(()),
        _ => Err("must be on or off".to_string()),
    }
}

fn check_depth(value: &str) -> Result<(), String> {
    match value.parse::<i64>() {
        Ok(n) if n < 0 => Err("must not be negative".to_string()),
        Ok(n) if u32::try_from(n).is_err() => Err("too large".to_string()),
        Ok(_) => Ok(()),
        Err(_) => Err("not an integer".to_string()),
    }
}

/// ingress-nginx's `ValidateServerName` (its `IsValidRegex` characters); Portico further needs
/// a name rustls can verify against (a DNS name or an IP address).
fn check_name(value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/:^$[](){}*+?|&=\\".contains(c);
    if !value.chars().all(allowed) {
        return Err("not a server name".to_string());
    }
    let dns = |c: char| c.is_ascii_alphanumeric() || "-._:".contains(c);
    match value.chars().all(dns) {
        true => Ok(()),
        false => Err("not a DNS name or IP address Portico can verify a certificate for".into()),
    }
}

fn check_protocols(value: &str) -> Result<(), String> {
    match value.split(' ').all(|t| t.is_empty() || t == "TLSv1.2" || t == "TLSv1.3") {
        true => Ok(()),
        false => Err("only TLSv1.2 and TLSv1.3 are allowed".to_string()),
    }
}

fn check_ciphers(value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+:_-!".contains(c);
    match value.chars().all(allowed) {
        true => Ok(()),
        false => Err("only letters, digits and +:_-! are allowed".to_string()),
    }
}

#[cfg(test)]
mod tests;
