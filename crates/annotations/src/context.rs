//! The per-Ingress parsing context: the annotations under the prefix, validated through the
//! registry, and the diagnostics and fatality they produce.

use std::collections::BTreeMap;

use portico_model::Diagnostic;

use crate::registry::{self, AnnotationSpec, OnInvalid};
use crate::unsupported::{self, Verdict};
use crate::value;

/// One Ingress's annotations being parsed. Family parsers read values through it so that
/// validation and error reporting follow the registry in one place.
pub(crate) struct Ctx<'a> {
    prefix: &'a str,
    /// Known annotations present on the Ingress, by registry name, with their raw value.
    present: BTreeMap<&'static str, &'a str>,
    pub diagnostics: Vec<Diagnostic>,
    pub fatal: bool,
    /// Full keys of the unsupported access-restricting annotations that deny the Ingress.
    pub denied: Vec<String>,
}

/// An invalid value was found and reported.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reported;

// === impl Ctx ===

impl<'a> Ctx<'a> {
    /// Collects the `<prefix>/*` annotations. Unsupported ones are reported: an error and a
    /// denial for those restricting access (see [`unsupported`]), a migration warning for the
    /// rest. Annotations outside the prefix are ignored silently.
    pub fn new(raw: &'a BTreeMap<String, String>, prefix: &'a str) -> Self {
        let mut ctx = Self {
            prefix,
            present: BTreeMap::new(),
            diagnostics: Vec::new(),
            fatal: false,
            denied: Vec::new(),
        };
        for (key, value) in raw {
            let Some(name) = key.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('/'))
            else {
                continue;
            };
            match registry::lookup(name) {
                Some(spec) => {
                    ctx.present.insert(spec.name, value.as_str());
                }
                None => ctx.report_unsupported(raw, key, name, value),
            }
        }
        ctx
    }

    /// Reports annotation `key` (`<prefix>/<name>`), which is not in the registry.
    fn report_unsupported(
        &mut self,
        raw: &'a BTreeMap<String, String>,
        key: &str,
        name: &str,
        value: &str,
    ) {
        let verdict = unsupported::lookup_unsupported(name).map(|spec| {
            spec.verdict(value, |other| {
                raw.get(&format!("{}/{other}", self.prefix)).map(String::as_str)
            })
        });
        let diagnostic = match verdict.unwrap_or(Verdict::Ignored(None)) {
            Verdict::Denies => {
                self.denied.push(key.to_string());
                Diagnostic::error(format!(
                    "annotation {key} restricts access and is not supported by Portico yet: \
                     every path of this Ingress answers 503 until it is (fails closed)"
                ))
            }
            Verdict::Ignored(None) => Diagnostic::warning(format!(
                "annotation {key} is not supported by Portico (ignored)"
            )),
            Verdict::Ignored(Some(note)) => Diagnostic::warning(format!(
                "annotation {key} is not supported by Portico (ignored: {note})"
            )),
        };
        self.diagnostics.push(diagnostic.with_field(field(key)));
    }

    /// The raw value of `name`, unvalidated (snippets span lines, which other values may not).
    pub fn raw(&self, name: &str) -> Option<&'a str> {
        self.present.get(name).copied()
    }

    /// Whether the annotation is set at all (even to an empty or invalid value).
    pub fn is_present(&self, name: &str) -> bool {
        self.present.contains_key(name)
    }

    /// The normalised value of `name` without reporting: `None` = absent or empty,
    /// `Some(Err(reason))` = invalid.
    pub fn lookup(&self, name: &str) -> Option<Result<&'a str, String>> {
        let spec = spec(name);
        let raw = *self.present.get(name)?;
        spec.validate(raw).transpose()
    }

    /// The validated value of `name`; an invalid value is reported as the registry says
    /// (warning, fatal error, denial error, or error) and reads as absent.
    pub fn value(&mut self, name: &str) -> Option<&'a str> {
        match self.lookup(name)? {
            Ok(value) => Some(value),
            Err(reason) => {
                self.report_invalid(name, &reason);
                None
            }
        }
    }

    /// Like [`Ctx::value`], but tells an invalid value (already reported) apart from absence.
    pub fn try_value(&mut self, name: &str) -> Result<Option<&'a str>, Reported> {
        match self.lookup(name) {
            None => Ok(None),
            Some(Ok(value)) => Ok(Some(value)),
            Some(Err(reason)) => {
                self.report_invalid(name, &reason);
                Err(Reported)
            }
        }
    }

    /// Reports the invalid value of `name` with `reason`, per the registry's [`OnInvalid`].
    pub fn report_invalid(&mut self, name: &str, reason: &str) {
        let spec = spec(name);
        let raw = self.present.get(name).copied().unwrap_or_default();
        let diagnostic = match spec.on_invalid {
            OnInvalid::Default => Diagnostic::warning(format!(
                "invalid value {raw:?}: {reason}; ignored, using the default{}",
                spec.default_from.map(|k| format!(" (ConfigMap {k})")).unwrap_or_default()
            )),
            OnInvalid::Fatal => {
                self.fatal = true;
                Diagnostic::error(format!(
                    "invalid value {raw:?}: {reason}; the Ingress is not loaded (as ingress-nginx)"
                ))
            }
            OnInvalid::Deny => Diagnostic::error(format!(
                "invalid value {raw:?}: {reason}; every path of this Ingress answers 503"
            )),
            OnInvalid::Ignored => Diagnostic::error(format!(
                "invalid value {raw:?}: {reason}; the annotation has no effect"
            )),
        };
        self.diagnostics.push(diagnostic.with_field(self.field(name)));
    }

    /// A warning about annotation `name`.
    pub fn warn(&mut self, name: &str, message: impl Into<String>) {
        let d = Diagnostic::warning(message).with_field(self.field(name));
        self.diagnostics.push(d);
    }

    /// An error about annotation `name` (something asked for is not served as asked).
    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        let d = Diagnostic::error(message).with_field(self.field(name));
        self.diagnostics.push(d);
    }

    /// The validated boolean `name`.
    pub fn bool(&mut self, name: &str) -> Option<bool> {
        self.value(name).and_then(|v| value::parse_bool(v).ok())
    }

    /// `metadata.annotations["<prefix>/<name>"]`.
    pub fn field(&self, name: &str) -> String {
        field(&format!("{}/{name}", self.prefix))
    }
}

/// The diagnostic field of the annotation with full key `key`.
fn field(key: &str) -> String {
    format!("metadata.annotations[{key:?}]")
}

/// The registry entry of a name the family parsers use; every such name is registered (tested).
fn spec(name: &str) -> &'static AnnotationSpec {
    registry::lookup(name).unwrap_or_else(|| panic!("annotation {name} missing from the registry"))
}
