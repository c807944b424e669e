//! Hot rotation: a changed Secret reaches new handshakes within a second while an open
//! keep-alive connection keeps its certificate and keeps working; a deleted Secret falls back
//! to the default certificate.

use std::time::Duration;

use portico_e2e::eventually;
use tokio::time::Instant;

use super::support::{
    connect, leaf_der, presented, secret, self_signed, served_cn, TlsConn, FAKE_CN,
};
use super::tls_site;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_secret_is_served_to_new_handshakes_only() {
    let (_b, dir, portico) = tls_site(&[("rot", "rot.test")], &[]).await;
    let https = portico.https;
    let (v1, v1_key) = self_signed("rot.test", &["rot.test"]);
    dir.write("rot-tls.yaml", secret("rot-tls", &v1, &v1_key));
    let v1_leaf = leaf_der(&v1);
    let want = v1_leaf.clone();
    eventually("v1 served", || {
        let want = want.clone();
        async move { presented(&connect(https, Some("rot.test"), &[b"http/1.1"]).await) == want }
    })
    .await;
    let mut open = TlsConn::open(https, "rot.test").await;
    assert_eq!(open.leaf, v1_leaf);
    assert_eq!(open.get("rot.test", "/").await.status, 200);

    let (v2, v2_key) = self_signed("rot.test", &["rot.test"]);
    let v2_leaf = leaf_der(&v2);
    let written = Instant::now();
    dir.write("rot-tls.yaml", secret("rot-tls", &v2, &v2_key));
    let seen_after = loop {
        let leaf = presented(&connect(https, Some("rot.test"), &[b"http/1.1"]).await);
        if leaf == v2_leaf {
            break written.elapsed();
        }
        assert!(written.elapsed() < Duration::from_secs(5), "v2 never served");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!("rotated certificate served to a new handshake after {seen_after:?}");
    assert!(seen_after < Duration::from_secs(1), "rotation took {seen_after:?}");

    // The connection opened before the rotation still works (with its v1 session).
    for _ in 0..3 {
        assert_eq!(open.get("rot.test", "/").await.status, 200);
    }

    dir.remove("rot-tls.yaml");
    eventually("deleted Secret → default certificate", || async move {
        served_cn(https, Some("rot.test")).await == FAKE_CN
    })
    .await;
    assert_eq!(open.get("rot.test", "/").await.status, 200, "still open after the deletion");
}
