//! Diagnostics: one per bad input, naming the object, the field and the reason.

use std::fmt;

/// How bad a diagnostic is. `Error` means something the user asked for is not served as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// A Kubernetes object named in a diagnostic or as the owner of a location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// `Ingress`, `Service`, `Secret`, ...
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl From<std::sync::Arc<ObjectRef>> for ObjectRef {
    /// The shared reference's value (moved out when it was the last holder).
    fn from(shared: std::sync::Arc<ObjectRef>) -> Self {
        std::sync::Arc::unwrap_or_clone(shared)
    }
}

/// One problem found while loading or compiling input. Never fatal to anything but its object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The object at fault, when the problem is inside one.
    pub object: Option<ObjectRef>,
    /// The file the object came from (standalone mode), when known.
    pub file: Option<String>,
    /// The field path inside the object, e.g. `spec.rules[0].http.paths[1].backend.service.port`.
    pub field: Option<String>,
    pub message: String,
}

// === impl ObjectRef ===

impl ObjectRef {
    pub fn new(
        kind: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self { kind: kind.into(), namespace: namespace.into(), name: name.into() }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

// === impl Diagnostic ===

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            object: None,
            file: None,
            field: None,
            message: message.into(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(message) }
    }

    /// Names the object the diagnostic is about (an [`ObjectRef`], or a shared one).
    pub fn with_object(mut self, object: impl Into<ObjectRef>) -> Self {
        self.object = Some(object.into());
        self
    }

    pub fn with_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}:")?;
        if let Some(object) = &self.object {
            write!(f, " {object}")?;
        }
        if let Some(file) = &self.file {
            write!(f, " ({file})")?;
        }
        if let Some(field) = &self.field {
            write!(f, " {field}")?;
        }
        if self.object.is_some() || self.file.is_some() || self.field.is_some() {
            write!(f, ":")?;
        }
        write!(f, " {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_object_file_and_field() {
        let d = Diagnostic::error("service \"api\" not found")
            .with_object(ObjectRef::new("Ingress", "default", "web"))
            .with_file("web.yaml")
            .with_field("spec.rules[0].http.paths[0].backend.service.name");
        assert_eq!(
            d.to_string(),
            "error: Ingress default/web (web.yaml) spec.rules[0].http.paths[0].backend.service.name: service \"api\" not found"
        );
        assert_eq!(Diagnostic::warning("x").to_string(), "warning: x");
    }
}
