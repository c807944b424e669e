//! SIGTERM keeps an open WebSocket for the grace period (nginx's graceful stop does), here
//! `worker-shutdown-timeout` from the ConfigMap, instead of cutting it at once.

use std::process::Command;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use portico_e2e::{eventually, ingress, service, Backends, Dir, Portico};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::support::configmap;

#[tokio::test]
async fn a_websocket_lives_through_the_grace_period() {
    let backends = Backends::start("ws", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "ws", &backends.addrs()));
    dir.write("ing.yaml", ingress("ws").path(Some("ws.test"), "/", "Prefix", "ws"));
    dir.write("cm.yaml", configmap(&[("worker-shutdown-timeout", "3s")]));
    let portico = Portico::start(dir.path(), &["--configmap", "infra/portico"]).await;

    let mut req = format!("ws://{}/chat", portico.http).into_client_request().unwrap();
    req.headers_mut().insert("host", "ws.test".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("upgrade");
    ws.send(Message::text("before")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap().into_text().unwrap().as_str(), "before");

    let _ = Command::new("kill").arg("-TERM").arg(portico.pid().to_string()).status();
    let started = tokio::time::Instant::now();
    let log = &portico;
    eventually("the SIGTERM is being handled", || async move {
        !log.log_lines("shutting down").is_empty()
    })
    .await;
    ws.send(Message::text("during")).await.expect("still open after SIGTERM");
    let echoed = tokio::time::timeout(Duration::from_secs(2), ws.next()).await;
    let text = echoed.expect("answer in time").expect("message").expect("ok");
    assert_eq!(text.into_text().unwrap().as_str(), "during", "the tunnel still works");
    // After the grace period the connection is closed.
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "closed once the grace period is over");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(2500), "kept for the grace period: {took:?}");
    assert!(took < Duration::from_secs(8), "{took:?}");
}
