//! Live reconfiguration: a changed file is served within a second, keep-alive connections stay
//! open across the swap, and a broken file leaves every other route serving.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use portico_e2e::{eventually, get, ingress, service, Backends, Conn, Dir, Portico};

fn req(host: &str, path: &str) -> Request<Full<Bytes>> {
    Request::get(path).header("host", host).body(Full::default()).unwrap()
}

#[tokio::test]
async fn changed_file_is_served_while_a_keep_alive_connection_stays_open() {
    let (blue, green) = (Backends::start("blue", 1).await, Backends::start("green", 1).await);
    let dir = Dir::new();
    dir.write(
        "svc.yaml",
        [service("default", "blue", &blue.addrs()), service("default", "green", &green.addrs())]
            .join("---\n"),
    );
    dir.write("ing.yaml", ingress("app").path(Some("app.test"), "/", "Prefix", "blue"));
    let portico = Portico::start(dir.path(), &[]).await;

    let mut conn = Conn::open(portico.http).await.unwrap();
    let reply = conn.send(req("app.test", "/")).await.unwrap();
    assert_eq!(reply.echo()["server"], "blue-0");

    let changed = std::time::Instant::now();
    dir.write("ing.yaml", ingress("app").path(Some("app.test"), "/", "Prefix", "green"));
    let mut switched = None;
    for _ in 0..200 {
        let reply =
            conn.send(req("app.test", "/")).await.expect("keep-alive connection survives the swap");
        assert_eq!(reply.status, 200);
        if reply.echo()["server"] == "green-0" {
            switched = Some(changed.elapsed());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let switched = switched.expect("the change was served");
    assert!(conn.is_open());
    eprintln!("change served after {switched:?}");
    assert!(switched < std::time::Duration::from_secs(3), "{switched:?}");
}

#[tokio::test]
async fn broken_file_leaves_other_routes_serving_and_keeps_the_last_good_version() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write("a.yaml", ingress("a").path(Some("a.test"), "/", "Prefix", "web"));
    dir.write("b.yaml", ingress("b").path(Some("b.test"), "/", "Prefix", "web"));
    let portico = Portico::start(dir.path(), &[]).await;
    assert_eq!(get(portico.http, "a.test", "/").await.unwrap().status, 200);

    dir.write(
        "b.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: b\nspec: [",
    );
    dir.write("c.yaml", ingress("c").path(Some("c.test"), "/", "Prefix", "web"));
    eventually("the new file c.yaml is served", || async {
        get(portico.http, "c.test", "/").await.is_ok_and(|r| r.status == 200)
    })
    .await;
    assert_eq!(get(portico.http, "a.test", "/").await.unwrap().status, 200);
    assert_eq!(
        get(portico.http, "b.test", "/").await.unwrap().status,
        200,
        "the broken file's last good Ingress keeps serving"
    );
    assert!(!portico.log_lines("b.yaml").is_empty(), "the broken file is named in the log");

    dir.remove("b.yaml");
    eventually("a deleted file's routes go away", || async {
        get(portico.http, "b.test", "/").await.is_ok_and(|r| r.status == 404)
    })
    .await;
}
