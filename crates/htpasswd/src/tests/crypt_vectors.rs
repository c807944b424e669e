//! Known vectors for the two schemes written by hand here (MD5-crypt / `$apr1$` and
//! traditional DES crypt), chosen to reach the branches of the algorithms: empty, 1-byte,
//! exactly 16-byte and 17-byte passwords (the MD5 loops step by 16), one past 64 bytes, short
//! salts, every salt alphabet class, and 8-bit bytes. They are why the hand-written code is
//! kept rather than the `pwhash` crate: pwhash has no `$apr1$` (htpasswd's default), its own
//! tests hold one MD5-crypt and one DES vector (both below), and its last release (1.0.0,
//! January 2021) pulls a second, older generation of the RustCrypto crates (`md-5` 0.9,
//! `sha2` 0.9, `blowfish` 0.7).

use crate::{verify, HashKind};

/// `(hash, password)` pairs. MD5 ones from `openssl passwd -1 -salt ab PW` and `openssl passwd
/// -apr1 -salt Zz09./Qq PW` (OpenSSL 3.0); DES ones from glibc `crypt(3)` through `perl -e
/// 'print crypt(PW, SALT)'` (what nginx calls for non-`$apr1$` hashes).
const MD5: &[(&str, &[u8])] = &[
    ("$1$ab$rn6aQS/o7141mj179E/zA.", b""),
    ("$1$ab$NM4FR4Dl/CzoTSJTd3YJ3.", b"a"),
    ("$1$ab$KPbsrH8h5k2KfaQeRBFJY/", b"0123456789abcdef"),
    ("$1$ab$MwDML2WPsZ.Z4QLjBNnQZ0", b"0123456789abcdefg"),
    ("$1$ab$xYxcg6Ku8Fq4wHdUunBv1.", &[b'x'; 70]),
    // pwhash's own MD5-crypt vector
    ("$1$5pZSV9va$azfrPr6af3Fc7dLblQXVa0", b"password"),
];

const APR1: &[(&str, &[u8])] = &[
    ("$apr1$Zz09./Qq$Xu.ZBXc6uIt3jhKKizvuC0", b""),
    ("$apr1$Zz09./Qq$Dhj.jFG6n5IYGqMEGFITf1", b"a"),
    ("$apr1$Zz09./Qq$flIscjA8kGeHOxHLwtefH0", b"0123456789abcdef"),
    ("$apr1$Zz09./Qq$u1xyFmwueNiEsyl.kwq1L0", b"0123456789abcdefg"),
    ("$apr1$Zz09./Qq$LFtvOZbF/VhzZCkq5DUa60", &[b'x'; 70]),
    // htpasswd -nbm u 'pässwörd-longer-than-sixteen'
    ("$apr1$G/DAmNOz$NOGmNSwgWtPc75hiDFGqQ/", "pässwörd-longer-than-sixteen".as_bytes()),
];

const DES: &[(&str, &[u8])] = &[
    ("./xT2u5QYaHcU", b"a"),
    ("./qw5JW./79Vg", b"12345678"),
    ("./qw5JW./79Vg", b"123456789"),
    ("./6nHzIyoTens", "ÿÿ".as_bytes()),
    ("ZzsizYWrNJRQc", b"a"),
    ("ZzghNB6kZv6hQ", b"12345678"),
    ("ZzOm4gwjy0/qE", "ÿÿ".as_bytes()),
    ("9acMPbGv26U0s", b"a"),
    ("9atYJuhJzAPFA", b"123456789"),
    ("9ak4zyyq//xJE", "ÿÿ".as_bytes()),
    ("/.n5Xb33Dkk1k", b"a"),
    ("/.HRN5uKZbDhw", b"12345678"),
    ("/.B/CzzXMXCZY", "ÿÿ".as_bytes()),
    // htpasswd -nbd u x
    ("08d1yTQO7JnBs", b"x"),
    // pwhash's own DES vector
    ("aZGJuE6EXrjEE", b"test"),
];

fn check(vectors: &[(&str, &[u8])], kind: HashKind) {
    for (hash, password) in vectors {
        assert_eq!(crate::classify(hash), kind, "{hash}");
        assert_eq!(verify(hash, password), Ok(true), "{hash}");
        let mut wrong = password.to_vec();
        wrong.push(b'!');
        // DES reads 8 bytes: appending to a longer password changes nothing, so flip one.
        if kind == HashKind::Des && wrong.len() > 8 {
            wrong[0] ^= 1;
        }
        assert_eq!(verify(hash, &wrong), Ok(false), "{hash} with a wrong password");
    }
}

#[test]
fn md5_crypt_matches_openssl() {
    check(MD5, HashKind::Md5Crypt);
}

#[test]
fn apr1_matches_openssl_and_htpasswd() {
    check(APR1, HashKind::Apr1);
}

#[test]
fn des_crypt_matches_glibc() {
    check(DES, HashKind::Des);
}

#[test]
fn one_digest_character_off_fails() {
    for hash in ["$1$ab$NM4FR4Dl/CzoTSJTd3YJ3/", "$apr1$Zz09./Qq$Dhj.jFG6n5IYGqMEGFITf2"] {
        assert_eq!(verify(hash, b"a"), Ok(false), "{hash}");
    }
    assert_eq!(verify("./xT2u5QYaHcV", b"a"), Ok(false));
}
