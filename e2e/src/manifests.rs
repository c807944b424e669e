//! Builders for the ordinary Kubernetes YAML the tests write into a manifests directory.

use std::fmt::Write as _;
use std::net::SocketAddr;

/// A Service named `name` (port 80, name `http`) whose endpoints are `addrs`, one
/// EndpointSlice per address (each backend listens on its own port).
pub fn service(namespace: &str, name: &str, addrs: &[SocketAddr]) -> String {
    let mut yaml = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
         spec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n"
    );
    for (i, addr) in addrs.iter().enumerate() {
        let _ = write!(
            yaml,
            "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  \
             name: {name}-{i}\n  namespace: {namespace}\n  labels:\n    \
             kubernetes.io/service-name: {name}\naddressType: IPv4\nports:\n- name: http\n  \
             port: {port}\n  protocol: TCP\nendpoints:\n- addresses: [\"{ip}\"]\n  \
             conditions:\n    ready: true\n",
            port = addr.port(),
            ip = addr.ip(),
        );
    }
    yaml
}

/// An Ingress under construction; `to_string()` renders YAML.
#[derive(Debug, Clone)]
pub struct Ingress {
    name: String,
    namespace: String,
    class: Option<String>,
    annotations: Vec<(String, String)>,
    rules: Vec<(Option<String>, Vec<Path>)>,
    default_backend: Option<String>,
    tls_hosts: Vec<String>,
    created: Option<String>,
}

/// One path of a rule: path, pathType, service name (port 80).
#[derive(Debug, Clone)]
pub struct Path {
    pub path: String,
    pub path_type: String,
    pub service: String,
}

/// Starts an Ingress of class `portico` in namespace `default`.
pub fn ingress(name: &str) -> Ingress {
    Ingress {
        name: name.to_string(),
        namespace: "default".to_string(),
        class: Some("portico".to_string()),
        annotations: Vec::new(),
        rules: Vec::new(),
        default_backend: None,
        tls_hosts: Vec::new(),
        created: None,
    }
}

// === impl Ingress ===

impl Ingress {
    pub fn namespace(mut self, ns: &str) -> Self {
        self.namespace = ns.to_string();
        self
    }

    pub fn class(mut self, class: Option<&str>) -> Self {
        self.class = class.map(str::to_string);
        self
    }

    /// Adds `nginx.ingress.kubernetes.io/<key>: <value>`.
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.push((format!("nginx.ingress.kubernetes.io/{key}"), value.to_string()));
        self
    }

    /// Adds an annotation with its full key.
    pub fn raw_annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.push((key.to_string(), value.to_string()));
        self
    }

    /// Adds a path to the rule of `host` (`None` = a rule without host).
    pub fn path(mut self, host: Option<&str>, path: &str, path_type: &str, service: &str) -> Self {
        let entry = Path {
            path: path.to_string(),
            path_type: path_type.to_string(),
            service: service.to_string(),
        };
        let host = host.map(str::to_string);
        match self.rules.iter_mut().find(|(h, _)| *h == host) {
            Some((_, paths)) => paths.push(entry),
            None => self.rules.push((host, vec![entry])),
        }
        self
    }

    pub fn default_backend(mut self, service: &str) -> Self {
        self.default_backend = Some(service.to_string());
        self
    }

    pub fn tls(mut self, host: &str) -> Self {
        self.tls_hosts.push(host.to_string());
        self
    }

    /// Sets `metadata.creationTimestamp` (RFC 3339), to control which Ingress is oldest.
    pub fn created(mut self, timestamp: &str) -> Self {
        self.created = Some(timestamp.to_string());
        self
    }
}

impl std::fmt::Display for Ingress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:")?;
        writeln!(f, "  name: {}\n  namespace: {}", self.name, self.namespace)?;
        if let Some(created) = &self.created {
            writeln!(f, "  creationTimestamp: \"{created}\"")?;
        }
        if !self.annotations.is_empty() {
            writeln!(f, "  annotations:")?;
            for (key, value) in &self.annotations {
                writeln!(f, "    {key}: {}", serde_json::Value::String(value.clone()))?;
            }
        }
        writeln!(f, "spec:")?;
        if let Some(class) = &self.class {
            writeln!(f, "  ingressClassName: {class}")?;
        }
        if let Some(service) = &self.default_backend {
            writeln!(f, "  defaultBackend:\n    service:\n      name: {service}\n      port:\n        number: 80")?;
        }
        if !self.tls_hosts.is_empty() {
            writeln!(f, "  tls:\n  - hosts:")?;
            for host in &self.tls_hosts {
                writeln!(f, "    - \"{host}\"")?;
            }
            writeln!(f, "    secretName: {}-tls", self.name)?;
        }
        if !self.rules.is_empty() {
            writeln!(f, "  rules:")?;
        }
        for (host, paths) in &self.rules {
            match host {
                Some(host) => writeln!(f, "  - host: \"{host}\"\n    http:\n      paths:")?,
                None => writeln!(f, "  - http:\n      paths:")?,
            }
            for p in paths {
                writeln!(
                    f,
                    "      - path: {}\n        pathType: {}\n        backend:\n          service:\n            name: {}\n            port:\n              number: 80",
                    serde_json::Value::String(p.path.clone()),
                    p.path_type,
                    p.service
                )?;
            }
        }
        Ok(())
    }
}

/// A temporary manifests directory.
#[derive(Debug)]
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir { tmp: tempfile::tempdir().expect("tempdir") }
    }

    pub fn path(&self) -> &std::path::Path {
        self.tmp.path()
    }

    /// Writes (or replaces) `name` with `content`, atomically (write then rename), as
    /// `kubectl`-style tooling and editors do.
    pub fn write(&self, name: &str, content: impl std::fmt::Display) {
        let target = self.tmp.path().join(name);
        let staging = self.tmp.path().join(format!(".{name}.tmp"));
        std::fs::write(&staging, content.to_string()).expect("write manifest");
        std::fs::rename(&staging, &target).expect("rename manifest");
    }

    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.tmp.path().join(name)).expect("remove manifest");
    }
}

impl Default for Dir {
    fn default() -> Self {
        Self::new()
    }
}
