//! TLS termination end to end (spec §3, §1.4): the real binary, certificates made with rcgen
//! (the `openssl` recipe of `examples/tls` in `example.rs`), checked with `curl` and a
//! tokio-rustls client. Tests shelling out use
//! `tokio::process`, so the in-process echo backends keep running.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod broken;
mod example;
mod http;
mod last_good;
mod rotation;
mod sni;
mod support;

use portico_e2e::{ingress, service, Backends, Dir, Portico};

/// An echo Service `app` and, for each `(ingress, host)`, an Ingress routing `host` to it with
/// `spec.tls` listing the host and Secret `<ingress>-tls`.
async fn tls_site(hosts: &[(&str, &str)], extra: &[&str]) -> (Backends, Dir, Portico) {
    let backends = Backends::start("tls", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "app", &backends.addrs()));
    for (name, host) in hosts {
        let ing = ingress(name).tls(host).path(Some(host), "/", "Prefix", "app");
        dir.write(&format!("{name}.yaml"), ing);
    }
    let portico = Portico::start(dir.path(), extra).await;
    (backends, dir, portico)
}
