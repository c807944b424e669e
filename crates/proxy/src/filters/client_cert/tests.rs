//! The access decision per `auth-tls-verify-client` and verification outcome, and the headers.

use std::sync::Arc;

use http::HeaderMap;
use portico_model::{ClientAuth, CnPattern, ObjectRef, VerifyClient};
use portico_tls::{PeerCert, Verification};

use super::*;
use crate::filters::OwnedRequest;

const UNKNOWN: &str = "unable to get local issuer certificate";

fn auth(verify: VerifyClient) -> Arc<ClientAuth> {
    Arc::new(ClientAuth {
        secret: ObjectRef::new("Secret", "default", "ca"),
        ca_pem: Arc::from(&b"ca"[..]),
        crl_pem: None,
        verify,
        depth: 1,
        error_page: None,
        pass_certificate: false,
        match_cn: None,
    })
}

fn conn(tls: bool, cert: Option<(&Arc<ClientAuth>, Verification)>) -> ConnInfo {
    let cert = cert.map(|(auth, verification)| {
        let subject = match verification {
            Verification::None => String::new(),
            _ => "CN=alice,O=Example".to_string(),
        };
        Arc::new(ConnCert::new(PeerCert {
            auth: auth.clone(),
            verification,
            subject,
            issuer: "CN=CA".to_string(),
            escaped_pem: Some("-----BEGIN%20CERTIFICATE-----%0A".to_string()),
        }))
    });
    ConnInfo::new("127.0.0.1:1234".parse().unwrap(), 443, tls).with_client_cert(cert)
}

/// `Ok(None)`: passes; `Ok(Some(status))`: answered; `Err(status)`: refused.
fn outcome(auth: &Arc<ClientAuth>, conn: &ConnInfo) -> Result<Option<u16>, u16> {
    let owned = OwnedRequest::with_conn(conn.clone());
    let req = owned.req(conn.peer.ip());
    match apply(auth, &req) {
        Ok(Step::Next) => Ok(None),
        Ok(Step::Respond(response)) => Ok(Some(response.status().as_u16())),
        Err(error) => Err(error.status().as_u16()),
    }
}

#[test]
fn decision_per_mode_and_outcome() {
    use Verification::{Failed, None as NoCert, Success};
    use VerifyClient::{Off, On, Optional, OptionalNoCa};
    let cases = [
        (On, Success, Ok(None)),
        (On, NoCert, Err(400)),
        (On, Failed(UNKNOWN), Err(400)),
        (Optional, NoCert, Ok(None)),
        (Optional, Failed(UNKNOWN), Err(400)),
        (OptionalNoCa, Failed(UNKNOWN), Ok(None)),
        (OptionalNoCa, Failed("certificate has expired"), Err(400)),
        (OptionalNoCa, Success, Ok(None)),
    ];
    for (verify, verification, want) in cases {
        let auth = auth(verify);
        let conn = conn(true, Some((&auth, verification.clone())));
        assert_eq!(outcome(&auth, &conn), want, "{verify:?} {verification:?}");
    }
    // off: no certificate is asked for; nothing to check.
    assert_eq!(outcome(&auth(Off), &conn(true, None)), Ok(None));
}

#[test]
fn another_hosts_connection_is_misdirected_and_plain_http_has_no_certificate() {
    let on = auth(VerifyClient::On);
    let other = Arc::new(ClientAuth { depth: 2, ..(*on).clone() });
    assert_eq!(outcome(&on, &conn(true, None)), Err(421), "SNI host asked for nothing");
    let verified_elsewhere = conn(true, Some((&other, Verification::Success)));
    assert_eq!(outcome(&on, &verified_elsewhere), Err(421));
    let equal = Arc::new((*on).clone());
    let after_swap = conn(true, Some((&equal, Verification::Success)));
    assert_eq!(outcome(&on, &after_swap), Ok(None), "equal settings of a newer table");
    assert_eq!(outcome(&on, &conn(false, None)), Err(400), "plain HTTP: no certificate");
    assert_eq!(outcome(&auth(VerifyClient::Optional), &conn(false, None)), Ok(None));
}

#[test]
fn error_page_and_match_cn() {
    let with_page = Arc::new(ClientAuth {
        error_page: Some(Arc::from("https://login.example/")),
        ..(*auth(VerifyClient::On)).clone()
    });
    assert_eq!(
        outcome(&with_page, &conn(true, Some((&with_page, Verification::None)))),
        Ok(Some(302))
    );

    let cn = |pattern: &str| {
        Arc::new(ClientAuth {
            match_cn: Some(CnPattern::new(pattern).unwrap()),
            ..(*auth(VerifyClient::Optional)).clone()
        })
    };
    let alice = cn("CN=alice");
    assert_eq!(outcome(&alice, &conn(true, Some((&alice, Verification::Success)))), Ok(None));
    let bob = cn("CN=bob");
    assert_eq!(outcome(&bob, &conn(true, Some((&bob, Verification::Success)))), Err(403));
    assert_eq!(outcome(&bob, &conn(true, Some((&bob, Verification::None)))), Err(403), "no DN");
}

#[test]
fn headers_replace_the_clients_own() {
    let mut pass = (*auth(VerifyClient::On)).clone();
    pass.pass_certificate = true;
    let pass = Arc::new(pass);
    let conn = conn(true, Some((&pass, Verification::Failed(UNKNOWN))));
    let mut headers = HeaderMap::new();
    headers.insert("ssl-client-verify", HeaderValue::from_static("SUCCESS"));
    headers.insert("ssl-client-issuer-dn", HeaderValue::from_static("CN=forged"));
    upstream_headers(&pass, &conn, &mut headers);
    assert_eq!(headers["ssl-client-verify"], "FAILED:unable to get local issuer certificate");
    assert_eq!(headers["ssl-client-subject-dn"], "CN=alice,O=Example");
    assert_eq!(headers["ssl-client-issuer-dn"], "CN=CA");
    assert_eq!(headers["ssl-client-cert"], "-----BEGIN%20CERTIFICATE-----%0A");

    let mut headers = HeaderMap::new();
    headers.insert("ssl-client-cert", HeaderValue::from_static("forged"));
    upstream_headers(&auth(VerifyClient::Off), &conn_plain(), &mut headers);
    assert!(headers.is_empty(), "plain HTTP: nothing, and the client's header is gone");
}

fn conn_plain() -> ConnInfo {
    conn(false, None)
}
