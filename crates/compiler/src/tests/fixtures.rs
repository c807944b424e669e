//! Builders for the Kubernetes objects the compiler reads, and a [`World`] to compile them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Secret, Service, ServicePort, ServiceSpec};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressClass, IngressClassSpec,
    IngressRule, IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;
use portico_store::{ObjectKey, Objects, Sourced};

use crate::{Compiled, Compiler, Options};

pub const PREFIX: &str = "nginx.ingress.kubernetes.io";

/// The CLI defaults.
pub fn options() -> Options {
    Options {
        ingress_class: "portico".to_string(),
        controller_class: "portico.dev/ingress-controller".to_string(),
        watch_ingress_without_class: false,
        annotations_prefix: PREFIX.to_string(),
        configmap: None,
        default_backend_service: None,
        default_ssl_certificate: None,
        enable_ssl_passthrough: false,
    }
}

/// A set of objects plus the options to compile them with.
#[derive(Default)]
pub struct World {
    pub objects: Objects,
    pub options: Option<Options>,
}

impl World {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn compile(&self) -> Compiled {
        Compiler::new(self.options.clone().unwrap_or_else(options)).compile(&self.objects)
    }

    pub fn ingress(&mut self, ingress: IngressBuilder) -> &mut Self {
        let key = ObjectKey::new(&ingress.namespace, &ingress.name);
        let file = format!("{}.yaml", ingress.name);
        self.objects.ingresses.insert(key, Sourced::new(ingress.build(), Some(file)));
        self
    }

    pub fn service(&mut self, service: ServiceBuilder) -> &mut Self {
        let key = ObjectKey::new(&service.namespace, &service.name);
        self.objects.services.insert(key, Sourced::new(service.build(), None));
        self
    }

    pub fn slice(&mut self, slice: SliceBuilder) -> &mut Self {
        let key = ObjectKey::new(&slice.namespace, &slice.name);
        self.objects.endpoint_slices.insert(key, Sourced::new(slice.build(), None));
        self
    }

    pub fn secret(&mut self, namespace: &str, name: &str, data: &[(&str, &str)]) -> &mut Self {
        let data = data.iter().map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())));
        let secret = Secret {
            metadata: meta(namespace, name),
            data: Some(data.collect()),
            ..Default::default()
        };
        let key = ObjectKey::new(namespace, name);
        self.objects.secrets.insert(key, Sourced::new(secret, Some(format!("{name}.yaml"))));
        self
    }

    /// A Secret of `type_` (`None`: no type) with these data fields.
    pub fn typed_secret(
        &mut self,
        namespace: &str,
        name: &str,
        type_: Option<&str>,
        data: &[(&str, &[u8])],
    ) -> &mut Self {
        let data = data.iter().map(|(k, v)| (k.to_string(), ByteString(v.to_vec())));
        let secret = Secret {
            metadata: meta(namespace, name),
            type_: type_.map(str::to_string),
            data: Some(data.collect()),
            ..Default::default()
        };
        let key = ObjectKey::new(namespace, name);
        self.objects.secrets.insert(key, Sourced::new(secret, Some(format!("{name}.yaml"))));
        self
    }

    pub fn ingress_class(&mut self, name: &str, controller: &str) -> &mut Self {
        let class = IngressClass {
            metadata: meta("", name),
            spec: Some(IngressClassSpec {
                controller: Some(controller.to_string()),
                ..Default::default()
            }),
        };
        self.objects.ingress_classes.insert(ObjectKey::new("", name), Sourced::new(class, None));
        self
    }

    /// A ready Service `name` on port 80 → 8080 with one endpoint `ip`.
    pub fn backend(&mut self, namespace: &str, name: &str, ip: &str) -> &mut Self {
        self.service(service(namespace, name).port("http", 80, 8080));
        self.slice(slice(namespace, &format!("{name}-1"), name).port("http", 8080).ready(ip))
    }
}

fn meta(namespace: &str, name: &str) -> ObjectMeta {
    ObjectMeta {
        namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
        name: Some(name.to_string()),
        ..Default::default()
    }
}

