//! Decoding an `Authorization: Basic …` request header.

use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// nginx's decoder: standard alphabet, padding optional, stray trailing bits ignored.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Splits a Basic `Authorization` header value into user and password, or `None` (→ 401).
///
/// As nginx: the scheme `Basic` is case-insensitive and followed by at least one space;
/// decoding stops at the first `=`; the user is everything before the first `:` and must be
/// non-empty; the password may contain further colons and be empty. A user name that is not
/// UTF-8 gives `None` too, since it cannot match any htpasswd entry.
pub fn parse_basic_authorization(header: &[u8]) -> Option<(String, Vec<u8>)> {
    let (scheme, rest) = header.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"Basic ") {
        return None;
    }
    let start = rest.iter().position(|&b| b != b' ')?;
    let end = rest.iter().rposition(|&b| !matches!(b, b' ' | b'\t'))? + 1;
    let encoded = rest.get(start..end)?;
    let encoded = encoded.split(|&b| b == b'=').next().unwrap_or(encoded);
    let decoded = LENIENT.decode(encoded).ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    if colon == 0 {
        return None;
    }
    let user = std::str::from_utf8(&decoded[..colon]).ok()?.to_owned();
    Some((user, decoded[colon + 1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::parse_basic_authorization as parse;

    fn ok(user: &str, password: &[u8]) -> Option<(String, Vec<u8>)> {
        Some((user.to_owned(), password.to_vec()))
    }

    #[test]
    fn decodes_user_and_password() {
        // base64("alice:correct horse")
        assert_eq!(parse(b"Basic YWxpY2U6Y29ycmVjdCBob3JzZQ=="), ok("alice", b"correct horse"));
        assert_eq!(parse(b"bAsIc   YWxpY2U6Y29ycmVjdCBob3JzZQ== "), ok("alice", b"correct horse"));
        assert_eq!(parse(b"Basic YWxpY2U6Y29ycmVjdCBob3JzZQ"), ok("alice", b"correct horse"));
        // base64("a:b:c"), base64("a:"), base64("a:\xff")
        assert_eq!(parse(b"Basic YTpiOmM="), ok("a", b"b:c"));
        assert_eq!(parse(b"Basic YTo="), ok("a", b""));
        assert_eq!(parse(b"Basic YTr/"), ok("a", b"\xff"));
    }

    #[test]
    fn rejects_what_nginx_rejects() {
        for header in [
            &b""[..],
            b"Basic",
            b"Basic ",
            b"Basic    ",
            b"Bearer YTpi",
            b"Basic\tYTpi",
            b"BasicYTpi",
            b"Basic YWxpY2U=", // "alice": no colon
            b"Basic OnB3",     // ":pw": empty user
            b"Basic YTpi!!",   // not base64
            b"Basic YTpiY",    // length 1 mod 4
            b"Basic /zpwdw==", // "\xff:pw": user not UTF-8
        ] {
            assert_eq!(parse(header), None, "{}", String::from_utf8_lossy(header));
        }
    }
}
