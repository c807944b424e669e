//! `default-backend` and `custom-http-errors` per location, once endpoints are known
//! (ingress-nginx `controller.go` `getBackendServers`, the template's custom-default-backend
//! headers and `CUSTOM_ERRORS` block):
//! - a location whose backend has no endpoints is served by its Ingress's `default-backend`
//!   Service (first port) when that has endpoints, which then receives `X-Code: 503`,
//!   `X-Format`, `X-Namespace`, `X-Ingress-Name`, `X-Service-Name`, `X-Service-Port`;
//! - the custom error pages of a location go to that Service when it has endpoints, else to
//!   the global default backend (or Portico's 404 page when there is none).
//!
//! A `default-backend` Service that is missing or has no endpoints is ignored with a warning
//! (ingress-nginx ignores the annotation, or uses the Service only once it has endpoints).

use std::collections::HashMap;
use std::sync::Arc;

use portico_model::{
    Backend, BackendId, CustomErrors, Diagnostic, Filter, HeaderName, Location, LocationPolicy,
    ObjectRef, Part, RouteTable, Target, Template, Var,
};
use portico_store::{ObjectKey, Objects};

use crate::backends::{first_port_backend, SliceIndex};
use crate::ingress::attach;
use crate::servers::Prepared;

/// What the step reads besides the table.
pub(crate) struct Inputs<'a> {
    pub prepared: &'a [Prepared],
    pub objects: &'a Objects,
    pub slices: &'a SliceIndex,
    /// The global default backend (remapped), or `NotFound`.
    pub default_target: Target,
    /// The ConfigMap's `load-balance`.
    pub load_balance: portico_model::LbAlgorithm,
    /// `--annotations-prefix`, for diagnostics.
    pub prefix: &'a str,
}

/// Applies both annotations to every location of `table`; custom backends are appended to
/// `table.backends`.
pub(crate) fn apply(table: &mut RouteTable, inputs: &Inputs<'_>, out: &mut Vec<Diagnostic>) {
    // Most tables use neither: no map of every Ingress, no pass over locations by name.
    let custom_backends =
        inputs.prepared.iter().any(|p| p.ingress.annotations.default_backend.is_some());
    let servers = table.servers.iter().chain(std::iter::once(&table.default_server));
    let custom_errors = servers
        .flat_map(|s| &s.locations)
        .any(|l| l.policy.filters.custom_errors().is_some_and(|e| !e.codes.is_empty()));
    if !custom_backends && !custom_errors {
        return;
    }
    let by_object: HashMap<&ObjectRef, &Prepared> =
        inputs.prepared.iter().map(|p| (&*p.ingress.object, p)).collect();
    let mut custom: HashMap<ObjectKey, Option<BackendId>> = HashMap::new();
    let mut servers = std::mem::take(&mut table.servers);
    for server in servers.iter_mut().chain(std::iter::once(&mut table.default_server)) {
        for location in &mut server.locations {
            let prepared = location.ingress.as_ref().and_then(|o| by_object.get(&**o)).copied();
            let backend = prepared
                .and_then(|p| custom_backend(p, inputs, &mut table.backends, &mut custom, out));
            adjust(location, prepared, backend, inputs.default_target, &table.backends);
        }
    }
    table.servers = servers;
}

/// The `default-backend` of `prepared` when its Service has endpoints (resolved once per
/// Service and build).
fn custom_backend(
    prepared: &Prepared,
    inputs: &Inputs<'_>,
    backends: &mut Vec<Backend>,
    cache: &mut HashMap<ObjectKey, Option<BackendId>>,
    out: &mut Vec<Diagnostic>,
) -> Option<BackendId> {
    let ingress = &prepared.ingress;
    let name = ingress.annotations.default_backend.as_deref()?;
    let key = ObjectKey::new(&ingress.key.namespace, name);
    if let Some(id) = cache.get(&key) {
        return *id;
    }
    let upstream = format!("custom-default-backend-{}-{name}", key.namespace);
    let algorithm = ingress.annotations.load_balance.unwrap_or(inputs.load_balance);
    let resolved = first_port_backend(&key, &upstream, inputs.objects, inputs.slices, algorithm)
        .and_then(|b| match b.endpoints.is_empty() {
            true => Err(format!("service {key} has no ready endpoints")),
            false => Ok(b),
        });
    let id = match resolved {
        Ok(backend) => {
            backends.push(backend);
            Some(BackendId(backends.len() - 1))
        }
        Err(why) => {
            let message = format!("default-backend {name:?}: {why}; ignored (as ingress-nginx)");
            let field = format!("metadata.annotations[\"{}/default-backend\"]", inputs.prefix);
            let d = Diagnostic::warning(message).with_field(field);
            out.push(attach(d, &ingress.object, ingress.file.as_deref()));
            None
        }
    };
    cache.insert(key, id);
    id
}

