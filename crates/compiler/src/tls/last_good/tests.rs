use std::sync::Arc;

use portico_model::{ObjectRef, TlsSecret};
use rcgen::{CertificateParams, KeyPair};

use super::{settle, LastGood, Settled};
use crate::tls::secret::ReadError;
use portico_store::ObjectKey;

fn good(name: &str) -> Arc<TlsSecret> {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["h.io".to_string()]).unwrap().self_signed(&key).unwrap();
    Arc::new(TlsSecret {
        secret: ObjectRef::new("Secret", "default", name),
        cert_pem: cert.pem().into_bytes().into(),
        key_pem: key.serialize_pem().into_bytes().into(),
        file: Some("old.yaml".to_string()),
    })
}

fn bad(name: &str) -> Arc<TlsSecret> {
    let pem = b"-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n";
    Arc::new(TlsSecret {
        secret: ObjectRef::new("Secret", "default", name),
        cert_pem: Arc::from(&pem[..]),
        key_pem: Arc::from(&b""[..]),
        file: Some("new.yaml".to_string()),
    })
}

fn check(tls: &TlsSecret) -> Result<portico_tls::SecretNames, portico_tls::SecretError> {
    portico_tls::secret_names(tls)
}

#[test]
fn good_secret_is_served_as_it_is() {
    let now = good("s");
    let settled = settle(Ok(now.clone()), None, Some("new.yaml"), check);
    assert!(matches!(settled, Settled::Current { tls, names: Some(_) } if tls == now));
}

#[test]
fn bad_pem_after_a_good_version_keeps_the_good_one_with_an_error() {
    let previous = good("s");
    let settled = settle(Ok(bad("s")), Some(&previous), Some("new.yaml"), check);
    let Settled::Kept { tls, diagnostic } = settled else { panic!("{settled:?}") };
    assert_eq!(tls, previous);
    assert!(diagnostic.is_error());
    let text = diagnostic.to_string();
    assert!(
        text.starts_with("error: Secret default/s (new.yaml) data[\"tls.crt\"]: invalid PEM")
            && text.contains("the last good version of the Secret keeps serving"),
        "{text}"
    );
}

#[test]
fn bad_pem_without_history_goes_through_for_the_tls_crate_to_report() {
    let now = bad("s");
    let settled = settle(Ok(now.clone()), None, Some("new.yaml"), check);
    assert!(matches!(settled, Settled::Current { tls, names: None } if tls == now));
}

#[test]
fn unreadable_secret_keeps_the_good_version_but_a_deleted_one_does_not() {
    let previous = good("s");
    let settled = settle(Err(ReadError::NoPem), Some(&previous), Some("new.yaml"), check);
    let Settled::Kept { tls, diagnostic } = settled else { panic!("{settled:?}") };
    assert_eq!(tls, previous);
    assert_eq!(diagnostic.file.as_deref(), Some("new.yaml"));
    let settled = settle(Err(ReadError::NotFound), Some(&previous), None, check);
    assert!(matches!(settled, Settled::Unusable(ReadError::NotFound)), "{settled:?}");
    let settled = settle(Err(ReadError::NoPem), None, None, check);
    assert!(matches!(settled, Settled::Unusable(ReadError::NoPem)), "{settled:?}");
}

#[test]
fn memory_lasts_one_build_past_the_last_use() {
    let key = ObjectKey::new("default", "s");
    let mut memory = LastGood::default();
    let first = good("s");
    assert!(matches!(memory.settle(&key, Ok(first.clone()), None), Settled::Current { .. }));
    memory.finish();
    // Bad for two builds in a row: the good version stays.
    for _ in 0..2 {
        let settled = memory.settle(&key, Ok(bad("s")), None);
        assert!(matches!(&settled, Settled::Kept { tls, .. } if *tls == first), "{settled:?}");
        memory.finish();
    }
    // A build that does not use the Secret forgets it.
    memory.finish();
    assert!(matches!(
        memory.settle(&key, Ok(bad("s")), None),
        Settled::Current { names: None, .. }
    ));
}
