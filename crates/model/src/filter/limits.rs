//! The data of `limit-rps`, `limit-rpm`, `limit-connections` (ingress-nginx `ratelimit`): what
//! the compiler decides; the per-client state lives in the proxy, across table swaps.

use std::net::IpAddr;

use ipnet::IpNet;

/// Request and connection limits per client address, as ingress-nginx renders them:
/// `limit_conn <zone> N;` and `limit_req zone=<zone> burst=rate*multiplier nodelay;` for rps
/// then rpm. Zero = that limit is off. Every location of one Ingress shares the state of its
/// limits (ingress-nginx names the zones after the Ingress).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `limit-rps`: requests per second.
    pub rps: u32,
    /// `limit-rpm`: requests per minute.
    pub rpm: u32,
    /// `limit-burst-multiplier` (default 5): the burst is the rate times it.
    pub burst_multiplier: u32,
    /// `limit-connections`: concurrent requests.
    pub connections: u32,
    /// `limit-allowlist` / `limit-whitelist`: addresses none of the limits apply to.
    pub allow: Vec<IpNet>,
    /// ConfigMap `limit-req-status-code` (503): the answer past the rate.
    pub req_status: u16,
    /// ConfigMap `limit-conn-status-code` (503): the answer past the connections.
    pub conn_status: u16,
}

/// `limit-rate` / `limit-rate-after`: nginx's `limit_rate` / `limit_rate_after` of each
/// response, in bytes (ingress-nginx renders the annotation values as `<N>k`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Bytes per second once `after` bytes went out; never 0.
    pub bytes_per_second: u64,
    /// Bytes of each response sent at full speed first.
    pub after: u64,
}

// === impl Limits ===

impl Limits {
    /// Whether `client` is in the allow list (none of the limits apply to it).
    pub fn exempt(&self, client: IpAddr) -> bool {
        let client = super::canonical(client);
        self.allow.iter().any(|net| net.contains(&client))
    }

    /// nginx's `burst` of a `limit_req` at `rate` (ingress-nginx: rate × multiplier).
    pub fn burst(&self, rate: u32) -> u32 {
        rate.saturating_mul(self.burst_multiplier)
    }
}
