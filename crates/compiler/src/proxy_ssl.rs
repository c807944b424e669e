//! TLS toward backends (`proxy-ssl-secret`): the Ingress's Secret read into
//! [`UpstreamTls`] on its policy, or the Ingress's locations denied (503) when it cannot be
//! honoured, as ingress-nginx's `proxyssl` parser does (Secret missing, in another namespace
//! without `allow-cross-namespace-resources`, or holding neither `tls.crt`/`tls.key` nor
//! `ca.crt`). A location asking for verification never runs unverified.

use std::sync::Arc;

use portico_annotations::ProxySslRequest;
use portico_model::{
    ClientCert, Diagnostic, GlobalConfig, LocationPolicy, UpstreamTls, DEFAULT_PROXY_SSL_NAME,
};
use portico_store::Objects;

use crate::ingress::{attach, Extracted};
use crate::secret;

/// `policy` with the Ingress's `proxy-ssl-*` resolved onto `policy.upstream.tls`, or denied.
pub(crate) fn apply(
    ingress: &Extracted,
    mut policy: Arc<LocationPolicy>,
    objects: &Objects,
    global: &GlobalConfig,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Arc<LocationPolicy> {
    let Some(request) = &ingress.annotations.proxy_ssl else { return policy };
    let outcome = match request {
        // Reported by the annotation parser.
        Err(reason) => Err(reason.clone()),
        Ok(request) => {
            read(request, &ingress.key.namespace, objects, global).inspect_err(|reason| {
                let message =
                    format!("proxy-ssl: {reason}; every path of this Ingress answers 503");
                let field = format!("metadata.annotations[\"{prefix}/proxy-ssl-secret\"]");
                let d = Diagnostic::error(message).with_field(field);
                diagnostics.push(attach(d, &ingress.object, ingress.file.as_deref()));
            })
        }
    };
    let policy_mut = Arc::make_mut(&mut policy);
    match outcome {
        Ok(tls) => {
            let asked_verify = matches!(request, Ok(r) if r.verify);
            if asked_verify && tls.ca_pem.is_none() {
                let message = "proxy-ssl-verify is on but the Secret has no ca.crt: the backend                                certificate is not verified, as in ingress-nginx";
                let field = format!("metadata.annotations[\"{prefix}/proxy-ssl-verify\"]");
                let d = Diagnostic::warning(message).with_field(field);
                diagnostics.push(attach(d, &ingress.object, ingress.file.as_deref()));
            }
            if tls.verify && tls.name == DEFAULT_PROXY_SSL_NAME {
                let message = "proxy-ssl-verify is on without proxy-ssl-name: the backend \
                               certificate must cover \"upstream_balancer\", as in ingress-nginx";
                let field = format!("metadata.annotations[\"{prefix}/proxy-ssl-verify\"]");
                let d = Diagnostic::warning(message).with_field(field);
                diagnostics.push(attach(d, &ingress.object, ingress.file.as_deref()));
            }
            policy_mut.upstream.tls = Some(Arc::new(tls));
        }
        Err(reason) => {
            policy_mut.denied.get_or_insert_with(|| Arc::from(format!("proxy-ssl: {reason}")));
        }
    }
    policy
}

/// Reads the Secret of `request`; `Err` is the denial reason.
fn read(
    request: &ProxySslRequest,
    ingress_namespace: &str,
    objects: &Objects,
    global: &GlobalConfig,
) -> Result<UpstreamTls, String> {
    let namespace = Some(request.secret_namespace.as_str());
    let (key, sourced) =
        secret::referenced(namespace, &request.secret_name, ingress_namespace, objects, global)?;
    let data = secret::data(&sourced.object);
    let ca_pem = data.get("ca.crt").map(|ca| Arc::<[u8]>::from(*ca));
    let client_cert = match (data.get("tls.crt"), data.get("tls.key")) {
        (Some(cert), Some(key)) => {
            Some(ClientCert { cert_pem: Arc::from(*cert), key_pem: Arc::from(*key) })
        }
        _ => None,
    };
    if ca_pem.is_none() && client_cert.is_none() {
        return Err(format!("secret {key} has neither tls.crt/tls.key nor ca.crt"));
    }
    // nginx renders verify, depth, protocols and ciphers only with a CA (ingress-nginx's template).
    let with_ca = ca_pem.is_some();
    let tls = UpstreamTls {
        secret: secret::object_ref(&key),
        ca_pem,
        client_cert,
        verify: with_ca && request.verify,
        verify_depth: request.verify_depth,
        name: request.name.clone().unwrap_or_else(|| DEFAULT_PROXY_SSL_NAME.to_string()),
        server_name: request.server_name,
        versions: if with_ca { request.versions } else { Default::default() },
        ciphers: if with_ca { request.ciphers.clone() } else { Vec::new() },
    };
    portico_tls::check_upstream_tls(&tls).map_err(|e| format!("secret {key}: {e}"))?;
    Ok(tls)
}
