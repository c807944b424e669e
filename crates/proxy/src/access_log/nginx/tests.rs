use super::*;

fn escaped(value: Value<'_>, json: bool) -> String {
    let mut out = String::new();
    push(&mut out, value, json);
    out
}

#[test]
fn values_are_escaped_as_nginx_does() {
    assert_eq!(escaped(Value::Str("curl/8.0"), false), "curl/8.0");
    assert_eq!(escaped(Value::Bytes(b"a\"b\\c\x01\xff"), false), "a\\x22b\\x5Cc\\x01\\xFF");
    assert_eq!(escaped(Value::Absent, false), "-");
    assert_eq!(escaped(Value::Str(""), false), "", "set but empty: [] in upstreaminfo");
    assert_eq!(escaped(Value::Bytes(b"a\"b\\c\n\x01"), true), "a\\\"b\\\\c\\n\\u0001");
    assert_eq!(escaped(Value::Absent, true), "");
}

#[test]
fn times_are_utc_in_nginx_layouts() {
    // 2026-12-01T14:55:09Z
    let at = UNIX_EPOCH + Duration::from_secs(1_796_136_909);
    assert_eq!(time_local(at), "01/Dec/2026:14:55:09 +0000");
    assert_eq!(time_iso8601(at), "2026-12-01T14:55:09+00:00");
    let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29T00:00:00Z
    assert_eq!(time_iso8601(leap), "2000-02-29T00:00:00+00:00");
    assert_eq!(seconds(Duration::from_millis(1234)), "1.234");
}

#[test]
fn remote_user_comes_from_basic_credentials() {
    let header = HeaderValue::from_static("Basic Zm9vOmJhcg=="); // foo:bar
    assert_eq!(basic_user(&header).as_deref(), Some("foo"));
    assert_eq!(basic_user(&HeaderValue::from_static("Bearer x")), None);
}
