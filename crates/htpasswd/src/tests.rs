//! Per-format vectors. Unless noted, hashes were produced by Apache's `htpasswd` 2.4
//! (`htpasswd -nb… alice 'correct horse'`) or by `openssl passwd`, and pasted here.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::{classify, verify, HashError, HashKind, Strength};

const PW: &[u8] = b"correct horse";

/// `(hash, password, kind)`: each must verify, and fail for a wrong password.
const VECTORS: &[(&str, &[u8], HashKind)] = &[
    // htpasswd -nbm alice 'correct horse'
    ("$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB0", PW, HashKind::Apr1),
    // htpasswd -nbm bob ''
    ("$apr1$1VjNUosJ$UgPhFMGE8MKPrjPCNDWkp1", b"", HashKind::Apr1),
    // htpasswd -nbm dave 'pässwörd' (UTF-8)
    ("$apr1$uN8xKWAy$NhV4AziZ36yIFNatIjSDK0", "pässwörd".as_bytes(), HashKind::Apr1),
    // openssl passwd -apr1 -salt abcdefgh pw
    ("$apr1$abcdefgh$5VEbMkemELfbhC5ck.U.z1", b"pw", HashKind::Apr1),
    // htpasswd -nbB -C 4 alice 'correct horse'
    ("$2y$04$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOKu", PW, HashKind::Bcrypt),
    // the same with the $2a$ and $2b$ prefixes (identical algorithm for ASCII passwords)
    ("$2a$04$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOKu", PW, HashKind::Bcrypt),
    ("$2b$04$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOKu", PW, HashKind::Bcrypt),
    // htpasswd -nbB -C 4 bob ''
    ("$2y$04$OqB3XstDGzyW8PxJ.EI1LuQOrTOCc9s/Fg4VcQ4k1BFUEqza2nV8i", b"", HashKind::Bcrypt),
    // htpasswd -nbB -C 5 erin secret
    ("$2y$05$qlAZ5HWKiqOQQW7j8IQaSe/q6So4CFQk2AUhlMIdpjJJdyC8BX3Oe", b"secret", HashKind::Bcrypt),
    // htpasswd -nbs alice 'correct horse'
    ("{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=", PW, HashKind::Sha1),
    // htpasswd -nbp alice 'correct horse'
    ("{PLAIN}correct horse", PW, HashKind::Plain),
    ("{PLAIN}", b"", HashKind::Plain),
    // openssl passwd -1 -salt saltsalt 'correct horse'; openssl passwd -1 -salt '' pw
    ("$1$saltsalt$NuzA7WTAelpl95xgBGWN60", PW, HashKind::Md5Crypt),
    ("$1$$F0Fc2lbYpzr3KKdKkM0Wj.", b"pw", HashKind::Md5Crypt),
    // htpasswd -nb2 alice 'correct horse'; with -r 1000
    ("$5$rbhtKGO50gA6nsuX$sDZJy2x58qVGyt5Pw9NiTj8Gy.gdkBzICjAui0CU3X2", PW, HashKind::Sha256Crypt),
    (
        "$5$rounds=1000$y4udMprXYZu/Tmqq$uQhJQrm9DVZ2Y7UgXrYiJ3uOQktCmHUimmr4WnErP48",
        PW,
        HashKind::Sha256Crypt,
    ),
    // openssl passwd -5 -salt saltstring 'Hello world!' (also Drepper's reference vector)
    (
        "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
        b"Hello world!",
        HashKind::Sha256Crypt,
    ),
    // openssl passwd -5 -salt toolongsaltstring1234 pw (salt truncated to 16)
    ("$5$toolongsaltstrin$Y3vz9Yc/Xx.o6DLddrkbpSLCVwMU7/nP4IbKEArcEi9", b"pw", HashKind::Sha256Crypt),
    // htpasswd -nb5 alice 'correct horse'; with -r 12345
    (
        "$6$oyhDxhXyWMJLo1ev$Li2qnqO7WnBqfxUTs6SoHrTW4tPdoK5z7Spt5TTjYEvg9pRTA6Bx4GjF04SQeo9EfFQdav.PouQXy.GSf0Hf41",
        PW,
        HashKind::Sha512Crypt,
    ),
    (
        "$6$rounds=12345$RlE3RYJKpuWp274S$rCterXvHCmLpDLDEdBF4WeZaveJ3MIltpolaI8PeC84HZs0.8rByPI3iVmMJbKQtTPBMNGirsUAxAjQun.p5A.",
        PW,
        HashKind::Sha512Crypt,
    ),
    // openssl passwd -6 -salt saltstring 'Hello world!'
    (
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
        b"Hello world!",
        HashKind::Sha512Crypt,
    ),
    // htpasswd -nbd: only the first 8 characters count
    ("YH5ZtITMbLHXk", PW, HashKind::Des),
    ("YH5ZtITMbLHXk", b"correct ", HashKind::Des),
    ("mAGemi.WXjwYI", b"longpassword123", HashKind::Des),
    // perl -e 'print crypt(…)' (glibc): short, empty and 8-bit passwords
    ("abgOeLfPimXQo", b"test", HashKind::Des),
    ("abzlUXK5ed5rs", b"pw", HashKind::Des),
    ("..X8NBuQ4l6uQ", b"", HashKind::Des),
    ("zZabAhOSzWXYE", b"\xe9t\xe9", HashKind::Des),
];

#[test]
fn every_vector_verifies_and_classifies() {
    for (hash, password, kind) in VECTORS {
        assert_eq!(verify(hash, password), Ok(true), "{hash}");
        assert_eq!(&classify(hash), kind, "{hash}");
    }
}

