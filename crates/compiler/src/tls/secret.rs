//! Reading a TLS Secret's PEM fields into the model (not parsing them: `portico-tls` does).

use std::sync::Arc;

use portico_model::{Diagnostic, TlsSecret};
use portico_store::{ObjectKey, Objects};
use portico_tls::MAX_PEM_BYTES;

const TLS_TYPE: &str = "kubernetes.io/tls";
const OPAQUE_TYPE: &str = "Opaque";
const CERT_KEY: &str = "tls.crt";
const KEY_KEY: &str = "tls.key";

/// Why a Secret cannot serve as a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ReadError {
    NotFound,
    WrongType(String),
    /// Neither `tls.crt` nor `tls.key`.
    NoPem,
    /// `tls.key` without `tls.crt`.
    KeyWithoutCert,
    /// `tls.crt` without `tls.key`.
    CertWithoutKey,
    TooLarge {
        field: &'static str,
        size: usize,
    },
}

/// Reads `tls.crt` and `tls.key` of Secret `key` (`data`, overridden by `stringData`).
/// `kubernetes.io/tls` is expected; `Opaque` (or no type) with both fields is accepted with a
/// warning, as ingress-nginx does not check the type; any other type is refused. Fields over
/// [`MAX_PEM_BYTES`] are refused here, before they are copied.
pub(super) fn read(
    key: &ObjectKey,
    objects: &Objects,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Arc<TlsSecret>, ReadError> {
    let sourced = objects.secrets.get(key).ok_or(ReadError::NotFound)?;
    let secret = &sourced.object;
    let object = crate::secret::object_ref(key);
    match secret.type_.as_deref() {
        Some(TLS_TYPE) => {}
        None | Some(OPAQUE_TYPE) => {
            let shown = secret.type_.as_deref().unwrap_or("(none)");
            let mut d = Diagnostic::warning(format!(
                "type is {shown}, expected {TLS_TYPE}; served anyway (as ingress-nginx does)"
            ))
            .with_object(object.clone())
            .with_field("type");
            d.file = sourced.file.as_deref().map(str::to_owned);
            diagnostics.push(d);
        }
        Some(other) => return Err(ReadError::WrongType(other.to_string())),
    }
    let data = crate::secret::data(secret);
    let (cert, key_pem) = match (data.get(CERT_KEY), data.get(KEY_KEY)) {
        (Some(cert), Some(key)) => (*cert, *key),
        (None, None) => return Err(ReadError::NoPem),
        (None, Some(_)) => return Err(ReadError::KeyWithoutCert),
        (Some(_), None) => return Err(ReadError::CertWithoutKey),
    };
    for (field, pem) in [(CERT_KEY, cert), (KEY_KEY, key_pem)] {
        if pem.len() > MAX_PEM_BYTES {
            return Err(ReadError::TooLarge { field, size: pem.len() });
        }
    }
    Ok(Arc::new(TlsSecret {
        secret: object,
        cert_pem: Arc::from(cert),
        key_pem: Arc::from(key_pem),
        file: sourced.file.as_deref().map(str::to_owned),
    }))
}

// === impl ReadError ===

impl ReadError {
    /// The diagnostic for this problem (object and file are set by the caller). `fallback`
    /// says what is served instead; `not_found_field` is the field naming the missing Secret.
    pub(super) fn diagnostic(&self, not_found_field: &str, fallback: &str) -> Diagnostic {
        let (field, reason) = match self {
            ReadError::NotFound => (not_found_field.to_string(), "not found".to_string()),
            ReadError::WrongType(found) => (
                "type".to_string(),
                format!("type {found} cannot hold a certificate (expected {TLS_TYPE})"),
            ),
            ReadError::NoPem => (
                "data".to_string(),
                format!("no {CERT_KEY} and no {KEY_KEY} (a CA-only Secret cannot serve TLS)"),
            ),
            ReadError::KeyWithoutCert => {
                (field_of(CERT_KEY), format!("missing: {KEY_KEY} is present but {CERT_KEY} is not"))
            }
            ReadError::CertWithoutKey => {
                (field_of(KEY_KEY), format!("missing: {CERT_KEY} is present but {KEY_KEY} is not"))
            }
            ReadError::TooLarge { field, size } => {
                (field_of(field), format!("{size} bytes, over the {MAX_PEM_BYTES} byte limit"))
            }
        };
        Diagnostic::error(format!("{reason}; {fallback}")).with_field(field)
    }
}

fn field_of(key: &str) -> String {
    format!("data[\"{key}\"]")
}
