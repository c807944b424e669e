//! `relative-redirects` (annotation and ConfigMap key; ingress-nginx renders nginx's
//! `absolute_redirect off`, `test/e2e/annotations/relativeredirects.go`): the `Location` of the
//! redirects nginx builds from a path (the add-slash 301, a `permanent-redirect` path) stays
//! relative; absolute by default. Redirects written as URLs (app-root, HTTPS) are unchanged.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_redirect, Case};

#[tokio::test]
async fn the_annotation_keeps_paths_relative_on_its_locations() {
    let mut case = Case::new("relredirect-annotation");
    case.backend("web").await;
    let (rel, abs) = (case.host("rel"), case.host("abs"));
    for (host, value) in [(&rel, "true"), (&abs, "false")] {
        let ing = case.ingress(host.split('.').next().unwrap());
        let ing = ing.annotation("relative-redirects", value);
        let ing = ing.annotation("permanent-redirect", "/new-location");
        let ing = ing.path(Some(host), "/something", "Prefix", "web");
        let other = case.ingress(&format!("{}-dir", host.split('.').next().unwrap()));
        let other = other.annotation("relative-redirects", value);
        case.apply(&format!("{host}.yaml"), ing);
        case.apply(&format!("{host}-dir.yaml"), other.path(Some(host), "/dir/", "Prefix", "web"));
    }
    let Some(run) = case.start().await else { return };
    let reply = run.served(&rel, "/something", 301).await;
    assert_redirect(&reply, 301, "/new-location", "upstream relativeredirects.go");
    let reply = run.get(&abs, "/something").await;
    let want = format!("http://{abs}/new-location");
    assert_redirect(&reply, 301, &want, "upstream: absolute with relative-redirects false");
    assert_redirect(&run.get(&rel, "/dir?a=1").await, 301, "/dir/?a=1", "add-slash, relative");
    let want = format!("http://{abs}/dir/?a=1");
    assert_redirect(&run.get(&abs, "/dir?a=1").await, 301, &want, "add-slash, absolute");
}

#[tokio::test]
async fn the_configmap_key_applies_everywhere_and_false_cannot_undo_it() {
    let mut case = Case::new("relredirect-configmap");
    case.backend("web").await;
    case.config("relative-redirects", "true");
    let host = case.host("site");
    let ing = case.ingress("site").annotation("relative-redirects", "false");
    let ing = ing.annotation("app-root", "/app").annotation("force-ssl-redirect", "true");
    let ing =
        ing.path(Some(&host), "/", "Prefix", "web").path(Some(&host), "/dir/", "Prefix", "web");
    case.apply("ing.yaml", ing);
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/dir", 301).await;
    assert_redirect(&reply, 301, "/dir/", "absolute_redirect off at http level");
    let reply = run.get(&host, "/").await;
    assert_redirect(&reply, 302, &format!("http://{host}/app"), "app-root is written absolute");
    let reply = run.get(&host, "/x").await;
    assert_redirect(&reply, 308, &format!("https://{host}/x"), "the HTTPS redirect too");
}
