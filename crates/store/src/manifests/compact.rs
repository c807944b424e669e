//! Decoded objects trimmed to their length: serde grows a list as it reads it (to capacity 4,
//! then doubling), and an Ingress keeps its lists for as long as it is loaded. At 100,000
//! Ingresses of two paths each, the unused capacity of `rules` and `paths` alone was ~50 MiB.

use k8s_openapi::api::networking::v1::Ingress;

/// Shrinks the lists of `ingress` that grow with its size (rules, paths, TLS entries and
/// their hosts) to their length. The object is otherwise unchanged.
pub(super) fn ingress(ingress: &mut Ingress) {
    let Some(spec) = ingress.spec.as_mut() else { return };
    if let Some(rules) = spec.rules.as_mut() {
        rules.shrink_to_fit();
        for rule in rules {
            if let Some(http) = rule.http.as_mut() {
                http.paths.shrink_to_fit();
            }
        }
    }
    if let Some(tls) = spec.tls.as_mut() {
        tls.shrink_to_fit();
        for entry in tls {
            if let Some(hosts) = entry.hosts.as_mut() {
                hosts.shrink_to_fit();
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use k8s_openapi::api::networking::v1::{
        HTTPIngressPath, HTTPIngressRuleValue, IngressRule, IngressSpec,
    };

    #[test]
    fn lists_keep_their_items_and_lose_their_spare_capacity() {
        let mut paths = Vec::with_capacity(16);
        paths.push(HTTPIngressPath { path: Some("/a".into()), ..Default::default() });
        let rule = IngressRule { http: Some(HTTPIngressRuleValue { paths }), ..Default::default() };
        let mut rules = Vec::with_capacity(8);
        rules.push(rule);
        let spec = IngressSpec { rules: Some(rules), ..Default::default() };
        let mut object = Ingress { spec: Some(spec), ..Default::default() };
        let before = object.clone();
        ingress(&mut object);
        assert_eq!(object, before);
        let rules = object.spec.unwrap().rules.unwrap();
        assert_eq!(rules.capacity(), 1);
        assert_eq!(rules[0].http.as_ref().unwrap().paths.capacity(), 1);
    }
}