/// An Ingress of class `portico` (set through `spec.ingressClassName`) unless changed.
pub fn ingress(namespace: &str, name: &str) -> IngressBuilder {
    IngressBuilder {
        namespace: namespace.to_string(),
        name: name.to_string(),
        created: None,
        uid: None,
        class: Some("portico".to_string()),
        annotations: BTreeMap::new(),
        rules: Vec::new(),
        default_backend: None,
        tls: Vec::new(),
    }
}

pub struct IngressBuilder {
    namespace: String,
    name: String,
    created: Option<i64>,
    uid: Option<String>,
    class: Option<String>,
    annotations: BTreeMap<String, String>,
    rules: Vec<IngressRule>,
    default_backend: Option<IngressBackend>,
    tls: Vec<IngressTLS>,
}

impl IngressBuilder {
    /// `creationTimestamp` as seconds since the epoch.
    pub fn created(mut self, seconds: i64) -> Self {
        self.created = Some(seconds);
        self
    }

    /// `metadata.uid`.
    pub fn uid(mut self, uid: &str) -> Self {
        self.uid = Some(uid.to_string());
        self
    }

    pub fn class(mut self, class: Option<&str>) -> Self {
        self.class = class.map(str::to_string);
        self
    }

    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.insert(key.to_string(), value.to_string());
        self
    }

    /// An annotation under the default prefix.
    pub fn nginx(self, name: &str, value: &str) -> Self {
        self.annotation(&format!("{PREFIX}/{name}"), value)
    }

    /// A rule; `host` empty = no host. `paths` are `(path, pathType, service, port)`.
    pub fn rule(mut self, host: &str, paths: &[(&str, &str, &str, Port)]) -> Self {
        let paths = paths
            .iter()
            .map(|(path, path_type, svc, port)| HTTPIngressPath {
                path: (!path.is_empty()).then(|| path.to_string()),
                path_type: path_type.to_string(),
                backend: backend(svc, port.clone()),
            })
            .collect();
        self.rules.push(IngressRule {
            host: (!host.is_empty()).then(|| host.to_string()),
            http: Some(HTTPIngressRuleValue { paths }),
        });
        self
    }

    /// A raw rule, for cases the tuple form cannot express.
    pub fn raw_rule(mut self, rule: IngressRule) -> Self {
        self.rules.push(rule);
        self
    }

    pub fn default_backend(mut self, svc: &str, port: Port) -> Self {
        self.default_backend = Some(backend(svc, port));
        self
    }

    /// A `spec.tls` entry with hosts and a Secret name (empty = none).
    pub fn tls_secret(mut self, hosts: &[&str], secret: &str) -> Self {
        self.tls.push(IngressTLS {
            hosts: (!hosts.is_empty()).then(|| hosts.iter().map(|h| h.to_string()).collect()),
            secret_name: (!secret.is_empty()).then(|| secret.to_string()),
        });
        self
    }

    pub fn tls(mut self, hosts: &[&str]) -> Self {
        self.tls.push(IngressTLS {
            hosts: Some(hosts.iter().map(|h| h.to_string()).collect()),
            secret_name: None,
        });
        self
    }

    pub fn build(self) -> Ingress {
        let mut metadata = meta(&self.namespace, &self.name);
        metadata.creation_timestamp = self
            .created
            .map(|s| Time(k8s_openapi::jiff::Timestamp::from_second(s).expect("valid timestamp")));
        metadata.annotations = (!self.annotations.is_empty()).then_some(self.annotations);
        metadata.uid = self.uid;
        Ingress {
            metadata,
            spec: Some(IngressSpec {
                ingress_class_name: self.class,
                rules: (!self.rules.is_empty()).then_some(self.rules),
                default_backend: self.default_backend,
                tls: (!self.tls.is_empty()).then_some(self.tls),
            }),
            status: None,
        }
    }
}

