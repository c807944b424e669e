//! The authentication seam (phase 9). For now only `{PLAIN}` htpasswd entries verify; the
//! full hash support (bcrypt, apr1, sha, crypt) is another issue and plugs in at [`verify`].

use base64::Engine as _;
use http::HeaderValue;
use portico_model::BasicAuth;

/// Outcome of checking a request's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Answer 401 with `WWW-Authenticate: Basic realm="<realm>"`.
    Deny,
}

/// Checks an `Authorization` header against a location's basic auth.
pub fn check_basic(auth: &BasicAuth, authorization: Option<&HeaderValue>) -> Verdict {
    let Some((user, password)) = authorization.and_then(decode_basic) else {
        return Verdict::Deny;
    };
    let entry = auth.users.iter().find(|(name, _)| name.as_bytes() == user.as_slice());
    match entry {
        Some((_, hash)) if verify(hash, &password) => Verdict::Allow,
        _ => Verdict::Deny,
    }
}

/// Whether `password` matches an htpasswd hash. Only `{PLAIN}` for now.
pub fn verify(hash: &str, password: &[u8]) -> bool {
    hash.strip_prefix("{PLAIN}").is_some_and(|plain| plain.as_bytes() == password)
}

/// The `WWW-Authenticate` value for a realm.
pub(crate) fn challenge(auth: &BasicAuth) -> HeaderValue {
    HeaderValue::try_from(format!("Basic realm=\"{}\"", auth.realm))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic realm=\"\""))
}

/// `Basic <base64(user:password)>` → (user, password).
fn decode_basic(value: &HeaderValue) -> Option<(Vec<u8>, Vec<u8>)> {
    let bytes = value.as_bytes();
    let scheme_end = bytes.iter().position(|&b| b == b' ')?;
    if !bytes[..scheme_end].eq_ignore_ascii_case(b"basic") {
        return None;
    }
    let decoded =
        base64::engine::general_purpose::STANDARD.decode(bytes[scheme_end..].trim_ascii()).ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> BasicAuth {
        BasicAuth {
            realm: "Restricted".into(),
            secret_version: "default/basic@1".into(),
            users: vec![
                ("foo".into(), "{PLAIN}bar".into()),
                ("foo".into(), "{PLAIN}second".into()),
            ],
        }
    }

    fn basic(credentials: &str) -> HeaderValue {
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        HeaderValue::try_from(format!("Basic {encoded}")).unwrap()
    }

    #[test]
    fn plain_entries_verify() {
        assert_eq!(check_basic(&auth(), Some(&basic("foo:bar"))), Verdict::Allow);
        assert_eq!(check_basic(&auth(), Some(&basic("foo:second"))), Verdict::Deny, "first wins");
        assert_eq!(check_basic(&auth(), Some(&basic("foo:baz"))), Verdict::Deny);
        assert_eq!(check_basic(&auth(), Some(&basic("nobody:bar"))), Verdict::Deny);
        assert_eq!(check_basic(&auth(), None), Verdict::Deny);
        let bearer = HeaderValue::from_static("Bearer abc");
        assert_eq!(check_basic(&auth(), Some(&bearer)), Verdict::Deny);
        assert_eq!(challenge(&auth()), "Basic realm=\"Restricted\"");
    }
}
