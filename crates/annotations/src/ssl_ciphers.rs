//! `ssl-ciphers` and `ssl-prefer-server-ciphers` (ingress-nginx `annotations/sslcipher`):
//! nginx's server-level `ssl_ciphers` and `ssl_prefer_server_ciphers` for the hosts of the
//! Ingress (the compiler gives each host the oldest Ingress's values). Portico terminates TLS
//! with rustls: the cipher list is mapped as the ConfigMap's `ssl-ciphers` is (TLS 1.2 suites
//! only; names rustls does not offer are dropped with a warning).
//!
//! Invalid values, as ingress-nginx's parser: an `ssl-ciphers` failing its regex is returned
//! as a validation error (the Ingress is not loaded); an invalid `ssl-prefer-server-ciphers`
//! is ignored (the host keeps the listener's order rule).

use std::sync::LazyLock;

use regex::Regex;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::{value, IngressAnnotations};

/// ingress-nginx's `regexValidSSLCipher`, applied with spaces removed.
static CIPHER_LIST: LazyLock<Regex> = LazyLock::new(|| {
    value::static_regex(
        r"^(?:(?:[A-Za-z0-9!:+\-_])*(?:@STRENGTH)*(?:@SECLEVEL=[0-5])*(?:@STRENGTH)*)*$",
    )
});

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec::new(
        "ssl-ciphers",
        ValueKind::String,
        Validator {
            describe: "OpenSSL cipher list (letters, digits, !:+-_, @STRENGTH, @SECLEVEL=n)",
            check: |v| match CIPHER_LIST.is_match(&v.replace(' ', "")) {
                true => Ok(()),
                false => Err("not an OpenSSL cipher list".to_string()),
            },
        },
        Scope::Host,
        Risk::Low,
        "TLS 1.2 suites of the host's handshakes, as the ConfigMap's ssl-ciphers (names rustls \
         does not offer are ignored with a warning); the oldest Ingress of the host decides.",
    )
    .on_invalid(OnInvalid::Fatal),
    AnnotationSpec::new(
        "ssl-prefer-server-ciphers",
        ValueKind::Bool,
        Validator { describe: "bool (Go ParseBool)", check: |v| value::parse_bool(v).map(drop) },
        Scope::Host,
        Risk::Low,
        "true: the host's suite order decides, false: the client's (Portico's listener follows \
         the client's); the oldest Ingress of the host decides.",
    ),
];

/// Applies the family onto `out.host_tls`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    out.host_tls.prefer_server_ciphers = ctx.bool("ssl-prefer-server-ciphers");
    let Some(list) = ctx.value("ssl-ciphers") else { return };
    match crate::config::map_ciphers(list) {
        Ok((suites, unknown)) => {
            if !unknown.is_empty() {
                let message = format!(
                    "ssl-ciphers {} not offered by Portico (rustls): ignored",
                    unknown.join(":")
                );
                ctx.warn("ssl-ciphers", message);
            }
            out.host_tls.tls12_suites = Some(suites);
        }
        Err(reason) => {
            let message = format!("{list:?} {reason}: ignored, the host keeps the ConfigMap's");
            ctx.warn("ssl-ciphers", message);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use portico_model::Severity;

    use crate::tests::{diags_for, parse};

    #[test]
    fn ingress_nginx_cases() {
        let parsed = parse(&[
            ("ssl-ciphers", "ALL:!aNULL:!EXPORT56:RC4+RSA:+HIGH:+MEDIUM:+LOW:+SSLv2:+EXP"),
            ("ssl-prefer-server-ciphers", "false"),
        ]);
        assert!(!parsed.fatal);
        let tls = &parsed.annotations.host_tls;
        assert_eq!(tls.tls12_suites.as_ref().unwrap().len(), 6, "ALL names every suite");
        assert_eq!(tls.prefer_server_ciphers, Some(false));
        let warned = diags_for(&parsed, "ssl-ciphers");
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(warned[0].message.contains("RC4+RSA"), "{}", warned[0].message);
        for list in [
            "ALL:!aNULL:!EXPORT56@SECLEVEL=2:RC4+RSA:+HIGH",
            "ALL:!aNULL:+EXP@STRENGTH@SECLEVEL=3",
            "ECDHE-RSA-AES256-GCM-SHA384 : ECDHE-RSA-AES128-GCM-SHA256",
        ] {
            let parsed = parse(&[("ssl-ciphers", list)]);
            assert!(!parsed.fatal, "{list}");
            assert!(parsed.annotations.host_tls.tls12_suites.is_some(), "{list}");
        }
        let parsed = parse(&[("ssl-prefer-server-ciphers", "true")]);
        assert_eq!(parsed.annotations.host_tls.prefer_server_ciphers, Some(true));
        assert_eq!(parsed.annotations.host_tls.tls12_suites, None);
    }

    #[test]
    fn named_suites_keep_their_order() {
        let parsed = parse(&[(
            "ssl-ciphers",
            "ECDHE-RSA-CHACHA20-POLY1305:TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:DHE-RSA-AES128-SHA",
        )]);
        assert!(parsed.diagnostics.is_empty(), "DHE dropped silently: {:?}", parsed.diagnostics);
        assert_eq!(
            parsed.annotations.host_tls.tls12_suites.unwrap(),
            [
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            ]
        );
    }

    #[test]
    fn invalid_values_follow_ingress_nginx() {
        let parsed = parse(&[("ssl-ciphers", "ALL:SOMETHING:;locationXPTO")]);
        assert!(parsed.fatal, "a validation error: the Ingress is not loaded");
        assert_eq!(diags_for(&parsed, "ssl-ciphers")[0].severity, Severity::Error);
        let parsed = parse(&[("ssl-prefer-server-ciphers", "yes")]);
        assert!(!parsed.fatal);
        assert_eq!(parsed.annotations.host_tls.prefer_server_ciphers, None);
        // Only TLS 1.3 names: nothing Portico can restrict; the host keeps the ConfigMap's.
        let parsed = parse(&[("ssl-ciphers", "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256")]);
        assert!(!parsed.fatal);
        assert_eq!(parsed.annotations.host_tls.tls12_suites, None);
        assert_eq!(diags_for(&parsed, "ssl-ciphers")[0].severity, Severity::Warning);
    }
}
