//! Backends: a Service port resolved to the endpoints requests go to.

use std::net::SocketAddr;

use crate::Balancing;

/// Index of a [`Backend`] in [`crate::RouteTable::backends`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackendId(pub usize);

/// One upstream: a Service port, shared by every location that references the same service+port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// ingress-nginx's upstream name: `<namespace>-<service>-<port number|port name>`.
    pub name: String,
    pub namespace: String,
    pub service: String,
    /// Ready endpoints, deduplicated, in a stable order (sorted). Empty → requests answer 503.
    pub endpoints: Vec<Endpoint>,
    pub algorithm: LbAlgorithm,
    /// Affinity and hashing, which take precedence over `algorithm`.
    pub balancing: Balancing,
    /// Why `endpoints` is empty (missing Service, no ready endpoint, unknown port), for logs.
    pub unavailable: Option<String>,
}

/// Where a request can be sent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// A pod (or any) address from an EndpointSlice.
    Addr(SocketAddr),
    /// An ExternalName Service: resolved by DNS when connecting.
    Dns { host: String, port: u16 },
}

/// Load-balancing algorithm of a backend. Names follow IPVS (`rr`, `lc`, ...), plus
/// ingress-nginx's `round_robin` (= `rr`) and `ewma`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LbAlgorithm {
    /// `rr`: each endpoint in turn.
    #[default]
    RoundRobin,
    /// `lc`: fewest in-flight requests.
    LeastConnections,
    /// `dh`: hash of the request destination (host + path), so one URL sticks to one endpoint.
    DestinationHash,
    /// `sh`: hash of the client address, so one client sticks to one endpoint.
    SourceHash,
    /// `sed`: shortest expected delay, (in-flight + 1) / weight, all weights 1.
    ShortestExpectedDelay,
    /// `nq`: never queue: an idle endpoint if any, else shortest expected delay.
    NeverQueue,
    /// `ewma`: peak-EWMA of response time weighted by in-flight requests, best of two random
    /// endpoints (ingress-nginx `balancer/ewma.lua`).
    Ewma,
}

// === impl Endpoint ===

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Addr(addr) => write!(f, "{addr}"),
            Endpoint::Dns { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

// === impl LbAlgorithm ===

impl LbAlgorithm {
    /// Parses the names users write in the `load-balance` annotation or ConfigMap key.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "rr" | "round_robin" => Self::RoundRobin,
            "ewma" => Self::Ewma,
            "lc" => Self::LeastConnections,
            "dh" => Self::DestinationHash,
            "sh" => Self::SourceHash,
            "sed" => Self::ShortestExpectedDelay,
            "nq" => Self::NeverQueue,
            _ => return None,
        })
    }

    /// The IPVS short name (`ewma` for EWMA).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RoundRobin => "rr",
            Self::LeastConnections => "lc",
            Self::DestinationHash => "dh",
            Self::SourceHash => "sh",
            Self::ShortestExpectedDelay => "sed",
            Self::NeverQueue => "nq",
            Self::Ewma => "ewma",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lb_names_round_trip() {
        for name in ["rr", "lc", "dh", "sh", "sed", "nq", "ewma"] {
            assert_eq!(LbAlgorithm::parse(name).map(LbAlgorithm::as_str), Some(name));
        }
        assert_eq!(LbAlgorithm::parse("round_robin"), Some(LbAlgorithm::RoundRobin));
        assert_eq!(LbAlgorithm::parse("RR"), None);
    }
}
