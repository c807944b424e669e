//! Hardening (hostile clients, broken backends): request-head limits, framing that could
//! smuggle requests, client timeouts and keep-alive, descriptor exhaustion, upstream heads,
//! graceful shutdown of WebSockets. Raw sockets where the point is the bytes on the wire.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

mod between_requests;
mod exhaustion;
mod framing;
mod limits;
mod shutdown;
mod support;
mod timeouts;
mod upstream;
