//! `limit-rps` / `limit-rpm` / `limit-burst-multiplier` / `limit-connections` /
//! `limit-allowlist` / `limit-rate` / `limit-rate-after` and the ConfigMap
//! `limit-req-status-code`, through the real binary, with clients on distinct loopback source
//! addresses (all of 127.0.0.0/8 is loopback): a client past its burst gets the status while
//! another is served, the allow list is never limited, a request held open takes a connection
//! slot, the limits outlive a table swap, and a paced response takes its time.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::time::Duration;

use portico_e2e::{
    eventually, metric, patience, raw_status, site_ingress, start_site, Backends, Dir, Portico,
};
use tokio::time::Instant;

/// `GET target` on `host` from source address `from`: the status and the body.
async fn get_from(from: &str, to: SocketAddr, host: &str, target: &str) -> (u16, Vec<u8>) {
    let answer = portico_e2e::get_from(from, to, host, target, "").await;
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (raw_status(&answer), body.as_bytes().to_vec())
}

async fn status_from(from: &str, to: SocketAddr, host: &str) -> u16 {
    get_from(from, to, host, "/").await.0
}

async fn start(ingresses: &[(&str, &[(&str, &str)])], configmap: &str) -> (Backends, Dir, Portico) {
    start_site(ingresses, Some(configmap)).await
}

#[tokio::test]
async fn a_burst_past_the_limit_gets_the_status_per_client_and_survives_a_swap() {
    // One request a minute with a burst of 1 × 2: three pass at once (nginx's burst plus the
    // request that found no state), then 429 for a minute.
    let (_w, dir, portico) = start(
        &[(
            "limited.test",
            &[
                ("limit-rpm", "1"),
                ("limit-burst-multiplier", "2"),
                ("limit-allowlist", "127.0.0.4/32"),
            ],
        )],
        "  limit-req-status-code: \"429\"\n",
    )
    .await;
    let to = portico.http;
    for n in 0..3 {
        assert_eq!(status_from("127.0.0.2", to, "limited.test").await, 200, "burst request {n}");
    }
    assert_eq!(status_from("127.0.0.2", to, "limited.test").await, 429, "past the burst");
    let rejected = r#"portico_limit_rejections_total{kind="rpm",ingress="default/limited"}"#;
    assert_eq!(metric(portico.admin, rejected).await, Some(1.0), "the refusal is counted");
    assert_eq!(status_from("127.0.0.3", to, "limited.test").await, 200, "another client");
    for n in 0..6 {
        assert_eq!(status_from("127.0.0.4", to, "limited.test").await, 200, "allowlisted {n}");
    }

    // An unrelated change swaps the table; the limits keep their state.
    dir.write("other.test.yaml", site_ingress("other.test", &[] as &[(&str, &str)]));
    eventually("the new table is live", || async move {
        status_from("127.0.0.2", to, "other.test").await == 200
    })
    .await;
    assert_eq!(status_from("127.0.0.2", to, "limited.test").await, 429, "still limited");
    assert_eq!(status_from("127.0.0.3", to, "limited.test").await, 200, "burst left: 2");
    assert_eq!(status_from("127.0.0.3", to, "limited.test").await, 200, "burst left: 1");
    assert_eq!(status_from("127.0.0.3", to, "limited.test").await, 429, "the same zone");
}

#[tokio::test]
async fn limit_connections_counts_requests_in_flight() {
    let (_w, _d, portico) = start(&[("conn.test", &[("limit-connections", "1")])], "").await;
    let to = portico.http;
    // While a slow request holds the only slot, the same client is refused (503, the default
    // limit-conn-status-code). A probe may take the slot first, refusing the slow request
    // instead: then try again.
    let deadline = Instant::now() + patience();
    let slow = loop {
        assert!(Instant::now() < deadline, "the slow request never held the slot");
        let slow = tokio::spawn(async move {
            get_from("127.0.0.2", to, "conn.test", "/?echo.delay_ms=4000").await.0
        });
        let mut taken = false;
        while !slow.is_finished() && Instant::now() < deadline {
            if status_from("127.0.0.2", to, "conn.test").await == 503 {
                taken = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if taken {
            break slow;
        }
        assert_eq!(slow.await.unwrap(), 503, "lost the race to a probe");
    };
    assert_eq!(status_from("127.0.0.3", to, "conn.test").await, 200, "another client");
    assert!(!slow.is_finished(), "the slot was taken by the slow request");
    assert_eq!(slow.await.unwrap(), 200);
    eventually("the slot is released with the response", || async move {
        status_from("127.0.0.2", to, "conn.test").await == 200
    })
    .await;
}

#[tokio::test]
async fn limit_rate_paces_the_response_in_kilobytes() {
    // 2 KB/s after 1 KB: nginx sends after + rate × (t + 1) bytes by t seconds, so 6 KB take
    // 1.5 s; the same response from an unpaced location takes no time.
    let (_w, _d, portico) = start(
        &[("paced.test", &[("limit-rate", "2"), ("limit-rate-after", "1")]), ("fast.test", &[])],
        "",
    )
    .await;
    let to = portico.http;
    let target = "/?echo.bytes=6144";
    let started = Instant::now();
    let (status, body) = get_from("127.0.0.2", to, "fast.test", target).await;
    assert_eq!((status, body.len()), (200, 6144));
    let fast = started.elapsed();
    let started = Instant::now();
    let (status, body) = get_from("127.0.0.2", to, "paced.test", target).await;
    let paced = started.elapsed();
    assert_eq!((status, body.len()), (200, 6144), "the whole body");
    assert!(paced >= Duration::from_millis(1400), "paced: {paced:?}");
    assert!(fast < paced, "unpaced {fast:?} vs paced {paced:?}");
}
