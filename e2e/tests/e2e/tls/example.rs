//! examples/tls (the seed's HTTPS recipe: RSA-2048 certificate by openssl, Secret as
//! `kubectl create secret tls` writes it) served through the real binary.

use portico_e2e::{get, Backends, Portico};

use super::support::curl;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_example_serves_https_with_its_secret() {
    let backend = Backends::start("nginxsvc", 1).await;
    let dir = portico_e2e::example("tls", Some(("9002", backend.addr(0).port())));
    let portico = Portico::start(dir.path(), &[]).await;
    let seen = curl(portico.https, "nginxsvc", "/", &[]).await;
    assert!(seen.subject.starts_with("CN=nginxsvc"), "{}", seen.verbose);
    assert_eq!(seen.http_version, "2");
    let echo: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(echo["server"], "nginxsvc-0");
    let redirect = get(portico.http, "nginxsvc", "/").await.unwrap();
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), Some("https://nginxsvc"));
}
