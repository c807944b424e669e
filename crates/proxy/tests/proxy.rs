//! Integration tests: a real `Proxy` on 127.0.0.1:0 in front of in-process hyper backends.
#![allow(clippy::unwrap_used)] // tests may unwrap

#[path = "proxy/support.rs"]
mod support;

#[path = "proxy/phases.rs"]
mod phases;

#[path = "proxy/upstream.rs"]
mod upstream;
