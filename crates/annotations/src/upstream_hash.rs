//! `upstream-hash-by` and its subsets (ingress-nginx `annotations/upstreamhashby/main.go`,
//! `balancer/chash*.lua`; spec §6). The parser returns its validation errors, so an invalid
//! value leaves the Ingress not loaded.
//!
//! The key is an nginx "complex value" (`util.lua` `parse_complex_value`): `$name` and
//! `${name}` are variables, anything else (a lone `$` included) is literal text. Variables
//! Portico does not know read as empty, as an unset nginx variable, with a warning.

use portico_model::{HashBy, HashPart, HashVar};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;
use crate::IngressAnnotations;

/// ingress-nginx's default `upstream-hash-by-subset-size`.
pub const DEFAULT_SUBSET_SIZE: usize = 3;

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec {
        name: "upstream-hash-by",
        kind: ValueKind::String,
        validator: Validator {
            describe: "nginx variables and text, regex ^[A-Za-z0-9-_${}]*$",
            check: check_expression,
        },
        scope: Scope::Location,
        risk: Risk::High,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "Consistent hashing by this key ($request_uri, $remote_addr, $host, $http_NAME, \
              $cookie_NAME, $arg_NAME, ... and text) for the backends this Ingress creates first.",
    },
    AnnotationSpec {
        name: "upstream-hash-by-subset",
        kind: ValueKind::Bool,
        validator: Validator {
            describe: "bool (Go ParseBool)",
            check: |v| value::parse_bool(v).map(drop),
        },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "Hash to a subset of endpoints, then a random endpoint of it.",
    },
    AnnotationSpec {
        name: "upstream-hash-by-subset-size",
        kind: ValueKind::Int,
        validator: Validator { describe: "integer", check: |v| value::parse_int(v).map(drop) },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "Endpoints per subset (default 3).",
    },
];

/// Applies the family onto `out.hash_by`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    let expression = ctx.value("upstream-hash-by");
    let subset = ctx.bool("upstream-hash-by-subset").unwrap_or(false);
    let size = ctx.value("upstream-hash-by-subset-size").and_then(|v| v.parse::<i64>().ok());
    let Some(expression) = expression else { return };
    let (parts, unknown) = parse_expression(expression);
    for name in unknown {
        ctx.warn(
            "upstream-hash-by",
            format!("variable ${name} is not known to Portico; it hashes as empty"),
        );
    }
    let size = match size {
        None | Some(0) => DEFAULT_SUBSET_SIZE,
        Some(n) => usize::try_from(n).unwrap_or_else(|_| {
            ctx.warn(
                "upstream-hash-by-subset-size",
                format!("subset size {n} is not positive; using {DEFAULT_SUBSET_SIZE}"),
            );
            DEFAULT_SUBSET_SIZE
        }),
    };
    out.hash_by =
        Some(HashBy { source: expression.to_string(), parts, subset: subset.then_some(size) });
}

/// ingress-nginx's `hashByRegex`.
fn check_expression(value: &str) -> Result<(), String> {
    let ok = value.chars().all(|c| c.is_ascii_alphanumeric() || "-_${}".contains(c));
    if ok {
        Ok(())
    } else {
        Err("only letters, digits and - _ $ { } are allowed".to_string())
    }
}

/// The parts of a complex value, and the names of the variables Portico does not know.
pub fn parse_expression(expression: &str) -> (Vec<HashPart>, Vec<String>) {
    let mut parts = Vec::new();
    let mut unknown = Vec::new();
    let mut rest = expression;
    while !rest.is_empty() {
        let (part, tail) = next_part(rest);
        if let HashPart::Var(HashVar::Empty) = &part {
            let name = rest.trim_start_matches('$').trim_start_matches('{');
            let end = name.find(|c: char| !is_name_char(c)).unwrap_or(name.len());
            unknown.push(name[..end].to_string());
        }
        match (&part, parts.last_mut()) {
            (HashPart::Text(text), Some(HashPart::Text(last))) => last.push_str(text),
            _ => parts.push(part),
        }
        rest = tail;
    }
    (parts, unknown)
}

/// The first part of `s` (non-empty) and what follows it.
fn next_part(s: &str) -> (HashPart, &str) {
    let Some(after) = s.strip_prefix('$') else {
        let end = s.find('$').unwrap_or(s.len());
        return (HashPart::Text(s[..end].to_string()), &s[end..]);
    };
    if let Some(braced) = after.strip_prefix('{') {
        if let Some(close) = braced.find('}') {
            let name = &braced[..close];
            if !name.is_empty() && name.chars().all(is_name_char) {
                return (HashPart::Var(variable(name)), &braced[close + 1..]);
            }
        }
    }
    let end = after.find(|c: char| !is_name_char(c)).unwrap_or(after.len());
    if end == 0 {
        return (HashPart::Text("$".to_string()), after);
    }
    (HashPart::Var(variable(&after[..end])), &after[end..])
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The variable `name` (nginx names are case-sensitive; prefixes `http_`, `cookie_`, `arg_`).
fn variable(name: &str) -> HashVar {
    match name {
        "request_uri" => HashVar::RequestUri,
        "uri" | "document_uri" => HashVar::Uri,
        "args" | "query_string" => HashVar::Args,
        "remote_addr" => HashVar::RemoteAddr,
        "binary_remote_addr" => HashVar::BinaryRemoteAddr,
        "host" => HashVar::Host,
        "scheme" => HashVar::Scheme,
        "request_method" => HashVar::Method,
        _ => prefixed(name).unwrap_or(HashVar::Empty),
    }
}

fn prefixed(name: &str) -> Option<HashVar> {
    let nonempty = |rest: &str| (!rest.is_empty()).then(|| rest.to_string());
    if let Some(header) = name.strip_prefix("http_") {
        let header = nonempty(header)?.to_ascii_lowercase().replace('_', "-");
        return Some(HashVar::Header(header));
    }
    if let Some(cookie) = name.strip_prefix("cookie_") {
        return nonempty(cookie).map(HashVar::Cookie);
    }
    name.strip_prefix("arg_").and_then(nonempty).map(HashVar::Arg)
}

#[cfg(test)]
mod tests;
