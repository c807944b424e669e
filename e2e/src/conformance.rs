//! The annotation conformance driver: a [`Case`] collects one test's manifests and echo
//! backends, [`Case::start`] brings the controller up on them — a fresh `portico`, or in external
//! mode ([`crate::External`]) an already running controller fed through `PORTICO_E2E_APPLY` —
//! and [`Running`] sends requests. Everything a case creates lives in its own namespace and under
//! its own hosts (`<label>.<case>.test`), so cases never see each other's objects.

use std::fmt::Display;
use std::net::SocketAddr;

use bytes::Bytes;
use http::uri::PathAndQuery;
use http::{Request, Uri};
use http_body_util::Full;

use crate::external::{backend_bind_ip, backend_ip, ingress_class, External};
use crate::{ingress, request, Backends, Dir, Ingress, Portico, Reply};

/// Name of the ConfigMap written in local mode (in the case's namespace).
const LOCAL_CONFIGMAP: &str = "portico-config";

/// One conformance test's inputs, before the controller serves them.
#[derive(Debug)]
pub struct Case {
    name: String,
    dir: Dir,
    external: Option<External>,
    backends: Vec<Backends>,
    config: Option<Vec<(String, String)>>,
    flags: Vec<String>,
}

/// A case being served: requests go to `http`.
#[derive(Debug)]
pub struct Running {
    pub http: SocketAddr,
    pub https: Option<SocketAddr>,
    portico: Option<Portico>,
    case: Case,
}

// === impl Case ===

