//! Cluster mode: Portico as a controller in a Kubernetes cluster.
//!
//! kube-runtime watchers ([`watch`]) feed one [`portico_store::Objects`] ([`store`]), the same
//! the manifest source produces, so the same compiler builds the table. Changes are batched
//! (a short debounce) and a rebuild happens only when something the table reads changed. Watch
//! failures are retried with backoff; the last good table keeps serving throughout.
//!
//! One replica, elected through a Lease ([`leader`]), writes Ingress status ([`status`]) and
//! posts Warning Events for Ingress diagnostics ([`events`]). [`run`] puts it all together.
//!
//! [`snapshot`] reads the same objects once, with lists only (`portico check` on a cluster).
#![forbid(unsafe_code)]

mod client;
mod controller;
mod error;
mod events;
mod kinds;
mod leader;
mod snapshot;
mod status;
mod store;
mod time;
mod watch;

pub use client::connect;
pub use controller::{run, watch_objects, Config, Updates};
pub use error::ClusterError;
pub use events::{EventRecorder, COMPONENT};
pub use kinds::Kind;
pub use leader::{Elector, LeaseConfig};
pub use snapshot::{snapshot, SnapshotConfig, PAGE_SIZE};
pub use status::{Address, Publish, StatusWriter, SyncReport};
pub use store::Batch;

/// Re-exported so callers build the client types this crate takes without their own kube
/// dependency.
pub use kube::Client;
