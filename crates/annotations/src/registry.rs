//! The annotation registry: one entry per annotation Portico understands, declaring how its
//! value is read, validated and defaulted. Parsing, `portico check` and docs read this table.

use std::fmt::Write as _;
use std::sync::LazyLock;

use crate::{
    accepted, affinity, alias, auth, authtls, backend, backend_protocol, balance, buffering,
    canary, cors, external_auth, ipaccess, limits, logging, mirror, opentelemetry, passthrough,
    proxy, proxy_rewrite, proxy_ssl, redirect, rewrite, service_upstream, snippet, ssl_ciphers,
    upstream_hash,
};

/// One annotation: key (without prefix), value kind, validator, scope, risk, failure mode, the
/// ConfigMap key giving its default, and a one-line doc.
#[derive(Debug, Clone, Copy)]
pub struct AnnotationSpec {
    /// The key after `<prefix>/`, e.g. `rewrite-target`.
    pub name: &'static str,
    pub kind: ValueKind,
    pub validator: Validator,
    pub scope: Scope,
    pub risk: Risk,
    /// What an invalid value does, as the ingress-nginx parser of this annotation.
    pub on_invalid: OnInvalid,
    /// The ConfigMap key whose value is used when the annotation is absent or invalid.
    pub default_from: Option<&'static str>,
    pub doc: &'static str,
}

// === impl AnnotationSpec ===

impl AnnotationSpec {
    /// An annotation whose invalid value keeps the default with a warning and that has no
    /// ConfigMap default (change either with [`AnnotationSpec::on_invalid`] and
    /// [`AnnotationSpec::default_from`]).
    pub(crate) const fn new(
        name: &'static str,
        kind: ValueKind,
        validator: Validator,
        scope: Scope,
        risk: Risk,
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            kind,
            validator,
            scope,
            risk,
            on_invalid: OnInvalid::Default,
            default_from: None,
            doc,
        }
    }

    pub(crate) const fn on_invalid(mut self, on_invalid: OnInvalid) -> Self {
        self.on_invalid = on_invalid;
        self
    }

    /// The ConfigMap key giving the default.
    pub(crate) const fn default_from(mut self, key: &'static str) -> Self {
        self.default_from = Some(key);
        self
    }
}

/// How the raw value is normalised before validation (ingress-nginx `parser/main.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Go `ParseBool` on the raw value: `" true"` is invalid.
    Bool,
    /// Go `Atoi` on the raw value: `" 5"` is invalid.
    Int,
    /// Whitespace-trimmed string.
    String,
}

/// A named check: `describe` is shown in docs, `check` returns the reason a value is rejected.
#[derive(Debug, Clone, Copy)]
pub struct Validator {
    pub describe: &'static str,
    pub check: fn(&str) -> Result<(), String>,
}

/// Where an annotation takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every location (path) built from the Ingress.
    Location,
    /// The whole host, across Ingresses (e.g. `app-root`).
    Host,
    /// The Ingress as a unit (e.g. the backends it creates first).
    Ingress,
}

/// ingress-nginx's annotation risk levels (`annotations-risk-level`), for docs and audits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    Low,
    Medium,
    High,
    Critical,
}

/// What an invalid value does, per ingress-nginx's parser for that annotation (§0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// The parser swallows the error: default value, warning.
    Default,
    /// The parser returns the error: the Ingress is not loaded.
    Fatal,
    /// Location denied: every path of the Ingress answers 503.
    Deny,
    /// The parser swallows the error and the annotation does nothing (there is no default to
    /// fall back to): an error, the location is served without it.
    Ignored,
}

static REGISTRY: LazyLock<Vec<AnnotationSpec>> = LazyLock::new(|| {
    [
        rewrite::SPECS,
        redirect::SPECS,
        alias::SPECS,
        backend::SPECS,
        proxy::SPECS,
        backend_protocol::SPECS,
        proxy_rewrite::SPECS,
        proxy_ssl::SPECS,
        buffering::SPECS,
        mirror::SPECS,
        logging::SPECS,
        opentelemetry::SPECS,
        balance::SPECS,
        service_upstream::SPECS,
        canary::SPECS,
        accepted::SPECS,
        affinity::SPECS,
        upstream_hash::SPECS,
        auth::SPECS,
        authtls::SPECS,
        ipaccess::SPECS,
        limits::SPECS,
        cors::SPECS,
        snippet::SPECS,
        external_auth::SPECS,
        passthrough::SPECS,
        ssl_ciphers::SPECS,
    ]
    .concat()
});

/// Every annotation Portico understands, grouped by family, in a stable order.
pub fn registry() -> &'static [AnnotationSpec] {
    &REGISTRY
}

/// The registry entry of `name` (the key without prefix).
pub fn lookup(name: &str) -> Option<&'static AnnotationSpec> {
    registry().iter().find(|spec| spec.name == name)
}

/// A Markdown table of the registry, for generated docs; `prefix` as `--annotations-prefix`.
pub fn render_markdown(prefix: &str) -> String {
    let mut out = String::from(
        "| annotation | value | scope | risk | invalid value | default from ConfigMap \
         | description |\n|---|---|---|---|---|---|---|\n",
    );
    for spec in registry() {
        let _ = writeln!(
            out,
            "| `{prefix}/{}` | {} | {} | {:?} | {} | {} | {} |",
            spec.name,
            spec.validator.describe.replace('|', "\\|"),
            spec.scope.as_str(),
            spec.risk,
            spec.on_invalid.as_str(),
            spec.default_from.map_or_else(|| "-".to_string(), |k| format!("`{k}`")),
            spec.doc,
        );
    }
    out
}

// === impl Scope ===

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Location => "location",
            Scope::Host => "host",
            Scope::Ingress => "ingress",
        }
    }
}

// === impl OnInvalid ===

impl OnInvalid {
    pub fn as_str(self) -> &'static str {
        match self {
            OnInvalid::Default => "default + warning",
            OnInvalid::Fatal => "Ingress not loaded",
            OnInvalid::Deny => "503 (location denied)",
            OnInvalid::Ignored => "no effect (error)",
        }
    }
}

// === impl AnnotationSpec ===

impl AnnotationSpec {
    /// Normalises and validates a raw value: `Ok(None)` = absent (empty after normalisation),
    /// `Err(reason)` = invalid. CR/LF is rejected before anything else, whatever the kind.
    pub fn validate<'v>(&self, raw: &'v str) -> Result<Option<&'v str>, String> {
        crate::value::check_line_breaks(raw)?;
        let value = match self.kind {
            ValueKind::Bool | ValueKind::Int => raw,
            ValueKind::String => raw.trim(),
        };
        if value.is_empty() {
            return Ok(None);
        }
        (self.validator.check)(value)?;
        Ok(Some(value))
    }
}
