//! Reading Portico's `/metrics` (admin port) in tests.

use std::net::SocketAddr;

/// The value of one series in a fresh scrape of `admin`'s `/metrics`: `series` is the name
/// and label set exactly as exported (`portico_x_total{kind="a"}`). `None` when the scrape
/// fails or the series is not exported.
pub async fn metric(admin: SocketAddr, series: &str) -> Option<f64> {
    let reply = crate::get(admin, "localhost", "/metrics").await.ok()?;
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}
