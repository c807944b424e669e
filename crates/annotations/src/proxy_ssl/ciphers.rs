//! `proxy-ssl-ciphers`: OpenSSL cipher-list syntax mapped to the TLS 1.2 suites rustls
//! implements. OpenSSL keywords (`HIGH`, `DEFAULT`, `!aNULL`, ...) and suites rustls lacks
//! cannot be honoured exactly: they are reported, and only the named suites rustls has are used.

/// The TLS 1.2 suites rustls implements, in OpenSSL's spelling.
pub const RUSTLS_TLS12_CIPHERS: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
];

/// Splits a cipher list into the suites rustls implements (in list order, deduplicated) and
/// the other entries. Exclusions (`!X`, `-X`) of a suite never listed are no-ops, and are
/// reported only when they are keywords.
pub fn parse_ciphers(value: &str) -> (Vec<String>, Vec<String>) {
    let mut known: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    for entry in value.split([':', ' ', ',']).filter(|e| !e.is_empty()) {
        let excluded = entry.strip_prefix(['!', '-']);
        match (excluded, RUSTLS_TLS12_CIPHERS.contains(&entry)) {
            (Some(name), _) if RUSTLS_TLS12_CIPHERS.contains(&name) => {
                known.retain(|k| k != name);
            }
            (None, true) if !known.iter().any(|k| k == entry) => known.push(entry.to_string()),
            (None, true) => {}
            _ => unknown.push(entry.to_string()),
        }
    }
    (known, unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_suites_are_kept_and_keywords_reported() {
        let (known, unknown) = parse_ciphers("ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL");
        assert_eq!(known, ["ECDHE-RSA-AES128-GCM-SHA256"]);
        assert_eq!(unknown, ["HIGH", "!aNULL"]);
        let (known, unknown) = parse_ciphers("HIGH:!AES");
        assert!(known.is_empty());
        assert_eq!(unknown, ["HIGH", "!AES"]);
        let (known, _) = parse_ciphers(
            "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:\
             !ECDHE-RSA-AES256-GCM-SHA384",
        );
        assert_eq!(known, ["ECDHE-ECDSA-AES128-GCM-SHA256"]);
    }
}
