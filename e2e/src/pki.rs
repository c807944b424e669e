//! Test certificates made with rcgen: a CA, leaf certificates it signs (server or client), and
//! their PEM as a Kubernetes Secret for `proxy-ssl-secret`.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};

/// A certificate authority able to sign leaves.
pub struct TestCa {
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A leaf certificate and its key, in PEM.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
}

// === impl TestCa ===

impl TestCa {
    /// A new self-signed CA named `name`.
    ///
    /// # Panics
    /// When rcgen fails (a test setup error).
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("ca key");
        let cert = params.self_signed(&key).expect("ca cert");
        TestCa { cert_pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    /// A server certificate for `names` (DNS names), signed by this CA.
    pub fn server(&self, names: &[&str]) -> Leaf {
        self.leaf(names, "server", ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate with common name `cn`, signed by this CA.
    pub fn client(&self, cn: &str) -> Leaf {
        self.leaf(&[], cn, ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn leaf(&self, names: &[&str], cn: &str, usage: ExtendedKeyUsagePurpose) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("leaf cert");
        Leaf { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }
}

// === impl Leaf ===

impl Leaf {
    /// A self-signed certificate with subject CN `cn` (organisation `portico-e2e`) and, when
    /// given, these DNS SANs: what `openssl req -x509 -subj /CN=..` makes, without the CLI.
    ///
    /// # Panics
    /// When rcgen fails (a test setup error).
    pub fn self_signed(cn: &str, sans: &[&str]) -> Leaf {
        let sans: Vec<String> = sans.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(sans).expect("self-signed params");
        params.distinguished_name.push(DnType::CommonName, cn);
        params.distinguished_name.push(DnType::OrganizationName, "portico-e2e");
        let key = KeyPair::generate().expect("self-signed key");
        let cert = params.self_signed(&key).expect("self-signed cert");
        Leaf { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }
}

/// A Secret `namespace/name` with `stringData` `fields` (e.g. `ca.crt`, `tls.crt`, `tls.key`).
pub fn pem_secret(namespace: &str, name: &str, fields: &[(&str, &str)]) -> String {
    let mut yaml = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
         stringData:\n"
    );
    for (key, pem) in fields {
        yaml.push_str(&format!("  {key}: |\n"));
        for line in pem.lines() {
            yaml.push_str(&format!("    {line}\n"));
        }
    }
    yaml
}
