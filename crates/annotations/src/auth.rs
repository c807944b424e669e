//! Basic authentication annotations (ingress-nginx `annotations/auth/main.go`; spec §2.1, §2.5).
//!
//! Order follows ingress-nginx's parser: `auth-type` (absent → no auth; invalid → Ingress not
//! loaded), `auth-secret-type` regex (→ not loaded), `auth-secret` (missing/invalid → denied),
//! `auth-realm` (→ not loaded), then what Portico cannot serve (digest, unknown secret type →
//! denied). ingress-nginx looks the Secret up between `auth-secret` and `auth-realm`; Portico's
//! compiler does it later, so a bad realm with a missing Secret is "not loaded" here, not 503.

use std::sync::LazyLock;

use regex::Regex;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::{AuthRequest, AuthSecretType, IngressAnnotations};

/// Unanchored and case-sensitive, as ingress-nginx's `authTypeRegex`.
static AUTH_TYPE: LazyLock<Regex> = LazyLock::new(|| static_regex("basic|digest"));
/// Unanchored, as ingress-nginx's `authSecretTypeRegex`: `auth-mapx` passes.
static SECRET_TYPE: LazyLock<Regex> = LazyLock::new(|| static_regex("auth-(map|file)"));
static SECRET: LazyLock<Regex> = LazyLock::new(|| static_regex(r"^[-/._~:a-zA-Z0-9]+$"));
static REALM: LazyLock<Regex> = LazyLock::new(|| static_regex(r"^[-/._~:a-zA-Z0-9 ]*$"));

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec {
        name: "auth-type",
        kind: ValueKind::String,
        validator: Validator { describe: "regex basic|digest (unanchored)", check: check_type },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "Authentication type: basic (digest is not supported by Portico: 503).",
    },
    AnnotationSpec {
        name: "auth-secret",
        kind: ValueKind::String,
        validator: Validator { describe: "name or namespace/name", check: check_secret },
        scope: Scope::Location,
        risk: Risk::Medium,
        on_invalid: OnInvalid::Deny,
        default_from: None,
        doc: "Secret holding the credentials; missing or invalid answers 503.",
    },
    AnnotationSpec {
        name: "auth-secret-type",
        kind: ValueKind::String,
        validator: Validator {
            describe: "auth-file or auth-map (regex auth-(map|file), unanchored)",
            check: check_secret_type,
        },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "Secret layout: auth-file (key `auth`, htpasswd lines) or auth-map (user → hash).",
    },
    AnnotationSpec {
        name: "auth-realm",
        kind: ValueKind::String,
        validator: Validator { describe: "regex ^[-/._~:a-zA-Z0-9 ]*$", check: check_realm },
        scope: Scope::Location,
        risk: Risk::Medium,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "Realm shown in the WWW-Authenticate challenge; \"off\" disables authentication.",
    },
];

/// Applies the auth family onto `out.auth`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    out.auth = parse(ctx);
}

fn parse(ctx: &mut Ctx<'_>) -> Option<Result<AuthRequest, String>> {
    if ctx.lookup("auth-type").is_none() {
        for name in ["auth-secret", "auth-secret-type", "auth-realm"] {
            if ctx.is_present(name) {
                let message = "ignored: auth-type is not set, so no authentication is configured";
                ctx.warn(name, message);
            }
        }
        return None;
    }
    let auth_type = ctx.try_value("auth-type").ok()??;
    let secret_type = ctx.try_value("auth-secret-type").ok()?.unwrap_or("auth-file");
    let (secret_namespace, secret_name) = match secret_ref(ctx) {
        Ok(reference) => reference,
        Err(reason) => return Some(Err(reason)),
    };
    let realm = ctx.try_value("auth-realm").ok()?.unwrap_or_default().to_string();
    if auth_type != "basic" {
        let reason = "digest auth not supported".to_string();
        let message = format!(
            "auth-type {auth_type:?}: {reason} by Portico (only \"basic\"); \
             every path of this Ingress answers 503"
        );
        ctx.error("auth-type", message);
        return Some(Err(reason));
    }
    let secret_type = match secret_type {
        "auth-file" => AuthSecretType::AuthFile,
        "auth-map" => AuthSecretType::AuthMap,
        other => {
            let reason =
                format!("invalid auth-secret-type {other:?}: must be auth-file or auth-map");
            ctx.error(
                "auth-secret-type",
                format!("{reason}; every path of this Ingress answers 503"),
            );
            return Some(Err(reason));
        }
    };
    if realm == "off" {
        ctx.warn(
            "auth-realm",
            "auth-realm \"off\" disables authentication (as nginx's auth_basic off)",
        );
        return None;
    }
    Some(Ok(AuthRequest { secret_namespace, secret_name, secret_type, realm }))
}

/// `auth-secret` as `(namespace, name)`; `Err(reason)` = location denied (already reported).
fn secret_ref(ctx: &mut Ctx<'_>) -> Result<(Option<String>, String), String> {
    let reason = match ctx.lookup("auth-secret") {
        None => "auth-secret annotation is missing".to_string(),
        Some(Err(reason)) => {
            ctx.report_invalid("auth-secret", &reason);
            return Err(format!("invalid auth-secret: {reason}"));
        }
        Some(Ok(value)) => match split_secret(value) {
            Ok(reference) => return Ok(reference),
            Err(reason) => reason,
        },
    };
    ctx.error("auth-secret", format!("{reason}; every path of this Ingress answers 503"));
    Err(reason)
}

/// Splits `name` or `namespace/name` like client-go's `SplitMetaNamespaceKey`.
fn split_secret(value: &str) -> Result<(Option<String>, String), String> {
    let (namespace, name) = match value.split('/').collect::<Vec<_>>()[..] {
        [name] => ("", name),
        [namespace, name] => (namespace, name),
        _ => return Err(format!("auth-secret {value:?} is not name or namespace/name")),
    };
    if name.is_empty() {
        return Err(format!("auth-secret {value:?} has no Secret name"));
    }
    let namespace = (!namespace.is_empty()).then(|| namespace.to_string());
    Ok((namespace, name.to_string()))
}

fn check_type(value: &str) -> Result<(), String> {
    check(&AUTH_TYPE, value, "must contain basic or digest (case-sensitive)")
}

fn check_secret(value: &str) -> Result<(), String> {
    check(&SECRET, value, "only letters, digits and / - . _ ~ : are allowed")
}

fn check_secret_type(value: &str) -> Result<(), String> {
    check(&SECRET_TYPE, value, "must be auth-file or auth-map")
}

fn check_realm(value: &str) -> Result<(), String> {
    check(&REALM, value, "only letters, digits, spaces and / - . _ ~ : are allowed")
}

fn check(regex: &Regex, value: &str, reason: &str) -> Result<(), String> {
    if regex.is_match(value) {
        Ok(())
    } else {
        Err(reason.to_string())
    }
}

fn static_regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("static regex {pattern}: {e}"))
}

#[cfg(test)]
mod tests;