/// An Ingress port: by number or by name.
#[derive(Clone, Debug)]
pub enum Port {
    N(i32),
    Name(&'static str),
}

pub fn backend(svc: &str, port: Port) -> IngressBackend {
    let port = match port {
        Port::N(n) => ServiceBackendPort { number: Some(n), name: None },
        Port::Name(name) => ServiceBackendPort { number: None, name: Some(name.to_string()) },
    };
    IngressBackend {
        service: Some(IngressServiceBackend { name: svc.to_string(), port: Some(port) }),
        resource: None,
    }
}

pub fn service(namespace: &str, name: &str) -> ServiceBuilder {
    ServiceBuilder {
        namespace: namespace.to_string(),
        name: name.to_string(),
        spec: ServiceSpec { type_: Some("ClusterIP".to_string()), ..Default::default() },
    }
}

pub struct ServiceBuilder {
    namespace: String,
    name: String,
    spec: ServiceSpec,
}

impl ServiceBuilder {
    /// A TCP port; `name` empty = unnamed; `target` 0 = unset.
    pub fn port(self, name: &str, port: i32, target: i32) -> Self {
        self.port_to(name, port, (target != 0).then_some(IntOrString::Int(target)))
    }

    /// A port whose targetPort is a container port name.
    pub fn port_named_target(self, name: &str, port: i32, target: &str) -> Self {
        self.port_to(name, port, Some(IntOrString::String(target.to_string())))
    }

    fn port_to(mut self, name: &str, port: i32, target: Option<IntOrString>) -> Self {
        self.spec.ports.get_or_insert_with(Vec::new).push(ServicePort {
            name: (!name.is_empty()).then(|| name.to_string()),
            port,
            target_port: target,
            ..Default::default()
        });
        self
    }

    pub fn cluster_ip(mut self, ip: &str) -> Self {
        self.spec.cluster_ip = Some(ip.to_string());
        self
    }

    pub fn headless(mut self) -> Self {
        self.spec.cluster_ip = Some("None".to_string());
        self
    }

    pub fn external_name(mut self, host: &str) -> Self {
        self.spec.type_ = Some("ExternalName".to_string());
        self.spec.external_name = Some(host.to_string());
        self
    }

    pub fn build(self) -> Service {
        Service { metadata: meta(&self.namespace, &self.name), spec: Some(self.spec), status: None }
    }
}

/// An IPv4 EndpointSlice of Service `service`.
pub fn slice(namespace: &str, name: &str, service: &str) -> SliceBuilder {
    SliceBuilder {
        namespace: namespace.to_string(),
        name: name.to_string(),
        service: Some(service.to_string()),
        ports: None,
        endpoints: Vec::new(),
    }
}

pub struct SliceBuilder {
    namespace: String,
    name: String,
    service: Option<String>,
    ports: Option<Vec<EndpointPort>>,
    endpoints: Vec<Endpoint>,
}

impl SliceBuilder {
    /// A TCP port; `name` empty = unnamed.
    pub fn port(self, name: &str, port: i32) -> Self {
        self.port_proto(name, port, "TCP")
    }

    pub fn port_proto(mut self, name: &str, port: i32, protocol: &str) -> Self {
        self.ports.get_or_insert_with(Vec::new).push(EndpointPort {
            name: Some(name.to_string()),
            port: Some(port),
            protocol: Some(protocol.to_string()),
            app_protocol: None,
        });
        self
    }

    pub fn ready(self, ip: &str) -> Self {
        self.endpoint(&[ip], Some(true))
    }

    pub fn endpoint(mut self, ips: &[&str], ready: Option<bool>) -> Self {
        self.endpoints.push(Endpoint {
            addresses: ips.iter().map(|ip| ip.to_string()).collect(),
            conditions: Some(EndpointConditions { ready, serving: None, terminating: None }),
            ..Default::default()
        });
        self
    }

    pub fn unlabelled(mut self) -> Self {
        self.service = None;
        self
    }

    pub fn build(self) -> EndpointSlice {
        let mut metadata = meta(&self.namespace, &self.name);
        metadata.labels = self
            .service
            .map(|service| BTreeMap::from([("kubernetes.io/service-name".to_string(), service)]));
        EndpointSlice {
            address_type: "IPv4".to_string(),
            endpoints: Some(self.endpoints),
            metadata,
            ports: self.ports,
        }
    }
}
