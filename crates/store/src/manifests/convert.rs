//! What the API server (or its controllers) would do to an object before Portico sees it:
//! `Endpoints` mirrored into `EndpointSlice`s, `Secret.stringData` merged into `data`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{EndpointAddress, Endpoints, Secret};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;

/// The label tying an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// One slice per subset, named `<endpoints>-endpoints-<i>`, labelled with the service name;
/// `addresses` are ready, `notReadyAddresses` are not. Addresses are IPv6 only if all are.
pub(super) fn endpoints_to_slices(endpoints: Endpoints) -> Vec<EndpointSlice> {
    let meta = endpoints.metadata;
    let name = meta.name.clone().unwrap_or_default();
    let mut labels = meta.labels.clone().unwrap_or_default();
    labels.insert(SERVICE_NAME_LABEL.to_string(), name.clone());
    let subsets = endpoints.subsets.unwrap_or_default();
    subsets
        .into_iter()
        .enumerate()
        .map(|(index, subset)| {
            let ready = subset.addresses.unwrap_or_default().into_iter().map(|a| endpoint(a, true));
            let not_ready = subset
                .not_ready_addresses
                .unwrap_or_default()
                .into_iter()
                .map(|a| endpoint(a, false));
            let members: Vec<Endpoint> = ready.chain(not_ready).collect();
            let ports = subset.ports.map(|ports| {
                ports
                    .into_iter()
                    .map(|p| EndpointPort {
                        name: p.name,
                        port: Some(p.port),
                        protocol: p.protocol,
                        app_protocol: p.app_protocol,
                    })
                    .collect()
            });
            EndpointSlice {
                address_type: address_type(&members).to_string(),
                endpoints: Some(members),
                metadata: ObjectMeta {
                    name: Some(format!("{name}-endpoints-{index}")),
                    namespace: meta.namespace.clone(),
                    labels: Some(labels.clone()),
                    annotations: meta.annotations.clone(),
                    creation_timestamp: meta.creation_timestamp.clone(),
                    ..ObjectMeta::default()
                },
                ports,
            }
        })
        .collect()
}

/// Merges `stringData` into `data` (stringData wins, as on the API server) and clears it.
pub(super) fn merge_string_data(secret: &mut Secret) {
    if let Some(string_data) = secret.string_data.take() {
        let data = secret.data.get_or_insert_with(BTreeMap::new);
        for (key, value) in string_data {
            data.insert(key, ByteString(value.into_bytes()));
        }
    }
}

fn endpoint(address: EndpointAddress, ready: bool) -> Endpoint {
    Endpoint {
        addresses: vec![address.ip],
        conditions: Some(EndpointConditions {
            ready: Some(ready),
            serving: Some(ready),
            terminating: Some(false),
        }),
        hostname: address.hostname,
        node_name: address.node_name,
        target_ref: address.target_ref,
        ..Endpoint::default()
    }
}

fn address_type(endpoints: &[Endpoint]) -> &'static str {
    let all_v6 = !endpoints.is_empty()
        && endpoints
            .iter()
            .flat_map(|e| &e.addresses)
            .all(|a| a.parse::<IpAddr>().is_ok_and(|ip| ip.is_ipv6()));
    if all_v6 {
        "IPv6"
    } else {
        "IPv4"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{EndpointPort as CorePort, EndpointSubset};

    fn address(ip: &str) -> EndpointAddress {
        EndpointAddress { ip: ip.to_string(), ..EndpointAddress::default() }
    }

    #[test]
    fn one_slice_per_subset_with_readiness_and_ports() {
        let endpoints = Endpoints {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("shop".into()),
                ..ObjectMeta::default()
            },
            subsets: Some(vec![
                EndpointSubset {
                    addresses: Some(vec![address("10.0.0.1")]),
                    not_ready_addresses: Some(vec![address("10.0.0.2")]),
                    ports: Some(vec![CorePort {
                        name: Some("http".into()),
                        port: 8080,
                        protocol: Some("TCP".into()),
                        app_protocol: None,
                    }]),
                },
                EndpointSubset { addresses: Some(vec![address("fd00::1")]), ..Default::default() },
            ]),
        };
        let slices = endpoints_to_slices(endpoints);
        assert_eq!(slices.len(), 2);
        let first = &slices[0];
        assert_eq!(first.metadata.name.as_deref(), Some("web-endpoints-0"));
        assert_eq!(first.metadata.namespace.as_deref(), Some("shop"));
        let labels = first.metadata.labels.as_ref().unwrap();
        assert_eq!(labels.get(SERVICE_NAME_LABEL).map(String::as_str), Some("web"));
        assert_eq!(first.address_type, "IPv4");
        let ready: Vec<_> = first
            .endpoints
            .iter()
            .flatten()
            .map(|e| (e.addresses[0].as_str(), e.conditions.as_ref().unwrap().ready))
            .collect();
        assert_eq!(ready, vec![("10.0.0.1", Some(true)), ("10.0.0.2", Some(false))]);
        let port = &first.ports.as_ref().unwrap()[0];
        assert_eq!((port.name.as_deref(), port.port), (Some("http"), Some(8080)));
        assert_eq!(slices[1].address_type, "IPv6");
        assert_eq!(slices[1].ports, None);
    }

    #[test]
    fn string_data_wins_over_data() {
        let mut secret = Secret {
            data: Some(BTreeMap::from([
                ("a".to_string(), ByteString(b"old".to_vec())),
                ("b".to_string(), ByteString(b"keep".to_vec())),
            ])),
            string_data: Some(BTreeMap::from([("a".to_string(), "new".to_string())])),
            ..Secret::default()
        };
        merge_string_data(&mut secret);
        let data = secret.data.unwrap();
        assert_eq!(data["a"].0, b"new");
        assert_eq!(data["b"].0, b"keep");
        assert!(secret.string_data.is_none());
    }
}
