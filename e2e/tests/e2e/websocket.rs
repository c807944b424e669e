//! WebSocket upgrades pass through both ways.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use futures_util::{SinkExt, StreamExt};
use portico_e2e::{ingress, service, Backends, Dir, Portico};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn websocket_echo_through_the_proxy() {
    let backends = Backends::start("ws", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "ws", &backends.addrs()));
    dir.write("ing.yaml", ingress("ws").path(Some("ws.test"), "/ws", "Prefix", "ws"));
    let portico = Portico::start(dir.path(), &[]).await;

    let mut req = format!("ws://{}/ws/chat", portico.http).into_client_request().unwrap();
    req.headers_mut().insert("host", "ws.test".parse().unwrap());
    let (mut ws, response) = tokio_tungstenite::connect_async(req).await.expect("upgrade");
    assert_eq!(response.status(), 101);
    for text in ["hello", "portico", &"x".repeat(100_000)] {
        ws.send(Message::text(text)).await.unwrap();
        let echoed = ws.next().await.expect("message").expect("ok");
        assert_eq!(echoed.into_text().unwrap().as_str(), text);
    }
    ws.send(Message::binary(vec![0u8, 1, 2, 255])).await.unwrap();
    let echoed = ws.next().await.expect("message").expect("ok");
    assert_eq!(echoed.into_data().as_ref(), &[0u8, 1, 2, 255]);
    ws.close(None).await.unwrap();
}
