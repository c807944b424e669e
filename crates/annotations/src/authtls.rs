//! Client-certificate authentication (ingress-nginx `annotations/authtls/main.go`):
//! `auth-tls-secret` (`namespace/name` of a Secret with `ca.crt`, optionally `ca.crl`) turns it
//! on; `auth-tls-verify-client`, `-verify-depth`, `-error-page`,
//! `-pass-certificate-to-upstream` and `-match-cn` tune it and do nothing without it.
//!
//! Outcomes follow ingress-nginx's parser: a secret value with other characters, an invalid
//! error page, pass-certificate or match-cn is a validation error (Ingress not loaded); a
//! secret not written `namespace/name` denies the locations (503); an invalid verify-client
//! or depth falls back to `on` / `1` with a warning. The Secret itself is read by the compiler.

use std::sync::LazyLock;

use portico_model::{CnPattern, VerifyClient};
use regex::Regex;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::{value, IngressAnnotations};

/// A client-certificate request from annotations, before the Secret is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthTlsRequest {
    /// The namespace of `auth-tls-secret` (`None`: written `/name`, the Ingress's own).
    pub secret_namespace: Option<String>,
    pub secret_name: String,
    pub verify: VerifyClient,
    /// `auth-tls-verify-depth`, at least 1.
    pub depth: u32,
    pub error_page: Option<String>,
    pub pass_certificate: bool,
    pub match_cn: Option<CnPattern>,
}

/// ingress-nginx's `redirectRegex`: `@name`, or an optional `scheme://host:port` and a path.
static REDIRECT: LazyLock<Regex> = LazyLock::new(|| {
    static_regex(r"^(@[A-Za-z0-9_-]+|((https?://)?[A-Za-z0-9\-.]+(:\d+)?)?(/[A-Za-z0-9\-_.]+)*/?)$")
});

const NAMES: [&str; 5] = [
    "auth-tls-verify-client",
    "auth-tls-verify-depth",
    "auth-tls-error-page",
    "auth-tls-pass-certificate-to-upstream",
    "auth-tls-match-cn",
];

const fn spec(
    name: &'static str,
    kind: ValueKind,
    validator: Validator,
    risk: Risk,
    on_invalid: OnInvalid,
    doc: &'static str,
) -> AnnotationSpec {
    AnnotationSpec::new(name, kind, validator, Scope::Host, risk, doc).on_invalid(on_invalid)
}

pub(crate) const SPECS: &[AnnotationSpec] = &[
    spec(
        "auth-tls-secret",
        ValueKind::String,
        Validator { describe: "namespace/name (regex ^[-/._~:a-zA-Z0-9]*$)", check: check_secret },
        Risk::Medium,
        OnInvalid::Fatal,
        "Secret with ca.crt (and optionally ca.crl) verifying client certificates; a missing or \
         unusable Secret, or a value not namespace/name, answers 503.",
    ),
    spec(
        "auth-tls-verify-client",
        ValueKind::String,
        Validator { describe: "on, off, optional or optional_no_ca", check: check_verify },
        Risk::Medium,
        OnInvalid::Default,
        "Whether a client certificate is required (on, default), asked for (optional), asked for \
         and not verified (optional_no_ca), or not asked for (off).",
    ),
    spec(
        "auth-tls-verify-depth",
        ValueKind::Int,
        Validator { describe: "integer >= 0 (0 means 1)", check: check_depth },
        Risk::Low,
        OnInvalid::Default,
        "Intermediate CA certificates allowed in the client chain (default 1).",
    ),
    spec(
        "auth-tls-error-page",
        ValueKind::String,
        Validator { describe: "URL or path (ingress-nginx redirectRegex)", check: check_redirect },
        Risk::High,
        OnInvalid::Fatal,
        "Redirect (302) here instead of answering 400 for a missing or invalid certificate.",
    ),
    spec(
        "auth-tls-pass-certificate-to-upstream",
        ValueKind::Bool,
        Validator { describe: "bool (Go ParseBool)", check: |v| value::parse_bool(v).map(drop) },
        Risk::Low,
        OnInvalid::Fatal,
        "Send the client certificate upstream in ssl-client-cert (URL-encoded PEM).",
    ),
    spec(
        "auth-tls-match-cn",
        ValueKind::String,
        Validator { describe: "CN= followed by a regex", check: check_match_cn },
        Risk::High,
        OnInvalid::Fatal,
        "Regex (starting with CN=) the client certificate's subject DN must match, else 403.",
    ),
];

