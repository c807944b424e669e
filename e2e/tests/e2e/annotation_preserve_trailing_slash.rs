//! `preserve-trailing-slash` (spec §1.4 step 5): by default the HTTPS redirect drops one
//! trailing `/` of the request-URI (`/` → `https://host`); with the annotation (or the
//! ConfigMap key) it is kept.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_redirect, Case};

#[tokio::test]
async fn annotation_keeps_the_trailing_slash() {
    let mut case = Case::new("trailing-slash");
    case.backend("web").await;
    let (keep, drop, bad) = (case.host("keep"), case.host("drop"), case.host("bad"));
    case.apply(
        "keep.yaml",
        case.ingress("keep")
            .annotation("preserve-trailing-slash", "true")
            .annotation("force-ssl-redirect", "true")
            .path(Some(&keep), "/", "Prefix", "web"),
    );
    case.apply(
        "drop.yaml",
        case.ingress("drop").annotation("force-ssl-redirect", "true").path(
            Some(&drop),
            "/",
            "Prefix",
            "web",
        ),
    );
    case.apply(
        "bad.yaml",
        case.ingress("bad").annotation("preserve-trailing-slash", "keep").tls(&bad).path(
            Some(&bad),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&keep, "/", 308).await;
    for (sent, kept, dropped) in [
        ("/", "/", ""),
        ("/foo/", "/foo/", "/foo"),
        ("/foo", "/foo", "/foo"),
        ("/foo/?q=1/", "/foo/?q=1/", "/foo/?q=1"),
    ] {
        let reply = run.get(&keep, sent).await;
        assert_redirect(&reply, 308, &format!("https://{keep}{kept}"), sent);
        let reply = run.get(&drop, sent).await;
        assert_redirect(&reply, 308, &format!("https://{drop}{dropped}"), sent);
    }
    let reply = run.get(&bad, "/foo/").await;
    assert_redirect(&reply, 308, &format!("https://{bad}/foo"), "invalid value → default false");
}

#[tokio::test]
async fn configmap_default_and_annotation_override() {
    let mut case = Case::new("trailing-slash-cm");
    case.backend("web").await;
    let (global, opt_out) = (case.host("global"), case.host("optout"));
    case.config("preserve-trailing-slash", "true");
    case.apply(
        "global.yaml",
        case.ingress("global").tls(&global).path(Some(&global), "/", "Prefix", "web"),
    );
    case.apply(
        "optout.yaml",
        case.ingress("optout").annotation("preserve-trailing-slash", "false").tls(&opt_out).path(
            Some(&opt_out),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&global, "/a/", 308).await;
    assert_redirect(&reply, 308, &format!("https://{global}/a/"), "ConfigMap true");
    let reply = run.get(&opt_out, "/a/").await;
    assert_redirect(&reply, 308, &format!("https://{opt_out}/a"), "annotation false");
}
