use super::htpasswd;

/// (content, users, warnings, errors)
type Case = (&'static [u8], &'static [(&'static str, &'static str)], usize, usize);

const BCRYPT: &str = "$2y$04$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOKu";
const APR1: &str = "$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB0";

#[test]
fn htpasswd_lines() {
    let cases: [Case; 10] = [
        (b"", &[], 1, 0), // no users
        (b"# only a comment\n\n", &[], 1, 0),
        (b"foo:$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB0", &[("foo", APR1)], 0, 0),
        (b"foo:$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB0:comment\r\n", &[("foo", APR1)], 0, 0),
        (b"foo:{PLAIN}first\nfoo:second", &[("foo", "{PLAIN}first")], 1, 0),
        // no colon, empty user (warnings); empty hash (error)
        (b"nocolon\n:nouser\nok:", &[("ok", "")], 2, 1),
        (
            b"a:{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=\nb:abcdefghijklm",
            &[("a", "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A="), ("b", "abcdefghijklm")],
            2,
            0,
        ),
        (
            b"x:$argon2id$v=19$zzz\ny:{SSHA}!!!!",
            &[("x", "$argon2id$v=19$zzz"), ("y", "{SSHA}!!!!")],
            0,
            2,
        ),
        (b"\xff\xfe:\x00\x01\n", &[], 2, 0), // not UTF-8; then no users
        (b"u:$2y$04$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOKu", &[("u", BCRYPT)], 0, 0),
    ];
    for (content, want, warnings, errors) in cases {
        let (users, problems) = htpasswd::auth_file(content);
        let want: Vec<(String, String)> =
            want.iter().map(|(u, h)| (u.to_string(), h.to_string())).collect();
        let shown = format!("{}: {problems:?}", String::from_utf8_lossy(content));
        assert_eq!(users, want, "{shown}");
        assert_eq!(problems.iter().filter(|d| !d.is_error()).count(), warnings, "{shown}");
        assert_eq!(problems.iter().filter(|d| d.is_error()).count(), errors, "{shown}");
        assert!(problems.iter().all(|d| d.field.is_some() || d.message.starts_with("no users")));
    }
}

#[test]
fn diagnostics_name_the_user_and_why() {
    let (_, problems) = htpasswd::auth_file(b"weak:abcdefghijklm\nbad:{SSHA}!!!!\n");
    let text: Vec<String> = problems.iter().map(|d| format!("{d}")).collect();
    assert!(text[0].contains("\"weak\"") && text[0].contains("des-crypt"), "{text:?}");
    assert_eq!(problems[0].field.as_deref(), Some("data.auth (user \"weak\")"));
    assert!(text[1].contains("\"bad\"") && text[1].contains("answer 500"), "{text:?}");
}

#[test]
fn huge_and_broken_secrets_cost_a_bounded_report() {
    let huge = vec![b'a'; portico_htpasswd::MAX_HTPASSWD_BYTES + 1];
    let (users, problems) = htpasswd::auth_file(&huge);
    assert!(users.is_empty());
    assert_eq!(problems.len(), 1);
    assert!(problems[0].is_error() && problems[0].message.contains("too large"));

    let garbage = "no colon here\n".repeat(10_000);
    let (_, problems) = htpasswd::auth_file(garbage.as_bytes());
    assert_eq!(problems.len(), 22, "20 lines, the summary, no users");
    assert!(problems.iter().any(|d| d.message.contains("9980 more")), "{problems:?}");
}

#[test]
fn auth_map_values() {
    let data = std::collections::BTreeMap::from([
        ("foo", &b"{PLAIN}pw\n"[..]),
        ("bin", &b"\xff\xfe"[..]),
        ("ok", BCRYPT.as_bytes()),
    ]);
    let (users, problems) = htpasswd::auth_map(&data);
    assert_eq!(
        users,
        [("foo".to_string(), "{PLAIN}pw".to_string()), ("ok".to_string(), BCRYPT.to_string())]
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].is_error() && problems[0].field.as_deref() == Some("data.bin"));
    assert!(!problems[1].is_error() && problems[1].field.as_deref() == Some("data.foo"));
}

#[test]
fn string_data_wins_over_data() {
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::ByteString;
    let secret = Secret {
        data: Some([("auth".to_string(), ByteString(b"old:x".to_vec()))].into()),
        string_data: Some([("auth".to_string(), "new:y".to_string())].into()),
        ..Default::default()
    };
    assert_eq!(crate::secret::data(&secret).get("auth"), Some(&&b"new:y"[..]));
}
