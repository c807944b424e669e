//! What a leaf certificate says about itself: the host names it covers and its validity window.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

/// The names a leaf certificate answers for, lowercased, without trailing dot: its SAN DNS
/// names, or its subject CNs when it has no SAN DNS name at all (the legacy CN fallback).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct CertNames {
    names: Vec<String>,
}

/// Validity window of a certificate: seconds since the Unix epoch, and as written for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Validity {
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
    pub(crate) not_before_text: String,
    pub(crate) not_after_text: String,
}

// === impl CertNames ===

impl CertNames {
    /// Reads SAN DNS names, falling back to the subject CN only when the SAN has none.
    pub(crate) fn of(cert: &X509Certificate<'_>) -> Self {
        let mut names: Vec<String> = match cert.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some(normalize(dns)),
                    _ => None,
                })
                .collect(),
            // An unreadable SAN covers nothing; the CN fallback below still applies.
            Ok(None) | Err(_) => Vec::new(),
        };
        if names.is_empty() {
            names = cert
                .subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok())
                .map(normalize)
                .collect();
        }
        Self { names }
    }

    /// Whether the certificate is valid for `host` (lowercase; a `*.suffix` host is covered by
    /// a literal `*.suffix` name). A `*.` name matches exactly one extra label.
    pub(crate) fn covers(&self, host: &str) -> bool {
        let host = normalize(host);
        self.names.iter().any(|name| name_matches(name, &host))
    }

    #[cfg(test)]
    pub(crate) fn from_names(names: &[&str]) -> Self {
        Self { names: names.iter().map(|n| normalize(n)).collect() }
    }
}

// === impl Validity ===

impl Validity {
    pub(crate) fn of(cert: &X509Certificate<'_>) -> Self {
        let validity = cert.validity();
        Self {
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            not_before_text: validity.not_before.to_string(),
            not_after_text: validity.not_after.to_string(),
        }
    }

    /// Why a certificate is outside its validity window at `now` (Unix seconds), if it is.
    pub(crate) fn problem_at(&self, now: i64) -> Option<String> {
        if now > self.not_after {
            Some(format!("certificate expired on {}", self.not_after_text))
        } else if now < self.not_before {
            Some(format!("certificate is not valid before {}", self.not_before_text))
        } else {
            None
        }
    }
}

/// Lowercase, no trailing dot: the form every host and name is compared in.
pub(crate) fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

fn name_matches(name: &str, host: &str) -> bool {
    if name == host {
        return true;
    }
    let Some(suffix) = name.strip_prefix("*.") else {
        return false;
    };
    match host.split_once('.') {
        Some((label, rest)) => !label.is_empty() && label != "*" && rest == suffix,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_one_label_wildcard() {
        let names = CertNames::from_names(&["Foo.example.com.", "*.bar.com"]);
        assert!(names.covers("foo.example.com"));
        assert!(names.covers("FOO.example.com."));
        assert!(names.covers("a.bar.com"));
        assert!(names.covers("*.bar.com"), "literal wildcard host");
        assert!(!names.covers("bar.com"), "wildcard needs one label");
        assert!(!names.covers("a.b.bar.com"), "wildcard covers one label only");
        assert!(!names.covers(".bar.com"));
        assert!(!names.covers("example.com"));
    }

    #[test]
    fn exact_name_does_not_cover_wildcard_host() {
        let names = CertNames::from_names(&["a.bar.com"]);
        assert!(!names.covers("*.bar.com"));
    }
}
