//! Broken Secrets: each costs a named diagnostic and the default certificate for its host;
//! every other host keeps its certificate and keeps being served.

use std::time::Duration;

use portico_e2e::eventually;
use tokio::time::Instant;

use super::support::{check, https_get, secret, secret_fields, self_signed, served_cn, FAKE_CN};
use super::tls_site;

const TLS: Option<&str> = Some("kubernetes.io/tls");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_secrets_cost_their_host_the_certificate_only() {
    let hosts = [
        ("good", "good.test"),
        ("badpem", "badpem.test"),
        ("mismatch", "mismatch.test"),
        ("wrongtype", "wrongtype.test"),
        ("nokey", "nokey.test"),
        ("keyonly", "keyonly.test"),
    ];
    let (_b, dir, portico) = tls_site(&hosts, &[]).await;
    let (good, good_key) = self_signed("good.test", &["good.test"]);
    let (other, other_key) = self_signed("mismatch.test", &["mismatch.test"]);
    let garbage = "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----";
    dir.write("good.s.yaml", secret("good-tls", &good, &good_key));
    dir.write("badpem.s.yaml", secret("badpem-tls", garbage, &good_key));
    dir.write("mismatch.s.yaml", secret("mismatch-tls", &other, &good_key));
    let fields = [("tls.crt", other.as_str()), ("tls.key", other_key.as_str())];
    dir.write(
        "wrongtype.s.yaml",
        secret_fields("wrongtype-tls", Some("kubernetes.io/basic-auth"), &fields),
    );
    dir.write("nokey.s.yaml", secret_fields("nokey-tls", TLS, &[("tls.crt", &other)]));
    dir.write("keyonly.s.yaml", secret_fields("keyonly-tls", TLS, &[("tls.key", &other_key)]));

    let https = portico.https;
    eventually("good.test served its certificate", || async move {
        served_cn(https, Some("good.test")).await == "good.test"
    })
    .await;
    for (_, host) in &hosts[1..] {
        assert_eq!(served_cn(https, Some(host)).await, FAKE_CN, "{host}");
        assert_eq!(https_get(https, host, "/").await.status, 200, "{host} still routed");
    }
    assert_eq!(https_get(https, "good.test", "/").await.status, 200);

    let report = check(dir.path(), &[]).await;
    let expected = [
        ("badpem-tls", "badpem.s.yaml)", "data[\"tls.crt\"]: invalid PEM certificate"),
        ("mismatch-tls", "mismatch.s.yaml)", "data[\"tls.key\"]: private key does not match"),
        ("wrongtype-tls", "wrongtype.s.yaml)", "type: type kubernetes.io/basic-auth cannot hold"),
        ("nokey-tls", "nokey.s.yaml)", "data[\"tls.key\"]: missing: tls.crt is present"),
        ("keyonly-tls", "keyonly.s.yaml)", "data[\"tls.crt\"]: missing: tls.key is present"),
    ];
    for (secret, file, reason) in expected {
        let prefix = format!("error: Secret default/{secret} ");
        let found = report
            .lines()
            .any(|l| l.starts_with(&prefix) && l.contains(file) && l.contains(reason));
        assert!(found, "no diagnostic for {secret} ({reason}) in\n{report}");
    }
    assert!(report.contains("5 error(s)"), "{report}");
    assert!(report.contains("server good.test [tls default/good-tls]"), "{report}");
    assert!(report.contains("  good.test: Secret default/good-tls"), "{report}");
    assert!(report.contains("  mismatch.test: default certificate"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_megabyte_secret_is_refused_by_name() {
    let (_b, dir, portico) = tls_site(&[("good", "good.test"), ("big", "big.test")], &[]).await;
    let (good, good_key) = self_signed("good.test", &["good.test"]);
    dir.write("good.s.yaml", secret("good-tls", &good, &good_key));
    let line = format!("{}\n", "A".repeat(63));
    let body = line.repeat(50 * 1024 * 1024 / line.len());
    let huge = format!("-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n");
    let written = Instant::now();
    dir.write("big.s.yaml", secret("big-tls", &huge, &good_key));
    let needle = "data[\"tls.crt\"]: 52428";
    let portico_ref = &portico;
    eventually("the 50 MB Secret reported", || async move {
        !portico_ref.log_lines("over the 1048576 byte limit").is_empty()
    })
    .await;
    eprintln!("50 MB Secret loaded and reported after {:?}", written.elapsed());
    let logged = portico.log_lines("over the 1048576 byte limit").join("\n");
    assert!(
        logged.contains("error: Secret default/big-tls (") && logged.contains(needle),
        "{logged}"
    );
    let https = portico.https;
    assert_eq!(served_cn(https, Some("big.test")).await, FAKE_CN);
    assert_eq!(served_cn(https, Some("good.test")).await, "good.test");
    assert_eq!(https_get(https, "good.test", "/").await.status, 200);
    let started = Instant::now();
    let report = check(dir.path(), &[]).await;
    assert!(report.contains(needle), "{report}");
    assert!(started.elapsed() < Duration::from_secs(30), "check took {:?}", started.elapsed());
}
