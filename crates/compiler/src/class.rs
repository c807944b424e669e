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

/// An Ingress skipped because it is of another class (for `portico check --show-skipped`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub key: ObjectKey,
    pub file: Option<String>,
    /// The class it names: `ingressClassName nginx`, `annotation kubernetes.io/ingress.class
    /// nginx`, or that it names none.
    pub class: String,
}

/// Every Ingress of `objects` that [`is_ours`] skips, in key order.
pub fn skipped(objects: &Objects, options: &Options) -> Vec<Skipped> {
    objects
        .ingresses
        .iter()
        .filter(|(_, sourced)| !is_ours(&sourced.object, objects, options))
        .map(|(key, sourced)| Skipped {
            key: key.clone(),
            file: sourced.file.as_deref().map(str::to_owned),
            class: class_of(&sourced.object),
        })
        .collect()
}

fn class_of(ingress: &Ingress) -> String {
    let field = ingress.spec.as_ref().and_then(|spec| spec.ingress_class_name.as_deref());
    let annotations = ingress.metadata.annotations.as_ref();
    match (field, annotations.and_then(|a| a.get(CLASS_ANNOTATION))) {
        (Some(class), _) => format!("ingressClassName {class}"),
        (None, Some(class)) => format!("annotation {CLASS_ANNOTATION} {class}"),
        (None, None) => "no class (see --watch-ingress-without-class)".to_string(),
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
