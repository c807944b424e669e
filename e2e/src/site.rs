//! The usual setup of an annotation test: one echo backend behind Service `default/web`, one
//! Ingress per host (named for its first label, `/` → `web`) with the given annotations, and
//! optionally the controller ConfigMap `infra/portico`.

use crate::{ingress, service, Backends, Dir, Ingress, Portico};

/// The Ingress of `host` with `annotations` (keys without prefix), `Prefix /` → Service `web`.
pub fn site_ingress<K: AsRef<str>, V: AsRef<str>>(host: &str, annotations: &[(K, V)]) -> Ingress {
    let name = host.split('.').next().unwrap_or(host);
    let mut ing = ingress(name).path(Some(host), "/", "Prefix", "web");
    for (key, value) in annotations {
        ing = ing.annotation(key.as_ref(), value.as_ref());
    }
    ing
}

/// The ConfigMap `infra/portico` whose `data` is `lines` (YAML, two-space indented); empty
/// lines give an empty `data`.
pub fn controller_configmap(lines: &str) -> String {
    let data = if lines.trim().is_empty() { " {}\n".to_string() } else { format!("\n{lines}") };
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\ndata:{data}")
}

/// Starts Portico on a new directory holding [`site_ingress`] for each `(host, annotations)`
/// and, with `configmap` lines, [`controller_configmap`] (`--configmap infra/portico`).
pub async fn start_site<A, K, V>(
    ingresses: &[(&str, A)],
    configmap: Option<&str>,
) -> (Backends, Dir, Portico)
where
    A: AsRef<[(K, V)]>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    for (host, annotations) in ingresses {
        dir.write(&format!("{host}.yaml"), site_ingress(host, annotations.as_ref()));
    }
    let mut flags = Vec::new();
    if let Some(lines) = configmap {
        dir.write("cm.yaml", controller_configmap(lines));
        flags.extend(["--configmap", "infra/portico"]);
    }
    let portico = Portico::start(dir.path(), &flags).await;
    (web, dir, portico)
}
