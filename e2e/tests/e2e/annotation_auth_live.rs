//! Basic auth against a changing world (local binary only): a Secret rewritten on disk is
//! served within a second (changed password, removed user refused at once, even though the old
//! credentials were cached), broken Secrets get named diagnostics and leave every other Ingress
//! serving, and examples/basic-auth works as its README says.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::{Duration, Instant};

use crate::auth_support::{assert_challenged, basic, curl_status, htpasswd_file, run, secret};
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use portico_e2e::{ingress, metric, request, service, Backends, Dir, Ingress, Portico, Reply};

fn protected(name: &str, secret: &str, host: &str) -> Ingress {
    ingress(name)
        .annotation("auth-type", "basic")
        .annotation("auth-secret", secret)
        .annotation("auth-realm", "Live")
        .path(Some(host), "/", "Prefix", "web")
}

async fn get_as(portico: &Portico, host: &str, user: &str, password: &str) -> Reply {
    let req = Request::get("/")
        .header("host", host)
        .header("authorization", basic(user, password))
        .body(Full::<Bytes>::default())
        .unwrap();
    request(portico.http, req).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_secret_applies_within_a_second_and_removed_users_are_refused() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    let tmp = tempfile::tempdir().unwrap();
    let file =
        htpasswd_file(tmp.path(), &[("foo", "bar", &[]), ("alice", "a1", &["-B", "-C", "5"])])
            .await;
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write("secret.yaml", secret("default", "basic-auth", &[("auth", &file)]));
    dir.write("ing.yaml", protected("live", "basic-auth", "live.test"));
    let portico = Portico::start(dir.path(), &[]).await;
    for _ in 0..3 {
        assert_eq!(get_as(&portico, "live.test", "foo", "bar").await.status, 200);
        assert_eq!(get_as(&portico, "live.test", "alice", "a1").await.status, 200, "cached");
    }
    // Each user's first login verified its hash, the two after it were cache hits.
    let lookups =
        |result| format!("portico_auth_cache_lookups_total{{cache=\"basic\",result=\"{result}\"}}");
    assert_eq!(metric(portico.admin, &lookups("hit")).await, Some(4.0));
    assert_eq!(metric(portico.admin, &lookups("miss")).await, Some(2.0));

    // The password of foo changes, alice is removed, bob is added: the seed's tools again.
    let path = tmp.path().join("auth");
    let path = path.to_str().unwrap();
    run("htpasswd", &["-b", path, "foo", "newpass"]).await;
    run("htpasswd", &["-D", path, "alice"]).await;
    run("htpasswd", &["-b", "-B", "-C", "4", path, "bob", "b0b"]).await;
    let changed = Instant::now();
    dir.write(
        "secret.yaml",
        secret("default", "basic-auth", &[("auth", &std::fs::read(path).unwrap())]),
    );
    let mut applied = None;
    while changed.elapsed() < Duration::from_secs(5) {
        if get_as(&portico, "live.test", "foo", "newpass").await.status == 200 {
            applied = Some(changed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let applied = applied.expect("the new password was accepted");
    eprintln!("Secret change served after {applied:?}");
    assert!(applied < Duration::from_secs(1), "{applied:?}");
    // The table that accepts the new password refuses what was cached under the old Secret.
    assert_challenged(&get_as(&portico, "live.test", "alice", "a1").await, "Live", "removed user");
    assert_challenged(&get_as(&portico, "live.test", "foo", "bar").await, "Live", "old password");
    assert_eq!(get_as(&portico, "live.test", "bob", "b0b").await.status, 200, "added user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_secrets_get_diagnostics_and_leave_other_ingresses_serving() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    // Binary garbage: every byte value, NULs and invalid UTF-8 included.
    let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    dir.write("garbage.yaml", secret("default", "garbage", &[("auth", &garbage)]));
    dir.write("nocolon.yaml", secret("default", "nocolon", &[("auth", b"foo\nbar baz\n")]));
    // 10 MB of htpasswd lines, generated here.
    let line = "someone:$apr1$nP2q0eHn$VivY6OGOaVndbIbzBIsiB0\n";
    let huge = line.repeat(10 * 1024 * 1024 / line.len() + 1);
    dir.write("huge.yaml", secret("default", "huge", &[("auth", huge.as_bytes())]));
    for name in ["garbage", "nocolon", "huge"] {
        dir.write(&format!("ing-{name}.yaml"), protected(name, name, &format!("{name}.test")));
    }
    dir.write("open.yaml", ingress("open").path(Some("open.test"), "/", "Prefix", "web"));
    dir.write("ok-secret.yaml", secret("default", "ok", &[("auth", b"foo:{PLAIN}bar")]));
    dir.write("ing-ok.yaml", protected("ok", "ok", "ok.test"));
    let portico = Portico::start(dir.path(), &[]).await;

    for host in ["garbage.test", "nocolon.test", "huge.test"] {
        assert_challenged(&get_as(&portico, host, "foo", "bar").await, "Live", host);
        assert_challenged(&get_as(&portico, host, "someone", "correct horse").await, "Live", host);
    }
    let open = portico_e2e::get(portico.http, "open.test", "/").await.unwrap();
    assert_eq!(open.status, 200, "other Ingress unaffected");
    assert_eq!(get_as(&portico, "ok.test", "foo", "bar").await.status, 200);
    assert_eq!(curl_status(portico.http, "ok.test", "/", "foo:bar").await, 200);

    let check = portico.check();
    for needle in [
        "Secret default/garbage",
        "not valid UTF-8",
        "Secret default/nocolon",
        "data.auth (line 1): htpasswd line skipped: no ':' between user and hash",
        "Secret default/huge",
        "too large",
    ] {
        assert!(check.contains(needle), "{needle}:\n{check}");
    }
    assert!(check.lines().count() < 200, "a bounded report:\n{check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_basic_auth_example_works_as_documented() {
    let backend = Backends::start("http-svc", 1).await;
    let dir = portico_e2e::example("basic-auth", Some(("9002", backend.addr(0).port())));
    let portico = Portico::start(dir.path(), &[]).await;
    let reply = portico_e2e::get(portico.http, "foo.localtest", "/").await.unwrap();
    assert_challenged(&reply, "Authentication Required - foo", "no credentials");
    assert_eq!(curl_status(portico.http, "foo.localtest", "/", "foo:bar").await, 200);
    assert_eq!(curl_status(portico.http, "foo.localtest", "/", "foo:nope").await, 401);
}
