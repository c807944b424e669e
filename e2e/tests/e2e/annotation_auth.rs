//! Basic auth (spec §2, §1.7; ingress-nginx `test/e2e/annotations/auth.go`,
//! `settings/no_auth_locations.go`): the seed's `htpasswd -c` recipe, every hash format the real
//! `htpasswd` writes, auth-map, the 401 challenge, 503 for unusable Secrets, phase order, the
//! implicit root, `no-auth-locations`, and path spellings that must not slip past the check.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use crate::auth_support::{
    assert_challenged, basic, curl_status, hash, htpasswd_file, htpasswd_supports, secret,
};
use portico_e2e::{assert_proxied, Case, Ingress};

const REALM: &str = "Authentication Required - foo";

/// An Ingress protected by Secret `secret` (auth-file unless `kind` says otherwise).
fn protected(case: &Case, name: &str, secret: &str) -> Ingress {
    case.ingress(name)
        .annotation("auth-type", "basic")
        .annotation("auth-secret", secret)
        .annotation("auth-realm", REALM)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_recipe_htpasswd_c_then_secret_from_file() {
    let mut case = Case::new("auth-seed");
    case.backend("web").await;
    let tmp = tempfile::tempdir().unwrap();
    // htpasswd -c auth foo (here -b: the password on the command line); apr1 by default.
    let file = htpasswd_file(tmp.path(), &[("foo", "bar", &[])]).await;
    assert!(String::from_utf8_lossy(&file).starts_with("foo:$apr1$"), "htpasswd's default");
    case.apply("secret.yaml", secret(case.namespace(), "basic-auth", &[("auth", &file)]));
    let host = case.host("foo");
    case.apply(
        "ing.yaml",
        protected(&case, "ingress-with-auth", "basic-auth").path(Some(&host), "/", "Prefix", "web"),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/", 401).await;
    assert_challenged(&reply, REALM, "no credentials");
    for (credentials, what) in [
        (basic("foo", "wrong"), "wrong password"),
        (basic("nobody", "bar"), "unknown user"),
        (basic("foo", ""), "empty password"),
        ("Basic !!!".to_string(), "not base64"),
        ("Bearer abc".to_string(), "not Basic"),
    ] {
        let reply = run.get_with(&host, "/", &[("authorization", &credentials)]).await;
        assert_challenged(&reply, REALM, what);
    }
    let reply = run.get_with(&host, "/x", &[("authorization", &basic("foo", "bar"))]).await;
    assert_proxied(&reply, "web", "/x", "right credentials");
    assert_eq!(reply.echo_header("authorization"), None, "Authorization is not forwarded");
    // The real curl, as the ingress-nginx docs show it.
    assert_eq!(curl_status(run.http, &host, "/", "foo:bar").await, 200);
    assert_eq!(curl_status(run.http, &host, "/", "foo:baz").await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_htpasswd_writes_and_auth_map() {
    let mut case = Case::new("auth-formats");
    case.backend("web").await;
    let mut formats: Vec<(&str, &[&str])> = vec![
        ("apr1", &["-m"]),
        ("bcrypt", &["-B", "-C", "4"]),
        ("sha", &["-s"]),
        ("crypt", &["-d"]),
    ];
    for (name, flag) in [("sha256", "-2"), ("sha512", "-5")] {
        if htpasswd_supports(flag).await {
            formats.push((name, if flag == "-2" { &["-2"] } else { &["-5"] }));
        } else {
            eprintln!("htpasswd has no {flag}: {name} covered by unit vectors only");
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let users: Vec<(&str, &str, &[&str])> =
        formats.iter().map(|(name, flags)| (*name, "s3cret pw", *flags)).collect();
    let file = htpasswd_file(tmp.path(), &users).await;
    let mut map: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, flags) in &formats {
        map.push((format!("map-{name}"), hash(flags, name, "s3cret pw").await.into_bytes()));
    }
    map.push(("map-plain".into(), b"{PLAIN}s3cret pw".to_vec()));
    let map: Vec<(&str, &[u8])> = map.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
    case.apply("file.yaml", secret(case.namespace(), "file", &[("auth", &file)]));
    case.apply("map.yaml", secret(case.namespace(), "map", &map));
    let (file_host, map_host) = (case.host("file"), case.host("map"));
    case.apply(
        "ing-file.yaml",
        protected(&case, "file", "file").path(Some(&file_host), "/", "Prefix", "web"),
    );
    case.apply(
        "ing-map.yaml",
        protected(&case, "map", "map").annotation("auth-secret-type", "auth-map").path(
            Some(&map_host),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&file_host, "/", 401).await;
    run.served(&map_host, "/", 401).await;
    for (host, user) in users
        .iter()
        .map(|(user, ..)| (&file_host, user.to_string()))
        .chain(map.iter().map(|(user, _)| (&map_host, user.to_string())))
    {
        let ok = run.get_with(host, "/", &[("authorization", &basic(&user, "s3cret pw"))]).await;
        assert_proxied(&ok, "web", "/", &user);
        let wrong = run.get_with(host, "/", &[("authorization", &basic(&user, "nope"))]).await;
        assert_challenged(&wrong, REALM, &format!("{user}: wrong password"));
    }
    // DES crypt only reads 8 characters, as crypt(3) does: nginx accepts the longer password.
    let longer = basic("crypt", "s3cret pwXYZ");
    let des = run.get_with(&file_host, "/", &[("authorization", &longer)]).await;
    assert_proxied(&des, "web", "/", "DES: first 8 characters");
    if let Some(check) = run.check() {
        assert!(check.contains("\"crypt\"") && check.contains("weak"), "{check}");
        assert!(check.contains("0 error(s)"), "{check}");
    }
}

#[tokio::test]
async fn malformed_lines_and_empty_hashes_answer_401_others_still_log_in() {
    let mut case = Case::new("auth-malformed");
    case.backend("web").await;
    let content = b"# comment\nfoo:\nnocolon\n:nouser\nbar:{PLAIN}pw\nbroken:{SSHA}!!!!\n";
    case.apply("secret.yaml", secret(case.namespace(), "s", &[("auth", content)]));
    let host = case.host("m");
    case.apply("ing.yaml", protected(&case, "m", "s").path(Some(&host), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    run.served(&host, "/", 401).await;
    for user in ["foo", "nocolon", ""] {
        let reply = run.get_with(&host, "/", &[("authorization", &basic(user, ""))]).await;
        assert_challenged(&reply, REALM, &format!("user {user:?}"));
    }
    let reply = run.get_with(&host, "/", &[("authorization", &basic("bar", "pw"))]).await;
    assert_proxied(&reply, "web", "/", "the good line still works");
    // nginx's base64 decoder fails on this {SSHA} payload: 500, not the challenge.
    let reply = run.get_with(&host, "/", &[("authorization", &basic("broken", "x"))]).await;
    assert_eq!(reply.status, 500, "{}", reply.text());
    if let Some(check) = run.check() {
        for needle in
            ["data.auth (line 3)", "data.auth (line 4)", "user \"foo\"", "user \"broken\""]
        {
            assert!(check.contains(needle), "{needle}: {check}");
        }
    }
}

#[tokio::test]
async fn unusable_secrets_answer_503_and_other_ingresses_keep_serving() {
    let mut case = Case::new("auth-denied");
    case.backend("web").await;
    let ns = case.namespace().to_string();
    case.apply("wrong-key.yaml", secret(&ns, "wrong-key", &[("htpasswd", b"foo:{PLAIN}bar")]));
    case.apply("other-ns.yaml", secret("default", "elsewhere", &[("auth", b"foo:{PLAIN}bar")]));
    let hosts = [
        ("missing", "missing".to_string()),
        ("wrongkey", "wrong-key".to_string()),
        ("crossns", "default/elsewhere".to_string()),
    ];
    for (label, reference) in &hosts {
        let host = case.host(label);
        let ing = protected(&case, label, reference).path(Some(&host), "/", "Prefix", "web");
        case.apply(&format!("{label}.yaml"), ing);
    }
    let open = case.host("open");
    case.apply("open.yaml", case.ingress("open").path(Some(&open), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    run.served(&open, "/", 200).await;
    for (label, _) in &hosts {
        let host = run.host(label);
        let reply = run.served(&host, "/", 503).await;
        assert!(reply.text().contains("503 Service Temporarily Unavailable"), "{label}");
        let reply = run.get_with(&host, "/", &[("authorization", &basic("foo", "bar"))]).await;
        assert_eq!(reply.status, 503, "{label}: credentials do not help");
    }
    assert_proxied(&run.get(&open, "/").await, "web", "/", "another Ingress keeps serving");
    if let Some(check) = run.check() {
        for needle in ["not found", "has no key \"auth\"", "another namespace"] {
            assert!(check.contains(needle), "{needle}: {check}");
        }
    }
}

#[tokio::test]
async fn no_endpoints_answers_503_before_auth_and_the_implicit_root_asks() {
    let mut case = Case::new("auth-order");
    case.backend("web").await;
    case.service_without_endpoints("empty");
    let ns = case.namespace().to_string();
    case.apply("s.yaml", secret(&ns, "s", &[("auth", b"foo:{PLAIN}bar")]));
    let host = case.host("h");
    case.apply(
        "ing.yaml",
        protected(&case, "h", "s").path(Some(&host), "/api", "Prefix", "web").path(
            Some(&host),
            "/down",
            "Prefix",
            "empty",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/api", 401).await;
    let reply = run.get(&host, "/down").await;
    assert_eq!(reply.status, 503, "no endpoints is answered before auth (§1.7)");
    // The implicit root of the host came from this Ingress: it asks before its 404.
    assert_challenged(&run.get(&host, "/elsewhere").await, REALM, "implicit root");
    let reply = run.get_with(&host, "/elsewhere", &[("authorization", &basic("foo", "bar"))]).await;
    assert_eq!(reply.status, 404, "authenticated, then the default backend's 404");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_spellings_of_a_protected_path_are_challenged() {
    let mut case = Case::new("auth-spelling");
    case.backend("web").await;
    case.backend("admin").await;
    let ns = case.namespace().to_string();
    case.apply("s.yaml", secret(&ns, "s", &[("auth", b"foo:{PLAIN}bar")]));
    let host = case.host("h");
    // The open Ingress is older, so the host's implicit root and `/` stay open.
    let open = case.ingress("open").created("2020-01-01T00:00:00Z");
    case.apply("open.yaml", open.path(Some(&host), "/", "Prefix", "web"));
    let admin = protected(&case, "admin", "s").created("2021-01-01T00:00:00Z");
    case.apply("admin.yaml", admin.path(Some(&host), "/admin", "Prefix", "admin"));
    let Some(run) = case.start().await else { return };
    run.served(&host, "/admin", 401).await;
    assert_proxied(&run.get(&host, "/public").await, "web", "/public", "open path");
    for spelling in
        ["//admin", "/./admin", "/public/../admin", "/%61dmin", "/admin/", "/ADMIN/../admin"]
    {
        assert_challenged(&run.get(&host, spelling).await, REALM, spelling);
        assert_eq!(
            curl_status(run.http, &host, spelling, "foo:wrong").await,
            401,
            "curl {spelling}"
        );
    }
    let reply = run.get_with(&host, "/./admin", &[("authorization", &basic("foo", "bar"))]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.echo()["server"], "admin-0");
}

#[tokio::test]
async fn no_auth_locations_skip_the_check() {
    let mut case = Case::new("auth-noauth");
    case.backend("web").await;
    case.config("no-auth-locations", "/public-area");
    let ns = case.namespace().to_string();
    case.apply("s.yaml", secret(&ns, "s", &[("auth", b"foo:{PLAIN}bar")]));
    let host = case.host("h");
    case.apply(
        "ing.yaml",
        protected(&case, "h", "s").path(Some(&host), "/secure", "Prefix", "web").path(
            Some(&host),
            "/public-area",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/secure", 401).await;
    assert_proxied(&run.get(&host, "/public-area/x").await, "web", "/public-area/x", "no-auth");
}

#[tokio::test]
async fn acme_challenges_skip_the_check_by_default() {
    let mut case = Case::new("auth-acme");
    case.backend("web").await;
    let ns = case.namespace().to_string();
    case.apply("s.yaml", secret(&ns, "s", &[("auth", b"foo:{PLAIN}bar")]));
    let host = case.host("h");
    case.apply(
        "ing.yaml",
        protected(&case, "h", "s").path(Some(&host), "/", "Prefix", "web").path(
            Some(&host),
            "/.well-known/acme-challenge",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/", 401).await;
    let path = "/.well-known/acme-challenge/token";
    assert_proxied(&run.get(&host, path).await, "web", path, "default no-auth-locations");
}

#[tokio::test]
async fn invalid_auth_type_or_realm_does_not_load_the_ingress() {
    let mut case = Case::new("auth-invalid");
    case.backend("web").await;
    let ns = case.namespace().to_string();
    case.apply("s.yaml", secret(&ns, "s", &[("auth", b"foo:{PLAIN}bar")]));
    let cases = [
        ("capital", "auth-type", "Basic"),
        ("quote", "auth-realm", "say \"hi\""),
        ("newline", "auth-realm", "line\nbreak"),
    ];
    for (label, key, value) in cases {
        let host = case.host(label);
        let ing = protected(&case, label, "s").annotation(key, value);
        case.apply(&format!("{label}.yaml"), ing.path(Some(&host), "/", "Prefix", "web"));
    }
    let ok = case.host("ok");
    case.apply("ok.yaml", protected(&case, "ok", "s").path(Some(&ok), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    run.served(&ok, "/", 401).await;
    for (label, ..) in cases {
        // Not loaded: its host is unknown, so the default server answers 404 (no challenge).
        let reply = run.get(&run.host(label), "/").await;
        assert_eq!(reply.status, 404, "{label}: {}", reply.text());
    }
    if let Some(check) = run.check() {
        for needle in ["auth-type", "auth-realm"] {
            assert!(check.contains(needle), "{needle}: {check}");
        }
    }
}
