//! nginx's request variables that read one named item of the request head, shared by
//! everything that looks at them (canary rules, `upstream-hash-by` keys): `$cookie_NAME` and
//! `$arg_NAME`. Names compare ASCII case-insensitively and the first occurrence wins, as
//! nginx's `ngx_http_parse_multi_header_lines` and `ngx_http_arg`; values are raw bytes.

use http::HeaderMap;

/// `$cookie_NAME`: the value of the first cookie named `name` in the `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h [u8]> {
    headers.get_all(http::header::COOKIE).iter().find_map(|line| {
        line.as_bytes().split(|&b| b == b';').find_map(|pair| {
            let (key, value) = split_pair(pair.trim_ascii_start())?;
            key.eq_ignore_ascii_case(name.as_bytes()).then_some(value)
        })
    })
}

/// `$arg_NAME`: the undecoded value of the first argument named `name` in `query` (the part
/// after `?`); an argument without `=` has the empty value.
pub fn arg<'q>(query: &'q str, name: &str) -> Option<&'q [u8]> {
    query.as_bytes().split(|&b| b == b'&').find_map(|pair| {
        let (key, value) = split_pair(pair).unwrap_or((pair, &[]));
        key.eq_ignore_ascii_case(name.as_bytes()).then_some(value)
    })
}

fn split_pair(pair: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = pair.iter().position(|&b| b == b'=')?;
    Some((&pair[..eq], &pair[eq + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_args_by_name() {
        let mut h = HeaderMap::new();
        h.append("cookie", http::HeaderValue::from_static("a=1; Beta=always;c=3"));
        h.append("cookie", http::HeaderValue::from_static("d=4; beta=late"));
        assert_eq!(cookie(&h, "beta"), Some(&b"always"[..]), "first, any case");
        assert_eq!(cookie(&h, "d"), Some(&b"4"[..]));
        assert_eq!(cookie(&h, "e"), None);
        assert_eq!(arg("User=alice&x&y=2&user=bob", "user"), Some(&b"alice"[..]));
        assert_eq!(arg("x&y=2", "x"), Some(&b""[..]));
        assert_eq!(arg("y=2", "z"), None);
    }
}
