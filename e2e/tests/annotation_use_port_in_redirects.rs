//! `use-port-in-redirects` (annotation, and the ConfigMap key as its default; ingress-nginx
//! renders nginx's `port_in_redirect on`): the `Location` of the redirects Portico builds from a
//! path (the add-slash 301, a `permanent-redirect` path) carries the listener's port unless it is
//! the scheme's default; without it the port is left out, as nginx's default.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{get, start_site};

#[tokio::test]
async fn the_listener_port_goes_into_redirects_built_from_a_path() {
    let with = [("use-port-in-redirects", "true"), ("permanent-redirect", "/new")];
    let plain = [("use-port-in-redirects", "false"), ("permanent-redirect", "/new")];
    let (_web, _dir, portico) =
        start_site(&[("port.test", &with[..]), ("noport.test", &plain[..])], None).await;
    let port = portico.http.port();
    let reply = get(portico.http, "port.test:1234", "/x").await.unwrap();
    assert_eq!(reply.status, 301);
    let want = format!("http://port.test:{port}/new");
    assert_eq!(reply.header("location"), Some(want.as_str()), "the listener's port, not Host's");
    let reply = get(portico.http, "noport.test:1234", "/x").await.unwrap();
    assert_eq!(reply.header("location"), Some("http://noport.test/new"));
}

#[tokio::test]
async fn the_configmap_key_is_the_default_and_the_annotation_can_turn_it_off() {
    let off = [("use-port-in-redirects", "false"), ("permanent-redirect", "/new")];
    let on = [("permanent-redirect", "/new")];
    let (_web, _dir, portico) = start_site(
        &[("default.test", &on[..]), ("off.test", &off[..])],
        Some("  use-port-in-redirects: \"true\"\n"),
    )
    .await;
    let port = portico.http.port();
    let reply = get(portico.http, "default.test", "/").await.unwrap();
    let want = format!("http://default.test:{port}/new");
    assert_eq!(reply.header("location"), Some(want.as_str()));
    let reply = get(portico.http, "off.test", "/").await.unwrap();
    assert_eq!(reply.header("location"), Some("http://off.test/new"));
}
