//! Out of file descriptors, Portico closes the oldest idle connections and keeps serving new
//! clients (nginx does; Portico used to stop answering for good), logging the failure at most
//! once a second.

use std::time::Duration;

use portico_e2e::{eventually, ingress, service, Backends, Dir, Portico};
use tokio::net::TcpStream;

#[tokio::test]
async fn silent_connections_cannot_starve_new_clients() {
    let backends = Backends::start("fd", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "fd", &backends.addrs()));
    dir.write("ing.yaml", ingress("fd").path(Some("fd.test"), "/", "Prefix", "fd"));
    let portico = Portico::start_with_nofile(dir.path(), &[], 128).await;

    // More silent connections than descriptors: the header timeout (60 s) is far away.
    let mut silent = Vec::new();
    for _ in 0..200 {
        silent.push(TcpStream::connect(portico.http).await.unwrap());
    }
    let log = &portico;
    eventually(
        "descriptors exhausted",
        || async move { !log.log_lines("accept failed").is_empty() },
    )
    .await;
    let started = tokio::time::Instant::now();
    let addr = portico.http;
    eventually("a new client is served while descriptors are exhausted", || async move {
        let reply =
            tokio::time::timeout(Duration::from_secs(2), portico_e2e::get(addr, "fd.test", "/"))
                .await;
        matches!(reply, Ok(Ok(r)) if r.status == 200)
    })
    .await;
    let took = started.elapsed().as_secs() + 2;
    let lines = portico.log_lines("accept failed").len() as u64;
    assert!(lines >= 1, "the exhaustion is logged\n{}", portico.log_text());
    assert!(lines <= took + 1, "{lines} 'accept failed' lines in {took} s: rate-limited");
    drop(silent);
}
