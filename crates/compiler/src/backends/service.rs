//! One Service port resolved to endpoints (spec §6): port matching, EndpointSlice ports,
//! readiness, ExternalName.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use portico_model::{Endpoint, Severity};
use portico_store::{ObjectKey, Objects};

use super::slices::{Address, SliceIndex};
use crate::host::dns1123_subdomain;
use crate::ingress::PortRef;

/// Endpoints of a Service port, and why there are none when that is the case.
#[derive(Debug, Default)]
pub(crate) struct Resolution {
    /// Deduplicated and sorted.
    pub endpoints: Vec<Endpoint>,
    pub problem: Option<Problem>,
}

/// Why a backend has no endpoints.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub severity: Severity,
    pub message: String,
    /// Appended to the referencing `...backend.service` field: `.name`, `.port` or empty.
    pub field_suffix: &'static str,
}

/// Resolves `namespace/service` port `port` against the Service and its slices.
pub(crate) fn resolve(
    objects: &Objects,
    slices: &SliceIndex,
    namespace: &str,
    service: &str,
    port: &PortRef,
) -> Resolution {
    let key = ObjectKey::new(namespace, service);
    let Some(sourced) = objects.services.get(&key) else {
        return failed(Severity::Error, format!("service {key} not found"), ".name");
    };
    let svc: &Service = &sourced.object;
    let spec = svc.spec.clone().unwrap_or_default();
    let ports = spec.ports.as_deref().unwrap_or_default();
    let matched = ports.iter().find(|p| port_matches(p, port));
    if spec.type_.as_deref() == Some("ExternalName") {
        return external_name(&key, spec.external_name.as_deref(), ports, matched, port);
    }
    let Some(service_port) = matched else {
        return failed(
            Severity::Error,
            format!("service {key} has no port {}", show(port)),
            ".port",
        );
    };
    let endpoints = slice_endpoints(slices.get(namespace, service), service_port);
    if endpoints.is_empty() {
        let message = format!("service {key} port {} has no ready endpoints", show(port));
        return failed(Severity::Warning, message, "");
    }
    Resolution { endpoints, problem: None }
}

/// `service-upstream`'s endpoint: the Service's ClusterIP and the port the Ingress names (its
/// number, or the number of the port of that name), as ingress-nginx's
/// `getServiceClusterEndpoint`. `Err` says why there is none.
pub(crate) fn cluster_endpoint(
    objects: &Objects,
    namespace: &str,
    service: &str,
    port: &PortRef,
) -> Result<Endpoint, String> {
    let key = ObjectKey::new(namespace, service);
    let svc = objects.services.get(&key).ok_or_else(|| format!("service {key} not found"))?;
    let spec = svc.object.spec.as_ref();
    let ip =
        spec.and_then(|s| s.cluster_ip.as_deref()).filter(|ip| !ip.is_empty() && *ip != "None");
    let ip = ip.ok_or_else(|| format!("service {key} has no ClusterIP"))?;
    let ip: IpAddr =
        ip.parse().map_err(|_| format!("service {key} has an invalid ClusterIP {ip:?}"))?;
    let number = match port {
        PortRef::Number(n) => *n,
        PortRef::Name(name) => spec
            .and_then(|s| s.ports.as_ref()?.iter().find(|p| p.name.as_deref() == Some(name)))
            .map(|p| p.port)
            .ok_or_else(|| format!("service {key} has no port named {name:?}"))?,
    };
    let number =
        u16::try_from(number).map_err(|_| format!("service {key} port {number} is invalid"))?;
    Ok(Endpoint::Addr(SocketAddr::new(ip, number)))
}

/// ingress-nginx's match of the Ingress port against a Service port: by `port` number, by
/// `targetPort` (as a string), or by `name`.
fn port_matches(service_port: &ServicePort, port: &PortRef) -> bool {
    let wanted = show(port);
    service_port.port.to_string() == wanted
        || target_port_string(service_port) == wanted
        || service_port.name.as_deref() == Some(wanted.as_str())
}