#[test]
fn wrong_passwords_fail() {
    for (hash, password, _) in VECTORS {
        let mut wrong = password.to_vec();
        wrong.insert(0, b'x');
        assert_eq!(verify(hash, &wrong), Ok(false), "{hash}");
        if !password.is_empty() {
            assert_eq!(verify(hash, b""), Ok(false), "{hash} with empty password");
        }
    }
    assert_eq!(verify("$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB0", b"Correct horse"), Ok(false));
}

#[test]
fn ssha_computed_by_hand() {
    let salt = b"\x01\x02salt\xff";
    let mut payload = Sha1::new().chain_update(PW).chain_update(salt).finalize().to_vec();
    payload.extend_from_slice(salt);
    let hash = format!("{{SSHA}}{}", STANDARD.encode(&payload));
    assert_eq!(classify(&hash), HashKind::Ssha);
    assert_eq!(verify(&hash, PW), Ok(true));
    assert_eq!(verify(&hash, b"correct horsf"), Ok(false));
    // An empty salt is what nginx accepts too: SHA-1 of the password alone.
    let bare = format!("{{SSHA}}{}", STANDARD.encode(Sha1::digest(PW)));
    assert_eq!(verify(&bare, PW), Ok(true));
}

#[test]
fn password_stops_at_nul_like_nginx() {
    assert_eq!(verify("{PLAIN}secret", b"secret\0ignored"), Ok(true));
    assert_eq!(verify("$apr1$abcdefgh$5VEbMkemELfbhC5ck.U.z1", b"pw\0x"), Ok(true));
}

#[test]
fn sha_crypt_rounds_below_minimum_are_raised() {
    let raised = "$5$rounds=10$y4udMprXYZu/Tmqq$uQhJQrm9DVZ2Y7UgXrYiJ3uOQktCmHUimmr4WnErP48";
    assert_eq!(verify(raised, PW), Ok(true));
}

fn malformed(hash: &str) -> bool {
    matches!(verify(hash, PW), Err(HashError::Malformed { .. }))
}

#[test]
fn malformed_hashes_are_errors() {
    assert_eq!(verify("", PW), Err(HashError::Empty));
    assert!(malformed("$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB"), "short digest");
    assert!(malformed("$apr1$nP2q0eHnX$VivY6OGOaVndbIbzBIsiB0"), "9-char salt");
    assert!(malformed("$apr1$nP2q0eHn"), "no digest");
    assert!(malformed("$1$saltsalt$NuzA7WTAelpl95xgBGWN6!"), "bad alphabet");
    assert!(malformed("$2y$04$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOK"), "short");
    assert!(malformed("$2y$03$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOKu"), "cost 3");
    assert!(malformed("$2y$21$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOKu"), "cost 21");
    assert!(malformed("$2y$x4$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOKu"), "cost");
    assert!(malformed("$2y$04$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOK£"));
    assert!(malformed("$5$rbhtKGO50gA6nsuX$sDZJy2x58qVGyt5Pw9NiTj8Gy.gdkBzICjAui0CU3X"));
    assert!(malformed("$5$rounds=10000000$abc$sDZJy2x58qVGyt5Pw9NiTj8Gy.gdkBzICjAui0CU3X2"));
    assert!(malformed("$5$rounds=$abc$sDZJy2x58qVGyt5Pw9NiTj8Gy.gdkBzICjAui0CU3X2"));
    assert!(malformed("$5$rounds=-5$abc$sDZJy2x58qVGyt5Pw9NiTj8Gy.gdkBzICjAui0CU3X2"));
    assert!(malformed("$6$toolongsaltstring1$abc"), "17-char salt");
    assert!(malformed("$6$salt"), "no digest");
    assert!(malformed("{SHA}L55TUjtiq8FBorTWAZ0jy6g129A"), "unpadded");
    assert!(malformed("{SHA}YWJj"), "3 bytes");
    assert!(malformed("{SSHA}YWJj"), "shorter than a digest");
    assert!(malformed("correct horse"), "plain text without {{PLAIN}} is a failed DES hash");
    assert!(malformed("abgOeLfPimXQ!"), "13 chars, bad alphabet");
}

#[test]
fn unknown_schemes_and_server_errors() {
    for hash in ["$argon2id$v=19$m=65536$xyz", "$2x$04$abc", "$2$04$abc", "$y$j9T$abc", "_J9..abc"]
    {
        assert!(matches!(verify(hash, PW), Err(HashError::UnknownScheme(_))), "{hash}");
        assert_eq!(classify(hash).strength(), Strength::Invalid, "{hash}");
    }
    assert!(matches!(verify("{MD5}abc", PW), Err(HashError::UnknownScheme(s)) if s == "{MD5}"));
    assert!(matches!(verify("{sha}abc", PW), Err(HashError::UnknownScheme(_))), "case-sensitive");
    let bad = verify("{SSHA}not base64!", PW).unwrap_err();
    assert_eq!(bad, HashError::BadBase64 { scheme: "{SSHA}" });
    assert!(bad.is_server_error());
    assert!(!HashError::Empty.is_server_error());
}

#[test]
fn strengths_for_diagnostics() {
    assert_eq!(classify("YH5ZtITMbLHXk").strength(), Strength::Weak);
    assert_eq!(classify("{PLAIN}x").strength(), Strength::Weak);
    assert_eq!(classify("{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=").strength(), Strength::Weak);
    assert_eq!(classify("$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB0").strength(), Strength::Ok);
    assert_eq!(classify("").strength(), Strength::Invalid);
    assert_eq!(classify("").name(), "invalid");
}

mod crypt_vectors;
mod props;
