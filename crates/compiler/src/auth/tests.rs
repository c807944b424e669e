use super::htpasswd;

/// (content, users, number of warnings)
type Case = (&'static str, &'static [(&'static str, &'static str)], usize);

#[test]
fn htpasswd_lines() {
    let cases: [Case; 7] = [
        ("", &[], 0),
        ("# only a comment\n\n", &[], 0),
        ("foo:hash", &[("foo", "hash")], 0),
        ("foo:hash:comment\r\n", &[("foo", "hash")], 0),
        ("foo:first\nfoo:second", &[("foo", "first")], 0),
        ("nocolon\n:nouser\nok:", &[("ok", "")], 2),
        ("a:1\nb:2\n", &[("a", "1"), ("b", "2")], 0),
    ];
    for (content, want, warnings) in cases {
        let (users, problems) = htpasswd::parse(content);
        let want: Vec<(String, String)> =
            want.iter().map(|(u, h)| (u.to_string(), h.to_string())).collect();
        assert_eq!(users, want, "{content:?}");
        assert_eq!(problems.len(), warnings, "{content:?}");
    }
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
    assert_eq!(super::secret_data(&secret).get("auth"), Some(&&b"new:y"[..]));
}