/// `targetPort` as Go's `IntOrString.String()`; unset defaults to `port`, as the API does.
fn target_port_string(service_port: &ServicePort) -> String {
    match &service_port.target_port {
        Some(IntOrString::Int(n)) => n.to_string(),
        Some(IntOrString::String(s)) => s.clone(),
        None => service_port.port.to_string(),
    }
}

/// A numeric `targetPort` (unset = `port`), when there is one.
fn numeric_target_port(service_port: &ServicePort) -> Option<u16> {
    match &service_port.target_port {
        Some(IntOrString::Int(n)) => u16::try_from(*n).ok(),
        Some(IntOrString::String(_)) => None,
        None => u16::try_from(service_port.port).ok(),
    }
    .filter(|p| *p != 0)
}

/// Every ready address of every slice on the slice port of `service_port`: same name (any
/// port when the service port is unnamed), TCP only, else the numeric targetPort; a slice
/// without ports uses the numeric targetPort.
fn slice_endpoints(
    slices: &[super::slices::ParsedSlice],
    service_port: &ServicePort,
) -> Vec<Endpoint> {
    let name = service_port.name.as_deref().unwrap_or_default();
    let fallback = numeric_target_port(service_port);
    let mut endpoints = BTreeSet::new();
    for slice in slices {
        let ports: Vec<u16> = if slice.ports.is_empty() {
            fallback.into_iter().collect()
        } else {
            let by_name = |p: &super::slices::SlicePort| {
                (name.is_empty() || p.name == name).then_some(p.port)
            };
            slice.ports.iter().filter(|p| p.tcp).filter_map(|p| by_name(p).or(fallback)).collect()
        };
        for address in &slice.ready {
            for &port in &ports {
                endpoints.insert(match address {
                    Address::Ip(ip) => Endpoint::Addr(SocketAddr::new(*ip, port)),
                    Address::Dns(host) => Endpoint::Dns { host: host.clone(), port },
                });
            }
        }
    }
    endpoints.into_iter().collect()
}

/// An ExternalName Service: one DNS endpoint on the service port's numeric targetPort (else
/// its port), or the Ingress port number when the Service lists no ports. Loopback names and
/// non-DNS names are refused, as ingress-nginx does.
fn external_name(
    key: &ObjectKey,
    external_name: Option<&str>,
    ports: &[ServicePort],
    matched: Option<&ServicePort>,
    port: &PortRef,
) -> Resolution {
    let raw = external_name.unwrap_or_default();
    let lower = raw.to_ascii_lowercase();
    let host = lower.strip_suffix('.').unwrap_or(&lower);
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
    if loopback || dns1123_subdomain(host).is_err() {
        let message = format!(
            "service {key}: externalName {raw:?} is not allowed (loopback or not a DNS name)"
        );
        return failed(Severity::Error, message, ".name");
    }
    let resolved_port = match (matched, port) {
        (Some(service_port), _) => {
            numeric_target_port(service_port).or_else(|| u16::try_from(service_port.port).ok())
        }
        (None, PortRef::Number(n)) if ports.is_empty() => u16::try_from(*n).ok(),
        (None, _) => None,
    };
    let Some(port_number) = resolved_port.filter(|p| *p != 0) else {
        return failed(
            Severity::Error,
            format!("service {key} has no port {}", show(port)),
            ".port",
        );
    };
    let endpoints = vec![Endpoint::Dns { host: host.to_string(), port: port_number }];
    Resolution { endpoints, problem: None }
}

/// The Ingress port as written: a number or a name.
pub(crate) fn show(port: &PortRef) -> String {
    match port {
        PortRef::Number(n) => n.to_string(),
        PortRef::Name(name) => name.clone(),
    }
}

fn failed(severity: Severity, message: String, field_suffix: &'static str) -> Resolution {
    Resolution { endpoints: Vec::new(), problem: Some(Problem { severity, message, field_suffix }) }
}
