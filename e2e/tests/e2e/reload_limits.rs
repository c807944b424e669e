//! Reloads under hostile or large input: a file of deeply nested `[` is refused in linear time
//! (it used to stall every reload for 48 s) while the rest keeps serving, and the reload log line
//! times the whole reload, reading and parsing the files included.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::{Duration, Instant};

use portico_e2e::{eventually, get, ingress, service, Backends, Dir, Portico};

/// `elapsed_ms` of the latest `routing table live` line.
fn last_elapsed_ms(portico: &Portico) -> Option<u64> {
    let lines = portico.log_lines("routing table live");
    let line = lines.last()?;
    let rest = &line[line.find("elapsed_ms=")? + "elapsed_ms=".len()..];
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_file_is_refused_quickly_and_the_rest_keeps_serving() {
    let backends = Backends::start("app", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "app", &backends.addrs()));
    dir.write("ing.yaml", ingress("app").path(Some("app.test"), "/", "Prefix", "app"));
    let portico = Portico::start(dir.path(), &[]).await;
    let http = portico.http;
    eventually("app.test served", || async move {
        get(http, "app.test", "/").await.is_ok_and(|r| r.status == 200)
    })
    .await;

    let written = Instant::now();
    dir.write("deep.yaml", format!("a: 1\nb: {}\n", "[".repeat(100 * 1024)));
    let portico_ref = &portico;
    eventually("the deep file reported", || async move {
        !portico_ref.log_lines("nested deeper than 128 levels").is_empty()
    })
    .await;
    let took = written.elapsed();
    eprintln!("deep file refused after {took:?}");
    assert!(took < Duration::from_secs(5), "the reload took {took:?}");
    let logged = portico.log_lines("nested deeper than 128 levels").join("\n");
    assert!(logged.contains("deep.yaml): line 2 column 132 (document 1)"), "{logged}");
    assert_eq!(get(http, "app.test", "/").await.unwrap().status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_log_times_parsing_too() {
    let dir = Dir::new();
    let portico = Portico::start(dir.path(), &[]).await;
    // Many small objects nothing routes to: parsing them is the reload's whole cost.
    let mut big = String::new();
    for i in 0..20_000 {
        big.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: v{i}\n"
        ));
    }
    let before = portico.log_lines("routing table live").len();
    dir.write("big.yaml", big);
    let portico_ref = &portico;
    eventually("the big file loaded", || async move {
        portico_ref.log_lines("routing table live").len() > before
    })
    .await;
    let elapsed = last_elapsed_ms(&portico).unwrap_or_else(|| panic!("{}", portico.log_text()));
    eprintln!("reload of 20000 ConfigMaps: elapsed_ms={elapsed}");
    // The old log line timed only compiling and swapping: 0 ms here, while parsing 20000
    // documents takes tens of milliseconds even in a release build.
    assert!(elapsed >= 5, "elapsed_ms={elapsed}:\n{}", portico.log_text());
}
