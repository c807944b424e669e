//! Last good state: a Secret that was served and turns bad keeps serving its last good
//! certificate (as ingress-nginx does) with an error naming the Secret, its file and the field;
//! a fixed Secret is served again; a deleted one falls back to the default certificate.

use portico_e2e::eventually;

use super::support::{check, FAKE_CN};
use super::support::{connect, https_get, leaf_der, presented, secret, self_signed, served_cn};
use super::tls_site;

const KEPT: &str = "the last good version of the Secret keeps serving";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_overwritten_with_bad_pem_keeps_its_last_good_certificate() {
    let (_b, dir, portico) = tls_site(&[("lg", "lg.test")], &[]).await;
    let https = portico.https;
    let (good, good_key) = self_signed("lg.test", &["lg.test"]);
    dir.write("lg-tls.yaml", secret("lg-tls", &good, &good_key));
    let good_leaf = leaf_der(&good);
    let want = good_leaf.clone();
    eventually("the good certificate served", || {
        let want = want.clone();
        async move { presented(&connect(https, Some("lg.test"), &[b"http/1.1"]).await) == want }
    })
    .await;

    let garbage = "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----";
    dir.write("lg-tls.yaml", secret("lg-tls", garbage, &good_key));
    let portico_ref = &portico;
    eventually("the reload reports the bad Secret", || async move {
        !portico_ref.log_lines(KEPT).is_empty()
    })
    .await;
    let logged = portico.log_lines(KEPT).join("\n");
    assert!(
        logged.contains("error: Secret default/lg-tls (")
            && logged.contains("lg-tls.yaml) data[\"tls.crt\"]: invalid PEM certificate"),
        "{logged}"
    );
    for _ in 0..3 {
        let leaf = presented(&connect(https, Some("lg.test"), &[b"http/1.1"]).await);
        assert_eq!(leaf, good_leaf, "the last good certificate is still served");
    }
    assert_eq!(https_get(https, "lg.test", "/").await.status, 200);

    // A key that no longer matches is bad too.
    let (_, other_key) = self_signed("lg.test", &["lg.test"]);
    dir.write("lg-tls.yaml", secret("lg-tls", &good, &other_key));
    eventually("the mismatched key is reported", || async move {
        portico_ref.log_lines(KEPT).iter().any(|l| l.contains("private key does not match"))
    })
    .await;
    assert_eq!(presented(&connect(https, Some("lg.test"), &[b"http/1.1"]).await), good_leaf);

    // A one-shot `portico check` has no history: it reports the Secret as it is now.
    let report = check(dir.path(), &[]).await;
    assert!(report.contains("  lg.test: default certificate"), "{report}");

    // A fixed Secret is served; a deleted one falls back to the default certificate.
    let (fixed, fixed_key) = self_signed("lg.test", &["lg.test"]);
    let fixed_leaf = leaf_der(&fixed);
    dir.write("lg-tls.yaml", secret("lg-tls", &fixed, &fixed_key));
    eventually("the fixed certificate served", || {
        let want = fixed_leaf.clone();
        async move { presented(&connect(https, Some("lg.test"), &[b"http/1.1"]).await) == want }
    })
    .await;
    dir.remove("lg-tls.yaml");
    eventually("deleted Secret → default certificate", || async move {
        served_cn(https, Some("lg.test")).await == FAKE_CN
    })
    .await;
}
