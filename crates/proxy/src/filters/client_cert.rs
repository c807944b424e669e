//! `auth-tls-*`: the access decision on the client certificate the connection presented
//! (verified against the SNI host's CA right after the handshake, [`crate::tls`]), and the
//! `ssl-client-*` headers sent upstream, as ingress-nginx's template and nginx do:
//!
//! - the request's host asks for certificates but the connection was verified for another
//!   host (SNI ≠ Host): 421, as nginx;
//! - no certificate with `on` (or over plain HTTP, where nginx would not check at all): 400
//!   "No required SSL certificate was sent";
//! - a certificate that failed (with `on`/`optional`; `optional_no_ca` tolerates an unknown
//!   issuer): 400 "The SSL certificate error";
//! - both 400s redirect (302) to `auth-tls-error-page` when set;
//! - `auth-tls-match-cn` not matching the subject DN: 403.

use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use portico_model::{ClientAuth, VerifyClient};
use portico_tls::{PeerCert, Verification};

use super::{FilterRequest, Step};
use crate::config::ConnInfo;
use crate::error::{redirect, ProxyError};

const SSL_CLIENT_CERT: HeaderName = HeaderName::from_static("ssl-client-cert");
const SSL_CLIENT_VERIFY: HeaderName = HeaderName::from_static("ssl-client-verify");
const SSL_CLIENT_SUBJECT_DN: HeaderName = HeaderName::from_static("ssl-client-subject-dn");
const SSL_CLIENT_ISSUER_DN: HeaderName = HeaderName::from_static("ssl-client-issuer-dn");

/// A connection's client certificate, verified, with its header values rendered once.
#[derive(Debug)]
pub(crate) struct ConnCert {
    peer: PeerCert,
    verify: HeaderValue,
    subject: Option<HeaderValue>,
    issuer: Option<HeaderValue>,
    cert: Option<HeaderValue>,
}

// === impl ConnCert ===

impl ConnCert {
    pub(crate) fn new(peer: PeerCert) -> Self {
        let value = |s: &str| (!s.is_empty()).then(|| HeaderValue::try_from(s).ok()).flatten();
        Self {
            verify: value(&peer.verification.to_value())
                .unwrap_or_else(|| HeaderValue::from_static("NONE")),
            subject: value(&peer.subject),
            issuer: value(&peer.issuer),
            cert: peer.escaped_pem.as_deref().and_then(value),
            peer,
        }
    }

    /// Verified under these settings (the same host's, or an equal one after a table swap).
    fn verified_for(&self, auth: &Arc<ClientAuth>) -> bool {
        Arc::ptr_eq(&self.peer.auth, auth) || *self.peer.auth == **auth
    }
}

/// The connection's certificate when it was verified under `auth`.
fn cert_for<'c>(conn: &'c ConnInfo, auth: &Arc<ClientAuth>) -> Option<&'c ConnCert> {
    conn.client_cert.as_deref().filter(|cert| cert.verified_for(auth))
}

pub(super) fn apply(auth: &Arc<ClientAuth>, req: &FilterRequest<'_>) -> Result<Step, ProxyError> {
    let cert = cert_for(req.conn, auth);
    if auth.verify.requests_certificate() {
        if req.conn.tls && cert.is_none() {
            return Err(ProxyError::Misdirected);
        }
        let verification = cert.map_or(&Verification::None, |c| &c.peer.verification);
        let refused = match (auth.verify, verification) {
            (_, Verification::Success) => None,
            (VerifyClient::On, Verification::None) => Some(ProxyError::NoClientCert),
            (_, Verification::None) => None,
            (VerifyClient::OptionalNoCa, failed) if failed.is_unknown_issuer() => None,
            (_, Verification::Failed(_)) => Some(ProxyError::BadClientCert),
        };
        if let Some(error) = refused {
            return refused_step(auth, error);
        }
    }
    if let Some(pattern) = &auth.match_cn {
        let subject = cert.map_or("", |c| c.peer.subject.as_str());
        if !pattern.matches(subject) {
            return Err(ProxyError::Forbidden("client certificate unauthorized"));
        }
    }
    Ok(Step::Next)
}

/// nginx's `error_page 495 496 = <url>`: a 302 there, else the 400.
fn refused_step(auth: &ClientAuth, error: ProxyError) -> Result<Step, ProxyError> {
    tracing::debug!(secret = %auth.secret, %error, "client certificate refused");
    let Some(page) = auth.error_page.as_deref() else { return Err(error) };
    match HeaderValue::try_from(page) {
        Ok(location) => Ok(Step::Respond(Box::new(redirect(StatusCode::FOUND, location)))),
        Err(_) => Err(error),
    }
}

/// The `ssl-client-*` headers of a location with `auth-tls-*` (replacing the client's own):
/// `ssl-client-verify` over TLS, the DNs when a certificate was sent, `ssl-client-cert` with
/// `auth-tls-pass-certificate-to-upstream`.
pub(crate) fn upstream_headers(auth: &Arc<ClientAuth>, conn: &ConnInfo, headers: &mut HeaderMap) {
    for name in [SSL_CLIENT_CERT, SSL_CLIENT_VERIFY, SSL_CLIENT_SUBJECT_DN, SSL_CLIENT_ISSUER_DN] {
        headers.remove(name);
    }
    let Some(cert) = cert_for(conn, auth) else {
        if conn.tls {
            headers.insert(SSL_CLIENT_VERIFY, HeaderValue::from_static("NONE"));
        }
        return;
    };
    headers.insert(SSL_CLIENT_VERIFY, cert.verify.clone());
    let values = [(SSL_CLIENT_SUBJECT_DN, &cert.subject), (SSL_CLIENT_ISSUER_DN, &cert.issuer)];
    for (name, value) in values {
        if let Some(value) = value {
            headers.insert(name, value.clone());
        }
    }
    if auth.pass_certificate {
        if let Some(value) = &cert.cert {
            headers.insert(SSL_CLIENT_CERT, value.clone());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
