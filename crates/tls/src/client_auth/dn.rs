//! nginx's client-certificate variables: `$ssl_client_s_dn` / `$ssl_client_i_dn` (RFC 2253,
//! as OpenSSL's `XN_FLAG_RFC2253`: last RDN first, `,` between RDNs, `+` inside one) and
//! `$ssl_client_escaped_cert` (the leaf's PEM, URL-encoded).

use std::fmt::Write as _;

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rustls::pki_types::CertificateDer;
use x509_parser::oid_registry::{self, Oid};
use x509_parser::x509::X509Name;

/// What stays unescaped in `$ssl_client_escaped_cert`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The subject and issuer DNs of a certificate, `None` if it is not X.509.
pub(super) fn subject_and_issuer(der: &CertificateDer<'_>) -> Option<(String, String)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some((rfc2253(cert.subject()), rfc2253(cert.issuer())))
}

/// The certificate as PEM (64-column base64), URL-encoded.
pub(super) fn escaped_pem(der: &CertificateDer<'_>) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    utf8_percent_encode(&pem, COMPONENT).to_string()
}

/// `CN=client,O=Example,C=US` for a name written `C=US, O=Example, CN=client`.
pub(super) fn rfc2253(name: &X509Name<'_>) -> String {
    let mut out = String::new();
    for (i, rdn) in name.iter().collect::<Vec<_>>().into_iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, attr) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            out.push_str(&short_name(attr.attr_type()));
            out.push('=');
            match attr.as_str() {
                Ok(value) => escape_value(value, &mut out),
                Err(_) => {
                    out.push('#');
                    for byte in attr.attr_value().as_bytes() {
                        let _ = write!(out, "{byte:02X}");
                    }
                }
            }
        }
    }
    out
}

/// OpenSSL's short names for the usual attributes, else the dotted OID.
fn short_name(oid: &Oid<'_>) -> String {
    let known = [
        (oid_registry::OID_X509_COMMON_NAME, "CN"),
        (oid_registry::OID_X509_ORGANIZATION_NAME, "O"),
        (oid_registry::OID_X509_ORGANIZATIONAL_UNIT, "OU"),
        (oid_registry::OID_X509_COUNTRY_NAME, "C"),
        (oid_registry::OID_X509_STATE_OR_PROVINCE_NAME, "ST"),
        (oid_registry::OID_X509_LOCALITY_NAME, "L"),
        (oid_registry::OID_X509_STREET_ADDRESS, "street"),
        (oid_registry::OID_DOMAIN_COMPONENT, "DC"),
        (oid_registry::OID_PKCS9_EMAIL_ADDRESS, "emailAddress"),
        (oid_registry::OID_X509_SERIALNUMBER, "serialNumber"),
    ];
    match known.iter().find(|(known, _)| known == oid) {
        Some((_, name)) => (*name).to_string(),
        None => oid.to_id_string(),
    }
}

/// RFC 2253 §2.4 escaping: `,+"\<>;` anywhere, `#` or space first, space last; control
/// characters as `\XX`.
fn escape_value(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c if c.is_control() => {
                let mut buf = [0; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\{byte:02X}");
                }
            }
            c => out.push(c),
        }
    }
}
