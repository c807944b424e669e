//! Shared by the basic-auth tests: the real `htpasswd` and `curl` (run off the async runtime),
//! Secrets written the way `kubectl create secret generic --from-file` writes them, and the
//! assertions on nginx's 401 answer.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;
use std::process::Command;

use portico_e2e::Reply;

/// Runs a blocking command on a blocking thread; returns stdout, panics with stderr on failure.
pub async fn run(program: &str, args: &[&str]) -> Vec<u8> {
    let (program, args): (String, Vec<String>) =
        (program.to_string(), args.iter().map(|a| a.to_string()).collect());
    tokio::task::spawn_blocking(move || {
        let out = Command::new(&program).args(&args).output().unwrap_or_else(|e| {
            panic!("cannot run {program} (apache2-utils/curl installed? .ci/run does): {e}")
        });
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    })
    .await
    .unwrap()
}

/// `htpasswd -c -b <dir>/auth user password` plus `htpasswd -b` for further users, with extra
/// format flags per user (`-B -C 4`, `-s`, ...): the file's bytes, as the seed's recipe makes it.
pub async fn htpasswd_file(dir: &Path, users: &[(&str, &str, &[&str])]) -> Vec<u8> {
    let file = dir.join("auth");
    let file = file.to_str().unwrap();
    for (i, (user, password, flags)) in users.iter().enumerate() {
        let mut args: Vec<&str> = vec![if i == 0 { "-cb" } else { "-b" }];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[file, user, password]);
        run("htpasswd", &args).await;
    }
    std::fs::read(file).unwrap()
}

/// One `htpasswd -nb <flags> user password` hash (without the user).
pub async fn hash(flags: &[&str], user: &str, password: &str) -> String {
    let mut args = vec!["-nb"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[user, password]);
    let line = String::from_utf8(run("htpasswd", &args).await).unwrap();
    line.trim_end().split_once(':').unwrap().1.to_string()
}

/// True when the installed htpasswd knows `flag` (-2/-5 arrived in Apache 2.4.61).
pub async fn htpasswd_supports(flag: &str) -> bool {
    let flag = flag.to_string();
    tokio::task::spawn_blocking(move || {
        Command::new("htpasswd")
            .args(["-nb", &flag, "u", "p"])
            .output()
            .is_ok_and(|out| out.status.success())
    })
    .await
    .unwrap()
}

/// A Secret as `kubectl create secret generic <name> --from-file=<key>...` creates it: each
/// value base64-encoded under `data`.
pub fn secret(namespace: &str, name: &str, data: &[(&str, &[u8])]) -> String {
    let mut yaml = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
         type: Opaque\ndata:\n"
    );
    if data.is_empty() {
        yaml.push_str("  {}\n");
    }
    for (key, value) in data {
        yaml.push_str(&format!("  {key}: {}\n", base64(value)));
    }
    yaml
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

/// Standard base64 with padding (the tests need no dependency for it).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// nginx's challenge: 401, the realm, and the HTML page titled `401 Authorization Required`.
#[track_caller]
pub fn assert_challenged(reply: &Reply, realm: &str, what: &str) {
    assert_eq!(reply.status, 401, "{what}: {}", reply.text());
    assert_eq!(
        reply.header("www-authenticate"),
        Some(format!("Basic realm=\"{realm}\"").as_str()),
        "{what}"
    );
    assert!(reply.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{what}");
    assert!(reply.text().contains("<title>401 Authorization Required</title>"), "{what}");
}

/// `curl -s -u user:password -H 'Host: host' http://addr<path>`: the status code.
pub async fn curl_status(addr: std::net::SocketAddr, host: &str, path: &str, user: &str) -> u16 {
    let url = format!("http://{addr}{path}");
    let host = format!("Host: {host}");
    let out = run(
        "curl",
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--path-as-is",
            "-u",
            user,
            "-H",
            &host,
            &url,
        ],
    )
    .await;
    String::from_utf8(out).unwrap().parse().unwrap()
}

#[test]
fn base64_matches_the_rfc_vectors() {
    let cases = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg==")];
    for (plain, encoded) in cases {
        assert_eq!(base64(plain.as_bytes()), encoded);
    }
    assert_eq!(basic("foo", "bar"), "Basic Zm9vOmJhcg==");
}
