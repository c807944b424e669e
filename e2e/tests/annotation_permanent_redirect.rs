//! `permanent-redirect` / `temporal-redirect` and their codes (ingress-nginx
//! `annotations/redirect/redirect.go`, the template's `return <code> <url>`,
//! `test/e2e/annotations/redirect.go`, spec §1.6, §1.7): every request of the location answers
//! the redirect to the URL as written (nothing of the request appended); temporal wins over
//! permanent; a code outside its range is the default; the `return` runs in the rewrite phase,
//! after the CORS preflight, before the HTTPS redirect, basic auth and the no-endpoints 503;
//! values failing ingress-nginx's validators drop the Ingress.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use portico_e2e::{assert_proxied, assert_redirect, Case};

const URL: &str = "http://redirect.example.com";

#[tokio::test]
async fn every_request_of_the_location_answers_the_url_as_written() {
    let mut case = Case::new("permredirect-basic");
    case.backend("web").await;
    let host = case.host("redirect");
    let ing = case.ingress("redirect").annotation("permanent-redirect", URL);
    case.apply("ing.yaml", ing.path(Some(&host), "/something", "Prefix", "web"));
    let other = case.host("other");
    case.apply("other.yaml", case.ingress("other").path(Some(&other), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/something", 301).await;
    assert_redirect(&reply, 301, URL, "upstream redirect.go: default 301");
    assert!(reply.text().contains("301 Moved Permanently"), "nginx's page: {}", reply.text());
    for target in ["/something/deeper?a=1", "/something?x=y", "/elsewhere"] {
        // /elsewhere: the implicit root location carries the Ingress's annotations (§4.3).
        assert_redirect(&run.get(&host, target).await, 301, URL, "nothing appended");
    }
    let post = Request::post("/something").header("host", &host).body(Full::new(Bytes::from("x")));
    assert_redirect(&run.send(post.unwrap()).await, 301, URL, "any method");
    assert_proxied(&run.get(&other, "/something").await, "web", "/something", "other hosts");
}

#[tokio::test]
async fn codes_precedence_and_paths() {
    let mut case = Case::new("permredirect-codes");
    case.backend("web").await;
    let hosts =
        ["found", "toobig", "temporal", "both", "relpath", "plain300"].map(|l| case.host(l));
    let annotated: [&[(&str, &str)]; 6] = [
        &[("permanent-redirect", URL), ("permanent-redirect-code", "302")],
        &[("permanent-redirect", URL), ("permanent-redirect-code", "309")],
        &[("temporal-redirect", "https://t.example.com/x?y=1"), ("temporal-redirect-code", "307")],
        &[("permanent-redirect", URL), ("temporal-redirect", "https://t.example.com")],
        &[("permanent-redirect", "/new-location")],
        &[("permanent-redirect", URL), ("permanent-redirect-code", "300")],
    ];
    for (host, annotations) in hosts.iter().zip(annotated) {
        let mut ing = case.ingress(host.split('.').next().unwrap());
        for (key, value) in annotations {
            ing = ing.annotation(key, value);
        }
        case.apply(&format!("{host}.yaml"), ing.path(Some(host), "/", "Prefix", "web"));
    }
    let Some(run) = case.start().await else { return };
    let reply = run.served(&hosts[0], "/", 302).await;
    assert_redirect(&reply, 302, URL, "upstream redirect.go: custom code");
    assert_redirect(&run.get(&hosts[1], "/").await, 301, URL, "309 is out of range: 301");
    let want = "https://t.example.com/x?y=1";
    assert_redirect(&run.get(&hosts[2], "/a?b").await, 307, want, "temporal-redirect-code");
    let reply = run.get(&hosts[3], "/").await;
    assert_redirect(&reply, 302, "https://t.example.com", "temporal wins, as ingress-nginx");
    let with_port = format!("{}:8080", hosts[4]);
    let want = format!("http://{}/new-location", hosts[4]);
    assert_redirect(&run.get(&with_port, "/x").await, 301, &want, "a path is made absolute");
    let reply = run.get(&hosts[5], "/").await;
    assert_eq!(reply.status, 300, "return 300 is not a redirect for nginx");
    assert_eq!((reply.header("location"), reply.text().as_str()), (None, URL), "URL is the body");
}

#[tokio::test]
async fn the_redirect_runs_in_the_rewrite_phase() {
    let mut case = Case::new("permredirect-order");
    case.backend("web").await;
    case.service_without_endpoints("empty");
    let (tls, auth, empty, cors) =
        (case.host("tls"), case.host("auth"), case.host("empty"), case.host("cors"));
    let redirect = |name: &str| case.ingress(name).annotation("permanent-redirect", URL);
    case.apply("tls.yaml", redirect("tls").tls(&tls).path(Some(&tls), "/", "Prefix", "web"));
    let ing =
        redirect("auth").annotation("auth-type", "basic").annotation("auth-secret", "missing");
    case.apply("auth.yaml", ing.path(Some(&auth), "/", "Prefix", "web"));
    case.apply("empty.yaml", redirect("empty").path(Some(&empty), "/", "Prefix", "empty"));
    let ing = redirect("cors").annotation("enable-cors", "true");
    case.apply("cors.yaml", ing.path(Some(&cors), "/", "Prefix", "web"));
    let basic = case.ingress("basic").annotation("permanent-redirect", URL);
    let basic = basic.annotation("auth-type", "basic").annotation("auth-secret", "creds");
    let secured = case.host("secured");
    case.apply("basic.yaml", basic.path(Some(&secured), "/", "Prefix", "web"));
    case.apply(
        "creds.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: {}\ntype: Opaque\n\
             data:\n  auth: Zm9vOiRhcHIxJGFiY2RlZmdoJGJHTE80MldxS3BtTG9QSDl1R1dUZzEK\n",
            case.namespace()
        ),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&tls, "/", 301).await;
    assert_redirect(&reply, 301, URL, "before the HTTPS redirect (rewrite_by_lua runs last)");
    assert_redirect(&run.get(&secured, "/").await, 301, URL, "before basic auth (401)");
    assert_redirect(&run.get(&empty, "/").await, 301, URL, "before the no-endpoints 503");
    let reply = run.get(&auth, "/").await;
    assert_eq!(reply.status, 503, "a denied location renders only `return 503`");
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/")
        .header("host", &cors)
        .header("origin", "https://app.example")
        .body(Full::default())
        .unwrap();
    let reply = run.send(preflight).await;
    assert_eq!(reply.status, 204, "the CORS block comes before the return");
    assert_redirect(&run.get(&cors, "/").await, 301, URL, "other methods redirect");
}

#[tokio::test]
async fn invalid_values_drop_the_ingress() {
    let mut case = Case::new("permredirect-invalid");
    case.backend("web").await;
    let hosts = ["var", "space", "code"].map(|l| case.host(l));
    let annotated: [(&str, &str); 3] = [
        ("permanent-redirect", "http://x.example/$request_uri"),
        ("temporal-redirect", "http://x.example/a b"),
        ("permanent-redirect-code", "30x"),
    ];
    for (host, (key, value)) in hosts.iter().zip(annotated) {
        let ing = case.ingress(host.split('.').next().unwrap()).annotation(key, value);
        case.apply(&format!("{host}.yaml"), ing.path(Some(host), "/", "Prefix", "web"));
    }
    // Passes the charset but is no http(s) URL: ingress-nginx's parser fails without a
    // validation error, so the redirect annotations are ignored and the Ingress is served.
    let relative = case.host("relative");
    let ing = case.ingress("relative").annotation("temporal-redirect", "/relative");
    case.apply("relative.yaml", ing.path(Some(&relative), "/", "Prefix", "web"));
    let ok = case.host("ok");
    case.apply("ok.yaml", case.ingress("ok").path(Some(&ok), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    run.served(&ok, "/", 200).await;
    for host in &hosts {
        assert_eq!(run.get(host, "/").await.status, 404, "{host}: Ingress not loaded");
    }
    assert_proxied(&run.get(&relative, "/a").await, "web", "/a", "no redirect, still served");
    if let Some(check) = run.check() {
        for (key, value) in annotated.into_iter().chain([("temporal-redirect", "/relative")]) {
            let line = check.lines().find(|l| l.contains(key) && l.contains(value));
            assert!(line.is_some_and(|l| l.contains("error")), "{key}={value}: {check}");
        }
    }
}
