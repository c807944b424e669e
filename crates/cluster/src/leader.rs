//! Leader election on a `coordination.k8s.io/v1` Lease, as client-go does it: take the Lease when
//! it is missing, released or expired, renew it while leading, release it on shutdown. Expiry is
//! judged by how long *this* process has seen the record unchanged (never by comparing clocks).
//!
//! Needs, and uses, only `create` on leases and `get`/`update` on the named one.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::PostParams;
use kube::{Api, Client, ResourceExt};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::chain;

/// Which Lease, who we are, and the timing (client-go's defaults by [`LeaseConfig::new`]).
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    pub name: String,
    pub namespace: String,
    /// Written as `holderIdentity`: the pod name, or the host name.
    pub identity: String,
    /// A holder that has not renewed for this long may be replaced.
    pub lease_duration: Duration,
    /// The leader stops acting as leader when it could not renew for this long (shorter than
    /// `lease_duration`, so it stops before anyone else may start).
    pub renew_deadline: Duration,
    /// Time between two attempts to acquire or renew.
    pub retry_period: Duration,
}

/// One replica's view of the election.
#[derive(Debug)]
pub struct Elector {
    api: Api<Lease>,
    config: LeaseConfig,
    /// The record's resourceVersion and when we first saw it: expiry runs from there.
    observed: Option<(String, Instant)>,
    /// When we last wrote the Lease as its holder (acquired or renewed).
    renewed: Option<Instant>,
}

// === impl LeaseConfig ===

impl LeaseConfig {
    /// 15 s lease, 10 s renew deadline, 2 s retry period.
    pub fn new(
        name: impl Into<String>,
        namespace: impl Into<String>,
        identity: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            namespace: namespace.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

// === impl Elector ===

impl Elector {
    pub fn new(client: Client, config: LeaseConfig) -> Self {
        let api = Api::namespaced(client, &config.namespace);
        Self { api, config, observed: None, renewed: None }
    }

    /// Whether we lead now: we hold the Lease and renewed it within the renew deadline.
    pub fn is_leader(&self) -> bool {
        self.renewed.is_some_and(|at| at.elapsed() < self.config.renew_deadline)
    }

    /// One attempt to acquire or renew; returns [`Self::is_leader`] afterwards.
    pub async fn step(&mut self) -> bool {
        let now = Instant::now();
        let lease = match self.api.get_opt(&self.config.name).await {
            Ok(lease) => lease,
            Err(error) => {
                tracing::warn!(lease = %self.config.name, error = %chain(&error), "cannot read the leader Lease");
                return self.is_leader();
            }
        };
        let Some(lease) = lease else {
            let fresh = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    namespace: Some(self.config.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.holder_spec(None)),
            };
            match self.api.create(&PostParams::default(), &fresh).await {
                Ok(_) => self.renewed = Some(now),
                Err(error) => tracing::debug!(error = %chain(&error), "Lease create lost"),
            }
            return self.is_leader();
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.as_deref().unwrap_or_default();
        let version = lease.resource_version().unwrap_or_default();
        if self.observed.as_ref().is_none_or(|(seen, _)| *seen != version) {
            self.observed = Some((version, now));
        }
        if holder != self.config.identity {
            self.renewed = None;
            let duration = spec
                .lease_duration_seconds
                .and_then(|s| u64::try_from(s).ok())
                .map_or(self.config.lease_duration, Duration::from_secs);
            let seen_at = self.observed.as_ref().map_or(now, |(_, at)| *at);
            if !holder.is_empty() && now < seen_at + duration {
                return false;
            }
            tracing::info!(lease = %self.config.name, previous = %holder, "leader Lease free or expired; taking it");
        }
        let mut updated = lease;
        updated.spec = Some(self.holder_spec(Some(&spec)));
        match self.api.replace(&self.config.name, &PostParams::default(), &updated).await {
            Ok(_) => self.renewed = Some(now),
            Err(error) => tracing::debug!(error = %chain(&error), "Lease update lost"),
        }
        self.is_leader()
    }

    /// Gives the Lease up (if we hold it) so another replica takes over at once.
    pub async fn release(&mut self) {
        if self.renewed.take().is_none() {
            return;
        }
        let Ok(Some(mut lease)) = self.api.get_opt(&self.config.name).await else { return };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return;
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(crate::time::micro_now());
        match self.api.replace(&self.config.name, &PostParams::default(), &lease).await {
            Ok(_) => tracing::info!(lease = %self.config.name, "leader Lease released"),
            Err(error) => tracing::warn!(error = %chain(&error), "cannot release the leader Lease"),
        }
    }

    /// The spec with us as holder: a renewal keeps the acquire time, a takeover counts a transition.
    fn holder_spec(&self, previous: Option<&LeaseSpec>) -> LeaseSpec {
        let now = crate::time::micro_now();
        let ours = previous
            .is_some_and(|p| p.holder_identity.as_deref() == Some(self.config.identity.as_str()));
        let transitions = previous.and_then(|p| p.lease_transitions).unwrap_or(0);
        LeaseSpec {
            holder_identity: Some(self.config.identity.clone()),
            lease_duration_seconds: i32::try_from(self.config.lease_duration.as_secs().max(1)).ok(),
            acquire_time: if ours {
                previous.and_then(|p| p.acquire_time.clone())
            } else {
                Some(now.clone())
            },
            renew_time: Some(now),
            lease_transitions: Some(if ours || previous.is_none() {
                transitions
            } else {
                transitions + 1
            }),
            ..LeaseSpec::default()
        }
    }
}

/// Runs the election until `stop` turns true, publishing leadership on `leading`; releases the
/// Lease on the way out.
pub async fn run(
    mut elector: Elector,
    leading: watch::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let leader = elector.step().await;
        leading.send_if_modified(|was| {
            if *was != leader {
                let lease = &elector.config.name;
                if leader {
                    tracing::info!(%lease, identity = %elector.config.identity, "became leader: writing Ingress status");
                } else {
                    tracing::warn!(%lease, identity = %elector.config.identity, "not leader any more");
                }
                *was = leader;
                true
            } else {
                false
            }
        });
        tokio::select! {
            () = tokio::time::sleep(elector.config.retry_period) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    let _ = leading.send(false);
    elector.release().await;
}
