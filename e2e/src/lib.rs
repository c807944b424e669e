//! The end-to-end harness: starts the real `portico` binary on ports chosen at run time, real
//! echo backends, and talks to it with a real HTTP client. Each test gets its own manifests
//! directory and process; on failure the harness prints the manifests, `portico check` output
//! and the proxy log, so that a failure can be read without rerunning it.
//!
//! The binary is `$PORTICO_BIN`, else `target/<profile>/portico` beside the test executable
//! (built by `cargo test --workspace`, because the `portico` package has integration tests).
//! `PORTICO_E2E_PATIENCE_SECS` (default 20) bounds every wait. The gRPC tests run Python
//! `grpcio` (`e2e/grpc/`): `python3` with `grpcio` must be installed (`.ci/run` installs it).
#![forbid(unsafe_code)]

mod answering;
mod backend;
mod client;
mod conformance;
mod example;
mod external;
mod grpc;
mod manifests;
mod metrics;
mod pki;
mod process;
mod raw;
mod site;
mod tls_backend;
mod tls_client;

pub use answering::{serve as serve_answers, Answer};
pub use backend::{refusing_addr, Backends};
pub use client::{get, request, Conn, Reply};
pub use conformance::{assert_proxied, assert_redirect, Case, Running};
pub use example::{example, examples_dir};
pub use external::{backend_ip, ingress_class, External};
pub use grpc::{grpc_call, GrpcBackend};
pub use manifests::{ingress, service, Dir, Ingress, Path as IngressPath};
pub use metrics::metric;
pub use pki::{pem_secret, Leaf, TestCa};
pub use portico_dns_testkit::{Reply as DnsReply, StubDns};
pub use process::{binary, patience, Portico};
pub use raw::{get_from, raw_from, raw_status};
pub use site::{controller_configmap, site_ingress, start_site};
pub use tls_backend::TlsBackend;
pub use tls_client::{accept_any_client, accept_any_client_offering};

/// Polls `check` until it returns true, within [`patience`]. Panics with `what` otherwise.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + patience();
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {:?} waiting for: {what}", patience());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
