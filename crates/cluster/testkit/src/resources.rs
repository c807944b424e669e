//! The resource types the test API server knows, and how request paths name them.

/// One API resource: where it lives and what its objects are called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    /// Empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
}

/// Every resource the server serves.
pub const RESOURCES: &[ResourceType] = &[
    ResourceType::new("networking.k8s.io", "v1", "ingresses", "Ingress", true),
    ResourceType::new("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false),
    ResourceType::new("", "v1", "services", "Service", true),
    ResourceType::new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true),
    ResourceType::new("", "v1", "secrets", "Secret", true),
    ResourceType::new("", "v1", "configmaps", "ConfigMap", true),
    ResourceType::new("", "v1", "events", "Event", true),
    ResourceType::new("", "v1", "nodes", "Node", false),
    ResourceType::new("coordination.k8s.io", "v1", "leases", "Lease", true),
];

/// What a request path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub resource: ResourceType,
    /// `None`: all namespaces (or a cluster-scoped kind).
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// The `/status` subresource.
    pub status: bool,
}

// === impl ResourceType ===

impl ResourceType {
    const fn new(
        group: &'static str,
        version: &'static str,
        plural: &'static str,
        kind: &'static str,
        namespaced: bool,
    ) -> Self {
        Self { group, version, plural, kind, namespaced }
    }

    /// `v1` or `group/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The resource of objects of `kind` (as k8s-openapi names it).
    pub fn of_kind(kind: &str) -> Option<Self> {
        RESOURCES.iter().copied().find(|r| r.kind == kind)
    }
}

// === impl Target ===

impl Target {
    /// Parses `/api/v1/...` and `/apis/GROUP/VERSION/...` paths.
    pub fn parse(path: &str) -> Option<Self> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", version, rest @ ..] => ("", *version, rest),
            ["apis", group, version, rest @ ..] => (*group, *version, rest),
            _ => return None,
        };
        let (namespace, rest) = match rest {
            ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
            _ => (None, rest),
        };
        let (plural, name, status) = match rest {
            [plural] => (*plural, None, false),
            [plural, name] => (*plural, Some(name.to_string()), false),
            [plural, name, "status"] => (*plural, Some(name.to_string()), true),
            _ => return None,
        };
        let resource = RESOURCES
            .iter()
            .copied()
            .find(|r| r.group == group && r.version == version && r.plural == plural)?;
        if namespace.is_some() && !resource.namespaced {
            return None;
        }
        if name.is_some() && resource.namespaced && namespace.is_none() {
            return None;
        }
        Some(Self { resource, namespace, name, status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        let t = Target::parse("/apis/networking.k8s.io/v1/namespaces/a/ingresses/web/status");
        let t = t.expect("ingress status");
        assert_eq!((t.resource.kind, t.namespace.as_deref()), ("Ingress", Some("a")));
        assert_eq!((t.name.as_deref(), t.status), (Some("web"), true));
        let t = Target::parse("/api/v1/secrets").expect("all secrets");
        assert_eq!((t.resource.kind, t.namespace, t.name), ("Secret", None, None));
        assert!(Target::parse("/api/v1/namespaces/a/nodes").is_none());
        assert!(Target::parse("/api/v1/services/x").is_none());
        assert!(Target::parse("/apis/x/v1/things").is_none());
    }
}
