//! Every example directory loads cleanly, and the quickstart answers through the real binary
//! (its fixed demo port is swapped for a run-time one).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::process::Command;

use portico_e2e::{binary, example, examples_dir, get, Backends, Portico};

#[test]
fn every_example_compiles_without_errors() {
    let mut checked = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let copy = example(&name, None);
        let path = copy.path();
        let out = Command::new(binary()).arg("check").arg(path).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}:\n{stdout}");
        assert!(stdout.contains("0 error(s)"), "{name}:\n{stdout}");
        checked += 1;
    }
    assert!(checked >= 1);
}

#[tokio::test]
async fn quickstart_serves_hello() {
    let backend = Backends::start("hello", 1).await;
    let dir = example("quickstart", Some(("9001", backend.addr(0).port())));
    let portico = Portico::start(dir.path(), &[]).await;
    let reply = get(portico.http, "hello.localtest", "/").await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.echo()["server"], "hello-0");
}

#[tokio::test]
async fn rewrite_example_behaves_as_its_readme_says() {
    let backend = Backends::start("http-svc", 1).await;
    let dir = example("rewrite", Some(("9002", backend.addr(0).port())));
    let portico = Portico::start(dir.path(), &[]).await;
    let uri = |reply: portico_e2e::Reply| reply.echo()["uri"].as_str().unwrap().to_string();
    for (sent, received) in
        [("/something", "/"), ("/something/", "/"), ("/something/new?q", "/new?q")]
    {
        let reply = get(portico.http, "rewrite.bar.localtest", sent).await.unwrap();
        assert_eq!(uri(reply), received, "rewrite {sent}");
    }
    let reply = get(portico.http, "approot.bar.localtest:8080", "/").await.unwrap();
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some("http://approot.bar.localtest:8080/app1"));
    let reply = get(portico.http, "secure.bar.localtest:8080", "/docs/").await.unwrap();
    assert_eq!(reply.status, 308);
    assert_eq!(reply.header("location"), Some("https://secure.bar.localtest/docs"));
    let reply = get(portico.http, "secure.bar.localtest", "/public/x").await.unwrap();
    assert_eq!(uri(reply), "/public/x", "ssl-redirect: false");
    let reply = get(portico.http, "force.bar.localtest", "/").await.unwrap();
    assert_eq!(reply.status, 308);
    assert_eq!(reply.header("location"), Some("https://force.bar.localtest"));
}
