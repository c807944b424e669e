//! The refresh task of one name: look up, keep the answer for its TTL, look up again, for as
//! long as the name is wanted.

use std::net::IpAddr;
use std::sync::Weak;
use std::time::Instant;

use super::name::{Name, Outcome};
use super::Inner;

/// Runs until the resolver is dropped, or the name is neither listed nor used for a period.
pub(super) async fn run(inner: Weak<Inner>, host: Box<str>, name: Weak<Name>) {
    loop {
        let outcome = match inner.upgrade() {
            Some(inner) => lookup(&inner, &host).await,
            None => return,
        };
        let Some(entry) = name.upgrade() else { return };
        let Some(settings) = inner.upgrade().map(|inner| inner.settings.clone()) else { return };
        let (wait, check) = entry.settle(outcome, &settings);
        drop(entry);
        tokio::time::sleep(wait).await;
        let (Some(inner), Some(entry)) = (inner.upgrade(), name.upgrade()) else { return };
        if check && !entry.keep() {
            tracing::debug!(host = %host, "DNS name unused: no longer refreshed");
            inner.remove(&host, &entry);
            return;
        }
    }
}

/// One lookup of `host`'s A (else AAAA) addresses, and how long they are valid.
pub(super) async fn lookup(inner: &Inner, host: &str) -> Outcome {
    let Some(dns) = &inner.dns else {
        return Err(inner.broken.clone().unwrap_or_default());
    };
    let found = dns.lookup_ip(host).await.map_err(|e| e.to_string())?;
    let ttl = found.valid_until().saturating_duration_since(Instant::now());
    let mut ips: Vec<IpAddr> = Vec::new();
    for ip in found.iter() {
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    Ok((ips, ttl))
}
