use std::sync::atomic::{AtomicBool, Ordering};

use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

fn state(ready: Arc<AtomicBool>) -> AdminState {
    AdminState::new(Arc::new(Metrics::new()), move || ready.load(Ordering::Relaxed))
}

#[tokio::test]
async fn endpoints() {
    let ready = Arc::new(AtomicBool::new(false));
    let state = state(ready.clone());
    state.metrics.table_rebuilt(1);
    let status = |path: &str| respond_to(&state, &Method::GET, path).status();
    assert_eq!(status("/healthz"), StatusCode::OK);
    assert_eq!(status("/readyz"), StatusCode::SERVICE_UNAVAILABLE);
    ready.store(true, Ordering::Relaxed);
    assert_eq!(status("/readyz"), StatusCode::OK);
    assert_eq!(status("/nope"), StatusCode::NOT_FOUND);
    let metrics = respond_to(&state, &Method::GET, "/metrics");
    assert_eq!(metrics.headers()[CONTENT_TYPE], METRICS_CONTENT_TYPE);
    let body = metrics.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8(body.to_vec()).unwrap();
    assert!(body.contains("portico_table_rebuilds_total 1"), "{body}");
    assert_eq!(respond_to(&state, &Method::POST, "/healthz").status(), 405);
}

#[tokio::test]
async fn serves_over_tcp_and_shuts_down() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state(Arc::new(AtomicBool::new(true))), async {
        let _ = rx.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(3), task).await.unwrap().unwrap();
}
