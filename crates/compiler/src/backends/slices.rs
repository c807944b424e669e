//! EndpointSlices indexed by `(namespace, kubernetes.io/service-name)`, parsed once per build
//! so resolving a backend never scans every slice.

use std::collections::HashMap;
use std::net::IpAddr;

use k8s_openapi::api::discovery::v1::EndpointSlice;
use portico_model::{Diagnostic, ObjectRef};
use portico_store::{ObjectKey, Objects, Sourced};

/// The label tying a slice to its Service.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Parsed slices of every Service, in slice-key order within a Service.
#[derive(Debug, Default)]
pub(crate) struct SliceIndex {
    /// namespace → service → slices.
    by_service: HashMap<String, HashMap<String, Vec<ParsedSlice>>>,
}

/// What backend resolution needs of one slice: its ports and its ready addresses.
#[derive(Debug)]
pub(crate) struct ParsedSlice {
    pub ports: Vec<SlicePort>,
    /// Addresses of endpoints whose `conditions.ready` is not `false`.
    pub ready: Vec<Address>,
}

/// One `ports[]` entry of a slice.
#[derive(Debug)]
pub(crate) struct SlicePort {
    /// Empty when unnamed.
    pub name: String,
    pub port: u16,
    /// Protocol is TCP (the default).
    pub tcp: bool,
}

/// An endpoint address: an IP, or a DNS name for `addressType: FQDN` slices.
#[derive(Debug, Clone)]
pub(crate) enum Address {
    Ip(IpAddr),
    Dns(String),
}

// === impl SliceIndex ===

impl SliceIndex {
    /// Indexes every labelled slice. Unparseable addresses are dropped with a warning naming
    /// the slice; slices without the service-name label are not ours to read.
    pub(crate) fn new(objects: &Objects, diagnostics: &mut Vec<Diagnostic>) -> Self {
        let mut by_service: HashMap<String, HashMap<String, Vec<ParsedSlice>>> = HashMap::new();
        for (key, sourced) in &objects.endpoint_slices {
            let labels = sourced.object.metadata.labels.as_ref();
            let Some(service) = labels.and_then(|l| l.get(SERVICE_NAME_LABEL)) else {
                continue;
            };
            let parsed = parse_slice(key, sourced, diagnostics);
            let namespace = by_service.entry(key.namespace.clone()).or_default();
            namespace.entry(service.clone()).or_default().push(parsed);
        }
        Self { by_service }
    }

    /// The slices of Service `namespace/service`, possibly none.
    pub(crate) fn get(&self, namespace: &str, service: &str) -> &[ParsedSlice] {
        self.by_service
            .get(namespace)
            .and_then(|services| services.get(service))
            .map_or(&[], Vec::as_slice)
    }
}

fn parse_slice(
    key: &ObjectKey,
    sourced: &Sourced<EndpointSlice>,
    diagnostics: &mut Vec<Diagnostic>,
) -> ParsedSlice {
    let slice = &sourced.object;
    let mut warn = |message: String, field: String| {
        let object = ObjectRef::new("EndpointSlice", &key.namespace, &key.name);
        let mut d = Diagnostic::warning(message).with_object(object).with_field(field);
        d.file = sourced.file.as_deref().map(str::to_owned);
        diagnostics.push(d);
    };
    let ports = slice
        .ports
        .iter()
        .flatten()
        .filter_map(|p| {
            let port = u16::try_from(p.port?).ok().filter(|port| *port != 0)?;
            Some(SlicePort {
                name: p.name.clone().unwrap_or_default(),
                port,
                tcp: p.protocol.as_deref().is_none_or(|proto| proto == "TCP"),
            })
        })
        .collect();
    let fqdn = slice.address_type == "FQDN";
    let mut ready = Vec::new();
    for (i, endpoint) in slice.endpoints.iter().flatten().enumerate() {
        if endpoint.conditions.as_ref().and_then(|c| c.ready) == Some(false) {
            continue;
        }
        for (j, address) in endpoint.addresses.iter().enumerate() {
            if fqdn {
                ready.push(Address::Dns(address.to_ascii_lowercase()));
                continue;
            }
            match address.parse::<IpAddr>() {
                Ok(ip) => ready.push(Address::Ip(ip)),
                Err(_) => warn(
                    format!("address {address:?} is not an IP address; endpoint skipped"),
                    format!("endpoints[{i}].addresses[{j}]"),
                ),
            }
        }
    }
    ParsedSlice { ports, ready }
}
