use std::sync::Arc;

use portico_model::{HostPattern, HostTls, RouteTable, Server};
use rustls::pki_types::ServerName;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::*;
use crate::CertStore;

const CHACHA: &str = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256";
const AES128: &str = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";

fn resolver() -> Arc<SniResolver> {
    Arc::new(SniResolver::new(CertStore::build(&[], None).0))
}

fn server(host: HostPattern, suites: Option<&[&str]>, prefer: Option<bool>) -> Server {
    let tls12_suites = suites.map(|s| s.iter().map(|n| n.to_string()).collect());
    let tls = HostTls { tls12_suites, prefer_server_ciphers: prefer };
    Server { host, tls, ..Server::default() }
}

fn exact(name: &str) -> HostPattern {
    HostPattern::Exact(name.into())
}

fn table() -> RouteTable {
    RouteTable {
        servers: vec![
            server(exact("chacha.test"), Some(&[CHACHA]), None),
            server(exact("twin.test"), Some(&[CHACHA]), None),
            server(exact("prefer.test"), Some(&[CHACHA, AES128]), Some(true)),
            server(exact("plain.test"), None, None),
            server(HostPattern::Wildcard("wild.test".into()), None, Some(true)),
        ],
        ..RouteTable::default()
    }
}

/// A TLS 1.2 handshake with `config` of a client offering `offered` (in that order): the
/// suite chosen, or `None` when the handshake failed.
async fn negotiate(config: &Arc<ServerConfig>, offered: &[&str]) -> Option<String> {
    let client =
        portico_e2e::accept_any_client_offering(Some(offered), &[], &[&rustls::version::TLS12]);
    let (near, far) = tokio::io::duplex(64 * 1024);
    let accept = async { TlsAcceptor::from(Arc::clone(config)).accept(far).await.ok() };
    let name = ServerName::try_from("site.test").ok()?;
    let connect = async { TlsConnector::from(Arc::new(client)).connect(name, near).await.ok() };
    let (_server, client) = tokio::join!(accept, connect);
    let suite = client?.get_ref().1.negotiated_cipher_suite()?.suite();
    suite.as_str().map(str::to_string)
}

#[test]
fn hosts_with_own_settings_get_shared_configurations() {
    let resolver = resolver();
    let (configs, errors) = HostConfigs::build(&table(), &resolver, &HostConfigs::default());
    assert!(errors.is_empty() && !configs.is_empty(), "{errors:?}");
    let chacha = configs.lookup(Some("CHACHA.test.")).unwrap();
    let twin = configs.lookup(Some("twin.test")).unwrap();
    assert!(Arc::ptr_eq(chacha, twin), "equal settings share one configuration");
    assert!(!Arc::ptr_eq(chacha, configs.lookup(Some("prefer.test")).unwrap()));
    assert!(configs.lookup(Some("a.wild.test")).is_some(), "the wildcard's");
    assert!(configs.lookup(Some("plain.test")).is_none(), "the listener's");
    assert!(configs.lookup(Some("unknown.test")).is_none());
    assert!(configs.lookup(None).is_none());

    let (again, _) = HostConfigs::build(&table(), &resolver, &configs);
    let kept = again.lookup(Some("chacha.test")).unwrap();
    assert!(Arc::ptr_eq(chacha, kept), "unchanged settings keep their configuration");
    let (empty, _) = HostConfigs::build(&RouteTable::default(), &resolver, &configs);
    assert!(empty.is_empty());
}

#[test]
fn the_default_server_s_settings_serve_unknown_names_only() {
    let mut table = table();
    table.default_server = server(HostPattern::CatchAll, Some(&[AES128]), None);
    let (configs, _) = HostConfigs::build(&table, &resolver(), &HostConfigs::default());
    assert!(configs.lookup(Some("unknown.test")).is_some());
    assert!(configs.lookup(None).is_some());
    assert!(configs.lookup(Some("plain.test")).is_none(), "a named host keeps the listener's");
}

#[tokio::test]
async fn handshakes_follow_the_host_s_suites_and_order() {
    let (configs, _) = HostConfigs::build(&table(), &resolver(), &HostConfigs::default());
    let chacha = configs.lookup(Some("chacha.test")).unwrap();
    assert_eq!(negotiate(chacha, &[CHACHA]).await.as_deref(), Some(CHACHA));
    assert_eq!(negotiate(chacha, &[AES128]).await, None, "a suite the host refuses");
    let prefer = configs.lookup(Some("prefer.test")).unwrap();
    assert_eq!(negotiate(prefer, &[AES128, CHACHA]).await.as_deref(), Some(CHACHA), "ours");
    let listener = crate::server_config(resolver()).unwrap();
    assert_eq!(negotiate(&listener, &[AES128]).await.as_deref(), Some(AES128));
    let client_order = negotiate(&listener, &[CHACHA, AES128]).await;
    assert_eq!(client_order.as_deref(), Some(CHACHA), "the listener follows the client");
}