/// One location: the swap to the default backend, and its custom errors completed.
fn adjust(
    location: &mut Location,
    prepared: Option<&Prepared>,
    custom: Option<BackendId>,
    default_target: Target,
    backends: &[Backend],
) {
    let empty = |id: BackendId| backends.get(id.0).is_none_or(|b| b.endpoints.is_empty());
    let swap = match (location.target(), custom) {
        (Target::Backend(id), Some(custom)) if empty(id) => Some(custom),
        _ => None,
    };
    let errors = location.policy.filters.custom_errors().filter(|e| !e.codes.is_empty());
    if swap.is_none() && errors.is_none() {
        return;
    }
    // Only now: most locations have neither, and the names are five strings.
    let names = Names::of(location, prepared, backends);
    let mut policy = LocationPolicy::clone(&location.policy);
    if let Some(errors) = errors {
        let target = custom.map_or(default_target, Target::Backend);
        let completed = CustomErrors {
            codes: errors.codes.clone(),
            target,
            pass_upstream: errors.pass_upstream,
            ..names.errors()
        };
        policy.filters.set(Filter::CustomErrors(Arc::new(completed)));
    }
    if let Some(custom) = swap {
        location.backends.set_primary(Target::Backend(custom));
        add_upstream_headers(&mut policy, names.headers());
    }
    location.policy = Arc::new(policy);
}

/// `$namespace`, `$ingress_name`, `$service_name`, `$service_port` of a location.
#[derive(Debug, Default)]
struct Names {
    namespace: String,
    ingress: String,
    service: String,
    port: String,
}

impl Names {
    fn of(location: &Location, prepared: Option<&Prepared>, backends: &[Backend]) -> Self {
        let Some(prepared) = prepared else { return Self::default() };
        let key = &prepared.ingress.key;
        let backend = match location.target() {
            Target::Backend(id) => backends.get(id.0),
            Target::NotFound => None,
        };
        let (service, port) = backend.map_or_else(Default::default, |b| {
            let prefix = format!("{}-{}-", b.namespace, b.service);
            (b.service.clone(), b.name.strip_prefix(&prefix).unwrap_or_default().to_string())
        });
        Self { namespace: key.namespace.clone(), ingress: key.name.clone(), service, port }
    }

    fn errors(&self) -> CustomErrors {
        CustomErrors {
            namespace: self.namespace.clone(),
            ingress: self.ingress.clone(),
            service: self.service.clone(),
            port: self.port.clone(),
            ..CustomErrors::default()
        }
    }

    /// The headers ingress-nginx sets toward a custom default backend (its `X-Request-ID` is
    /// the one Portico sends on every request).
    fn headers(&self) -> Vec<(HeaderName, Template)> {
        let literal = |value: &str| Template {
            raw: value.to_string(),
            parts: vec![Part::Literal(value.to_string())],
        };
        let accept = Template {
            raw: "$http_accept".to_string(),
            parts: vec![Part::Var(Var::Header(HeaderName::from_static("accept")))],
        };
        vec![
            (HeaderName::from_static("x-code"), literal("503")),
            (HeaderName::from_static("x-format"), accept),
            (HeaderName::from_static("x-namespace"), literal(&self.namespace)),
            (HeaderName::from_static("x-ingress-name"), literal(&self.ingress)),
            (HeaderName::from_static("x-service-name"), literal(&self.service)),
            (HeaderName::from_static("x-service-port"), literal(&self.port)),
        ]
    }
}

/// Appends `headers` to the location's `proxy_set_header` list (a snippet's stays).
fn add_upstream_headers(policy: &mut LocationPolicy, headers: Vec<(HeaderName, Template)>) {
    let mut all: Vec<(HeaderName, Template)> = policy
        .filters
        .iter()
        .find_map(|f| match f {
            Filter::UpstreamHeaders(sets) => Some(sets.to_vec()),
            _ => None,
        })
        .unwrap_or_default();
    all.extend(headers);
    policy.filters.set(Filter::UpstreamHeaders(all.into()));
}
