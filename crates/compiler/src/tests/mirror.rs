//! `mirror-target`: the copies' subrequest URI is `/_mirror-<Ingress uid>`, as ingress-nginx
//! names its mirror location.

use super::fixtures::{ingress, Port, World};
use super::server;

fn mirror_source(uid: Option<&str>) -> Option<String> {
    let mut world = World::new();
    world.backend("default", "app", "10.0.0.1");
    let mut ing = ingress("default", "m")
        .nginx("mirror-target", "http://mirror.test")
        .rule("a.io", &[("/", "Prefix", "app", Port::N(80))]);
    if let Some(uid) = uid {
        ing = ing.uid(uid);
    }
    world.ingress(ing);
    let compiled = world.compile();
    let location = server(&compiled, "a.io").locations.first().cloned()?;
    location.policy.mirror.as_ref().map(|m| m.source.clone())
}

#[test]
fn the_subrequest_uri_names_the_ingress_uid() {
    let uid = "c89a5111-b2e9-4af8-be19-c2a4a924c256";
    assert_eq!(mirror_source(Some(uid)).as_deref(), Some(&*format!("/_mirror-{uid}")));
    assert_eq!(mirror_source(None).as_deref(), Some("/_mirror-"), "no uid, as ingress-nginx");
    assert_eq!(mirror_source(Some("a/b?c")).as_deref(), Some("/_mirror-"), "not fit for a URI");
}
