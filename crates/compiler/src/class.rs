//! Ingress class selection (spec §4.5, adapted as issue 2 says): which Ingresses are ours.

use k8s_openapi::api::networking::v1::Ingress;
use portico_store::{ObjectKey, Objects};

use crate::Options;

/// The legacy class annotation, still honoured when `spec.ingressClassName` is absent.
pub(crate) const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// Decides whether `ingress` belongs to this controller (also used by cluster mode to decide
/// which Ingresses get our status).
///
/// 1. `spec.ingressClassName` set: ours if it equals `--ingress-class` (no IngressClass object
///    needed) or names an IngressClass whose `spec.controller` is `--controller-class`. The
///    field wins: the annotation is not consulted even when the field does not match.
/// 2. else the `kubernetes.io/ingress.class` annotation, when present, must equal
///    `--ingress-class` exactly (an empty value is not a match).
/// 3. else only with `--watch-ingress-without-class`.
pub fn is_ours(ingress: &Ingress, objects: &Objects, options: &Options) -> bool {
    let field = ingress.spec.as_ref().and_then(|spec| spec.ingress_class_name.as_deref());
    if let Some(name) = field {
        return name == options.ingress_class || class_has_our_controller(name, objects, options);
    }
    let annotation = ingress.metadata.annotations.as_ref().and_then(|a| a.get(CLASS_ANNOTATION));
    match annotation {
        Some(value) => *value == options.ingress_class,
        None => options.watch_ingress_without_class,
    }
}

/// An IngressClass `name` exists and its `spec.controller` is our controller class.
fn class_has_our_controller(name: &str, objects: &Objects, options: &Options) -> bool {
    objects
        .ingress_classes
        .get(&ObjectKey::new("", name))
        .and_then(|class| class.object.spec.as_ref())
        .and_then(|spec| spec.controller.as_deref())
        .is_some_and(|controller| controller == options.controller_class)
}