/// Applies the family onto `out.auth_tls`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    out.auth_tls = parse(ctx);
}

fn parse(ctx: &mut Ctx<'_>) -> Option<Result<AuthTlsRequest, String>> {
    let secret = match ctx.try_value("auth-tls-secret") {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            for name in NAMES {
                if ctx.is_present(name) {
                    ctx.warn(name, "ignored: auth-tls-secret is not set");
                }
            }
            return None;
        }
        Err(_) => return None, // validation error: the Ingress is not loaded
    };
    let (secret_namespace, secret_name) = match split_secret(secret) {
        Ok(reference) => reference,
        Err(reason) => {
            ctx.error(
                "auth-tls-secret",
                format!("{reason}; every path of this Ingress answers 503"),
            );
            return Some(Err(reason));
        }
    };
    let verify = ctx.value("auth-tls-verify-client").and_then(VerifyClient::parse);
    let depth = ctx.value("auth-tls-verify-depth").and_then(|v| v.parse::<u32>().ok());
    let error_page = ctx.try_value("auth-tls-error-page").ok()?.map(str::to_string);
    let pass_certificate = match ctx.try_value("auth-tls-pass-certificate-to-upstream").ok()? {
        Some(v) => value::parse_bool(v).unwrap_or(false),
        None => false,
    };
    let match_cn = match ctx.try_value("auth-tls-match-cn").ok()? {
        Some(v) => Some(CnPattern::new(v).ok()?),
        None => None,
    };
    if let Some(page) = error_page.as_deref().filter(|p| p.starts_with('@')) {
        ctx.warn(
            "auth-tls-error-page",
            format!("named location {page:?} is not supported by Portico; the 400 is answered"),
        );
    }
    Some(Ok(AuthTlsRequest {
        secret_namespace,
        secret_name,
        verify: verify.unwrap_or_default(),
        depth: depth.filter(|d| *d > 0).unwrap_or(1),
        error_page: error_page.filter(|p| !p.starts_with('@')),
        pass_certificate,
        match_cn,
    }))
}

/// `namespace/name` as ingress-nginx's `ParseNameNS` (exactly one `/`); an empty namespace is
/// the Ingress's.
fn split_secret(value: &str) -> Result<(Option<String>, String), String> {
    match value.split('/').collect::<Vec<_>>()[..] {
        [_, ""] => Err(format!("auth-tls-secret {value:?} has no Secret name")),
        ["", name] => Ok((None, name.to_string())),
        [namespace, name] => Ok((Some(namespace.to_string()), name.to_string())),
        _ => Err(format!("auth-tls-secret {value:?} is not namespace/name")),
    }
}

fn check_secret(value: &str) -> Result<(), String> {
    crate::value::check_basic_chars(value, false)
}

fn check_verify(value: &str) -> Result<(), String> {
    match VerifyClient::parse(value) {
        Some(_) => Ok(()),
        None => Err("must be on, off, optional or optional_no_ca".to_string()),
    }
}

fn check_depth(value: &str) -> Result<(), String> {
    match value.parse::<u32>() {
        Ok(_) => Ok(()),
        Err(_) => Err("not a non-negative integer".to_string()),
    }
}

fn check_redirect(value: &str) -> Result<(), String> {
    match REDIRECT.is_match(value) {
        true => Ok(()),
        false => Err("not a URL or path".to_string()),
    }
}

/// ingress-nginx's `CommonNameAnnotationValidator`: `CN=` then a regex. The whole value is the
/// pattern matched against the subject DN.
fn check_match_cn(value: &str) -> Result<(), String> {
    if !value.starts_with("CN=") {
        return Err("missing prefix 'CN='".to_string());
    }
    CnPattern::new(value).map(drop).map_err(|e| format!("not a valid regex: {e}"))
}

/// Compiles a pattern written in this file (constants, tested).
fn static_regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("static regex {pattern}: {e}"))
}

#[cfg(test)]
mod tests;