impl Case {
    /// `name` must be a DNS label, unique in the suite: it is the namespace and host suffix.
    pub fn new(name: &str) -> Case {
        Case {
            name: name.to_string(),
            dir: Dir::new(),
            external: External::from_env(),
            backends: Vec::new(),
            config: None,
            flags: Vec::new(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.name
    }

    /// A host of this case: `<label>.<case>.test`.
    pub fn host(&self, label: &str) -> String {
        format!("{label}.{}.test", self.name)
    }

    /// An Ingress in the case's namespace, of the class under test.
    pub fn ingress(&self, name: &str) -> Ingress {
        ingress(name).namespace(&self.name).class(Some(&ingress_class()))
    }

    /// Starts an echo backend (it answers as `<service>-0`) behind Service `<service>`.
    pub async fn backend(&mut self, service: &str) {
        let backends = Backends::start_on(service, 1, backend_bind_ip()).await;
        let addrs: Vec<SocketAddr> =
            backends.addrs().iter().map(|a| SocketAddr::new(backend_ip(), a.port())).collect();
        self.dir.write(&format!("svc-{service}.yaml"), crate::service(&self.name, service, &addrs));
        self.backends.push(backends);
    }

    /// A Service `<service>` without any endpoint.
    pub fn service_without_endpoints(&self, service: &str) {
        self.dir.write(&format!("svc-{service}.yaml"), crate::service(&self.name, service, &[]));
    }

    /// Writes a manifest file (an Ingress, a Secret, ...).
    pub fn apply(&self, file: &str, content: impl Display) {
        self.dir.write(file, content);
    }

    /// Sets a key of the controller ConfigMap.
    pub fn config(&mut self, key: &str, value: &str) {
        self.config.get_or_insert_with(Vec::new).push((key.to_string(), value.to_string()));
    }

    /// An extra `portico serve` flag (local mode only).
    pub fn flag(&mut self, flag: &str) {
        self.flags.push(flag.to_string());
    }

    pub fn is_external(&self) -> bool {
        self.external.is_some()
    }

    /// Serves the case. `None`: skipped, because it sets ConfigMap keys and the external
    /// controller's ConfigMap is unknown (`PORTICO_E2E_CONFIGMAP`).
    pub async fn start(mut self) -> Option<Running> {
        let Some(external) = self.external.clone() else {
            if let Some(data) = &self.config {
                self.dir.write("configmap.yaml", configmap(&self.name, LOCAL_CONFIGMAP, data));
                self.flags.push(format!("--configmap={}/{LOCAL_CONFIGMAP}", self.name));
            }
            let flags: Vec<&str> = self.flags.iter().map(String::as_str).collect();
            let portico = Portico::start(self.dir.path(), &flags).await;
            let (http, https) = (portico.http, portico.listen_addr("https"));
            return Some(Running { http, https, portico: Some(portico), case: self });
        };
        match (&external.configmap, &self.config) {
            (Some((ns, name)), data) => {
                let data = data.clone().unwrap_or_default();
                self.dir.write("configmap.yaml", configmap(ns, name, &data));
            }
            (None, Some(_)) => {
                eprintln!(
                    "skipped {}: it sets ConfigMap keys; set PORTICO_E2E_CONFIGMAP",
                    self.name
                );
                return None;
            }
            (None, None) => {}
        }
        let namespace =
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n", self.name);
        self.dir.write("00-namespace.yaml", namespace);
        external.apply(self.dir.path(), &self.name).await;
        Some(Running { http: external.http, https: external.https, portico: None, case: self })
    }
}

/// A ConfigMap manifest with `data`.
fn configmap(namespace: &str, name: &str, data: &[(String, String)]) -> String {
    let mut yaml =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n");
    if data.is_empty() {
        yaml.push_str("  {}\n");
    }
    for (key, value) in data {
        yaml.push_str(&format!("  {key}: {}\n", serde_json::Value::String(value.clone())));
    }
    yaml
}

// === impl Running ===

impl Running {
    /// `GET target` with `Host: host`; `target` is sent byte for byte (`//x`, `/a/../b`, `%2F`).
    pub async fn get(&self, host: &str, target: &str) -> Reply {
        self.get_with(host, target, &[]).await
    }

    /// `GET target` with `Host: host` and extra headers.
    pub async fn get_with(&self, host: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::builder().uri(raw_target(target)).header("host", host);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(Full::default()).expect("request")).await
    }

    /// Sends any request; panics (with the controller's state dumped) if it cannot be sent.
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Reply {
        request(self.http, req).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Waits until `GET target` on `host` answers `status` (the controller has loaded the
    /// host: immediate in local mode), and returns that answer.
    pub async fn served(&self, host: &str, target: &str, status: u16) -> Reply {
        let deadline = tokio::time::Instant::now() + crate::patience();
        loop {
            let reply = request(
                self.http,
                Request::builder()
                    .uri(raw_target(target))
                    .header("host", host)
                    .body(Full::default())
                    .expect("request"),
            )
            .await;
            match reply {
                Ok(reply) if reply.status == status => return reply,
                other if tokio::time::Instant::now() > deadline => panic!(
                    "{host}{target} never answered {status} within {:?}; last: {other:?}",
                    crate::patience()
                ),
                _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    /// `portico check` on the case's manifests with its flags (local mode; `None` in external
    /// mode, where diagnostics are the controller's business).
    pub fn check(&self) -> Option<String> {
        self.portico.as_ref().map(Portico::check)
    }

    pub fn is_external(&self) -> bool {
        self.case.is_external()
    }

    pub fn host(&self, label: &str) -> String {
        self.case.host(label)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let Some(external) = &self.case.external else { return };
        if std::thread::panicking() {
            eprintln!("===== external controller at {} =====", self.http);
            crate::process::print_manifests(self.case.dir.path());
        }
        external.delete(self.case.dir.path(), &self.case.name);
    }
}

/// A request-target kept exactly as written (no `Uri` parsing quirks for `//x`).
fn raw_target(target: &str) -> Uri {
    let path =
        PathAndQuery::try_from(target).unwrap_or_else(|e| panic!("request-target {target:?}: {e}"));
    let mut parts = http::uri::Parts::default();
    parts.path_and_query = Some(path);
    Uri::from_parts(parts).unwrap_or_else(|e| panic!("request-target {target:?}: {e}"))
}

/// Asserts a redirect: status and exact `Location`.
#[track_caller]
pub fn assert_redirect(reply: &Reply, status: u16, location: &str, what: &str) {
    assert_eq!(
        (reply.status.as_u16(), reply.header("location")),
        (status, Some(location)),
        "{what}: {}",
        reply.text()
    );
}

/// Asserts the request was proxied to Service `service` and the backend saw request-target `uri`.
#[track_caller]
pub fn assert_proxied(reply: &Reply, service: &str, uri: &str, what: &str) {
    assert_eq!(reply.status, 200, "{what}: {}", reply.text());
    let echo = reply.echo();
    assert_eq!(
        (echo["server"].as_str(), echo["uri"].as_str()),
        (Some(format!("{service}-0").as_str()), Some(uri)),
        "{what}"
    );
}
