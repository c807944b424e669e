//! The addresses Ingresses are reachable on: `--publish-status-address`, else what the
//! `--publish-service` Service exposes (LoadBalancer ingress, external IPs, node addresses).

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::networking::v1::IngressLoadBalancerIngress;
use kube::{Api, Client};
use portico_store::{ObjectKey, Objects, SERVICE_NAME_LABEL};
use tokio::time::Instant;

use crate::error::chain;

/// How long a Node's addresses are reused before asking again.
const NODE_TTL: Duration = Duration::from_secs(60);

/// One published address: an IP or a host name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Address {
    Ip(IpAddr),
    Hostname(String),
}

/// Where the published addresses come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publish {
    /// `--publish-status-address`: fixed (comma-separated) addresses.
    Addresses(Vec<Address>),
    /// `--publish-service NS/NAME`.
    Service(ObjectKey),
}

/// Resolves [`Publish`] against the objects; looks up Nodes (cached) for NodePort Services.
#[derive(Debug)]
pub(crate) struct Resolver {
    nodes: Api<Node>,
    /// `NODE_NAME`: the node this pod runs on, always among the NodePort addresses.
    node_name: Option<String>,
    cache: HashMap<String, (Instant, Option<Address>)>,
}

// === impl Address ===

impl Address {
    /// An IP if it parses as one, else a host name.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        Some(value.parse().map_or_else(|_| Self::Hostname(value.to_string()), Self::Ip))
    }

    pub(crate) fn to_status(&self) -> IngressLoadBalancerIngress {
        match self {
            Self::Ip(ip) => {
                IngressLoadBalancerIngress { ip: Some(ip.to_string()), ..Default::default() }
            }
            Self::Hostname(h) => {
                IngressLoadBalancerIngress { hostname: Some(h.clone()), ..Default::default() }
            }
        }
    }

    pub(crate) fn from_status(entry: &IngressLoadBalancerIngress) -> Option<Self> {
        entry.ip.as_deref().or(entry.hostname.as_deref()).and_then(Self::parse)
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Hostname(h) => f.write_str(h),
        }
    }
}

// === impl Publish ===

impl Publish {
    /// `--publish-status-address a,b`.
    pub fn addresses(list: &str) -> Self {
        Self::Addresses(list.split(',').filter_map(Address::parse).collect())
    }
}

// === impl Resolver ===

impl Resolver {
    pub(crate) fn new(client: Client, node_name: Option<String>) -> Self {
        Self { nodes: Api::all(client), node_name, cache: HashMap::new() }
    }

    /// The sorted addresses to publish now; empty when not known yet (no LoadBalancer address).
    pub(crate) async fn resolve(
        &mut self,
        publish: &Publish,
        objects: &Objects,
    ) -> BTreeSet<Address> {
        let key = match publish {
            Publish::Addresses(list) => return list.iter().cloned().collect(),
            Publish::Service(key) => key,
        };
        let Some(service) = objects.services.get(key).map(|s| s.object.clone()) else {
            return BTreeSet::new();
        };
        let spec = service.spec.clone().unwrap_or_default();
        let external: BTreeSet<Address> =
            spec.external_ips.iter().flatten().filter_map(|ip| Address::parse(ip)).collect();
        match spec.type_.as_deref() {
            Some("LoadBalancer") => load_balancer(&service).into_iter().chain(external).collect(),
            Some("ExternalName") => {
                spec.external_name.as_deref().and_then(Address::parse).into_iter().collect()
            }
            Some("NodePort") if external.is_empty() => self.node_addresses(key, objects).await,
            Some("NodePort") => external,
            _ => {
                let cluster_ip = spec.cluster_ip.as_deref().filter(|ip| *ip != "None");
                cluster_ip.and_then(Address::parse).into_iter().chain(external).collect()
            }
        }
    }

    /// The addresses of the nodes the Service's pods run on (from its EndpointSlices), and of
    /// ours: ExternalIP when a node has one, else InternalIP.
    async fn node_addresses(
        &mut self,
        service: &ObjectKey,
        objects: &Objects,
    ) -> BTreeSet<Address> {
        let mut names: BTreeSet<String> = self.node_name.iter().cloned().collect();
        for (key, slice) in &objects.endpoint_slices {
            let labels = slice.object.metadata.labels.as_ref();
            if key.namespace != service.namespace
                || labels.and_then(|l| l.get(SERVICE_NAME_LABEL)) != Some(&service.name)
            {
                continue;
            }
            let ready = |e: &&k8s_openapi::api::discovery::v1::Endpoint| {
                e.conditions.as_ref().and_then(|c| c.ready) != Some(false)
            };
            names.extend(
                slice
                    .object
                    .endpoints
                    .iter()
                    .flatten()
                    .filter(ready)
                    .filter_map(|e| e.node_name.clone()),
            );
        }
        let mut out = BTreeSet::new();
        for name in names {
            if let Some(address) = self.node_address(&name).await {
                out.insert(address);
            }
        }
        out
    }

    async fn node_address(&mut self, name: &str) -> Option<Address> {
        if let Some((at, address)) = self.cache.get(name) {
            if at.elapsed() < NODE_TTL {
                return address.clone();
            }
        }
        let address = match self.nodes.get_opt(name).await {
            Ok(node) => node.as_ref().and_then(node_address),
            Err(error) => {
                tracing::warn!(node = %name, error = %chain(&error), "cannot read the Node's addresses");
                return self.cache.get(name).and_then(|(_, a)| a.clone());
            }
        };
        self.cache.insert(name.to_string(), (Instant::now(), address.clone()));
        address
    }
}

fn load_balancer(service: &Service) -> Vec<Address> {
    let ingress = service
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref());
    ingress
        .into_iter()
        .flatten()
        .filter_map(|i| i.ip.as_deref().or(i.hostname.as_deref()).and_then(Address::parse))
        .collect()
}

/// A Node's ExternalIP, else its InternalIP.
fn node_address(node: &Node) -> Option<Address> {
    let addresses = node.status.as_ref()?.addresses.as_ref()?;
    let of = |kind: &str| {
        addresses.iter().find(|a| a.type_ == kind).and_then(|a| Address::parse(&a.address))
    };
    of("ExternalIP").or_else(|| of("InternalIP"))
}
