//! Prometheus metrics shared by the proxy and the admin listener. Labels are bounded: status
//! class and Ingress name, never paths or pod addresses.
#![forbid(unsafe_code)]

/// Every metric Portico exports.
#[derive(Debug)]
pub struct Metrics {
    _private: (),
}
