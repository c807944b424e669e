//! The last good version of each TLS Secret, across builds. A Secret that was served and turns
//! bad (bad PEM written over it, a key that no longer matches, a wrong type) keeps serving its
//! last good certificate with an error diagnostic, as ingress-nginx does, instead of its hosts
//! dropping to the default certificate: an outage. A deleted Secret is not kept (deletion is
//! deliberate; its hosts get the default certificate).

use std::collections::HashMap;
use std::sync::Arc;

use portico_model::{Diagnostic, TlsSecret};
use portico_store::ObjectKey;
use portico_tls::{SecretError, SecretNames};

use super::secret::ReadError;

/// What the compiler remembers of TLS Secrets between builds.
#[derive(Debug, Default)]
pub(crate) struct LastGood {
    /// The servable version of each Secret the previous build used.
    previous: HashMap<ObjectKey, Arc<TlsSecret>>,
    /// Filled by this build; becomes `previous` at [`LastGood::finish`].
    current: HashMap<ObjectKey, Arc<TlsSecret>>,
}

/// The version of a Secret a build serves.
#[derive(Debug)]
pub(super) enum Settled {
    /// The Secret as it is now: it parses (`names` known) or, with no good version to fall
    /// back to, it does not (`names` `None`; `portico-tls` reports why when the table goes live).
    Current { tls: Arc<TlsSecret>, names: Option<SecretNames> },
    /// Bad now; its last good version is served. The diagnostic says why this one is not.
    Kept { tls: Arc<TlsSecret>, diagnostic: Diagnostic },
    /// Unreadable now and nothing to fall back to: the caller reports `ReadError`.
    Unusable(ReadError),
}

const KEPT: &str = "this version is not served; the last good version of the Secret keeps serving";

// === impl LastGood ===

impl LastGood {
    /// Ends a build: the Secrets it served are what the next build falls back to; Secrets it
    /// did not use are forgotten.
    pub(crate) fn finish(&mut self) {
        self.previous = std::mem::take(&mut self.current);
    }

    /// Picks the version of Secret `key` to serve, given how reading it went now; `file` is
    /// where the Secret is now (for the diagnostic). Each Secret is settled at most once per
    /// build (the caller caches the result).
    pub(super) fn settle(
        &mut self,
        key: &ObjectKey,
        read: Result<Arc<TlsSecret>, ReadError>,
        file: Option<&str>,
    ) -> Settled {
        let settled = settle(read, self.previous.get(key), file, portico_tls::check_secret);
        match &settled {
            Settled::Current { tls, names: Some(_) } | Settled::Kept { tls, .. } => {
                self.current.insert(key.clone(), tls.clone());
            }
            Settled::Current { names: None, .. } | Settled::Unusable(_) => {}
        }
        settled
    }
}

/// [`LastGood::settle`] with the PEM check passed in (pure).
fn settle(
    read: Result<Arc<TlsSecret>, ReadError>,
    previous: Option<&Arc<TlsSecret>>,
    file: Option<&str>,
    check: impl Fn(&TlsSecret) -> Result<SecretNames, SecretError>,
) -> Settled {
    let tls = match read {
        Ok(tls) => tls,
        // A deleted Secret is gone on purpose: nothing is kept.
        Err(ReadError::NotFound) => return Settled::Unusable(ReadError::NotFound),
        Err(error) => {
            return match previous {
                Some(previous) => {
                    let d = error.diagnostic("spec.tls", KEPT);
                    Settled::Kept { tls: previous.clone(), diagnostic: about(d, previous, file) }
                }
                None => Settled::Unusable(error),
            }
        }
    };
    let error = match check(&tls) {
        Ok(names) => return Settled::Current { tls, names: Some(names) },
        Err(error) => error,
    };
    match previous {
        Some(previous) => {
            let d = Diagnostic::error(format!("{error}; {KEPT}")).with_field(error.field());
            Settled::Kept { tls: previous.clone(), diagnostic: about(d, &tls, file) }
        }
        None => Settled::Current { tls, names: None },
    }
}

/// Names the Secret and its file in `d`.
fn about(d: Diagnostic, tls: &TlsSecret, file: Option<&str>) -> Diagnostic {
    let mut d = d.with_object(tls.secret.clone());
    d.file = file.map(str::to_string);
    d
}

#[cfg(test)]
mod tests;
