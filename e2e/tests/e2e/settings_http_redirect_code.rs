//! ConfigMap `http-redirect-code` (spec §1.4 step 6): the status of HTTPS redirects, 308 by
//! default; only 301, 302, 307 and 308 are accepted, anything else keeps 308 with a diagnostic.
//! app-root (always 302) and the add-slash redirect (always 301) do not use it.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_redirect, Case};

async fn redirect_status(name: &str, code: Option<&str>) -> (u16, Option<String>) {
    let mut case = Case::new(name);
    case.backend("web").await;
    let host = case.host("code");
    if let Some(code) = code {
        case.config("http-redirect-code", code);
    }
    case.apply(
        "ing.yaml",
        case.ingress("code")
            .annotation("force-ssl-redirect", "true")
            .annotation("app-root", "/app")
            .path(Some(&host), "/", "Prefix", "web")
            .path(Some(&host), "/dir/", "Prefix", "web"),
    );
    let Some(run) = case.start().await else { return (0, None) };
    let reply = run.served(&host, "/", 302).await;
    assert_redirect(&reply, 302, &format!("http://{host}/app"), "app-root is always 302");
    let reply = run.get(&host, "/dir").await;
    assert_redirect(&reply, 301, &format!("http://{host}/dir/"), "add-slash is always 301");
    let reply = run.get(&host, "/x?y=1").await;
    assert_eq!(reply.header("location"), Some(format!("https://{host}/x?y=1").as_str()));
    (reply.status.as_u16(), run.check())
}

#[tokio::test]
async fn default_is_308() {
    assert!(matches!(redirect_status("redirect-code-default", None).await.0, 308 | 0));
}

#[tokio::test]
async fn accepted_codes() {
    for code in [301, 302, 307, 308] {
        let (status, _) =
            redirect_status(&format!("redirect-code-{code}"), Some(&code.to_string())).await;
        assert!(status == code || status == 0, "http-redirect-code {code} gave {status}");
    }
}

#[tokio::test]
async fn other_values_keep_308_with_a_diagnostic() {
    for (i, value) in ["303", "200", "abc", " 301"].iter().enumerate() {
        let (status, check) = redirect_status(&format!("redirect-code-bad{i}"), Some(value)).await;
        assert!(status == 308 || status == 0, "{value:?} gave {status}");
        if let Some(check) = check {
            let line = check.lines().find(|l| l.contains("http-redirect-code"));
            let line = line.unwrap_or_else(|| panic!("no diagnostic for {value:?}:\n{check}"));
            assert!(line.contains(&format!("{value:?}")) && line.contains("308"), "{line}");
        }
    }
}
