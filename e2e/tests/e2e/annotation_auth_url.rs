//! `auth-url` and its companions, and the ConfigMap's `global-auth-url`, through the real
//! binary: an auth service written here (hyper on loopback, behaving like oauth2-proxy's
//! `/oauth2/auth`: 202 with `X-Auth-Request-User`/`-Email` when the session cookie or token
//! is present, 401 otherwise) in front of the echo backend.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use portico_e2e::{eventually, metric, refusing_addr, request, start_site, Backends, Dir, Portico};

/// What the auth service saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// The auth service: counts and records its requests.
#[derive(Debug, Default)]
struct AuthService {
    calls: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
}

impl AuthService {
    async fn start() -> (Arc<AuthService>, SocketAddr) {
        let state = Arc::new(AuthService::default());
        let addr = portico_e2e::serve_answers(Arc::clone(&state)).await;
        (state, addr)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn last(&self) -> Seen {
        self.seen.lock().unwrap().last().cloned().unwrap()
    }
}

impl portico_e2e::Answer for AuthService {
    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let (parts, body) = req.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let seen = Seen {
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
            headers: parts.headers.clone(),
            body,
        };
        self.seen.lock().unwrap().push(seen);
        let has = |name: &str, want: &str| {
            parts.headers.get(name).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(want))
        };
        let signed_in = has("cookie", "_oauth2_proxy=") || has("x-token", "good");
        let mut response = Response::builder();
        response = match parts.uri.path() {
            "/oauth2/auth" if signed_in => response
                .status(202)
                .header("x-auth-request-user", "alice")
                .header("x-auth-request-email", "alice@example.com"),
            "/oauth2/auth" => {
                response.status(401).header("www-authenticate", "Bearer realm=\"sso\"")
            }
            "/forbid" => response.status(403).header("set-cookie", "denied=1"),
            "/teapot" => response.status(418),
            "/cookie" => response.status(200).header("set-cookie", "session=abc; Path=/"),
            _ => response.status(404),
        };
        response.body(Full::new(Bytes::from_static(b"auth body"))).unwrap()
    }
}

/// One Ingress per `(host, annotations)` on the echo backend `web`, and the ConfigMap.
async fn start(
    ingresses: &[(&str, Vec<(&str, String)>)],
    configmap: Option<String>,
) -> (Backends, Dir, Portico) {
    start_site(ingresses, configmap.as_deref()).await
}

fn get(host: &str, target: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut req = Request::get(target).header("host", host);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(Full::default()).unwrap()
}

#[tokio::test]
async fn oauth2_proxy_setup() {
    let (auth, auth_addr) = AuthService::start().await;
    let url = format!("http://{auth_addr}/oauth2/auth");
    let oauth = vec![
        ("auth-url", url.clone()),
        ("auth-signin", "https://$host/oauth2/start?rd=$escaped_request_uri".to_string()),
        ("auth-response-headers", "X-Auth-Request-User, X-Auth-Request-Email".to_string()),
    ];
    let (_w, _d, portico) = start(
        &[
            ("app.test", oauth),
            ("plain.test", vec![("auth-url", url.clone())]),
            (
                "default-rd.test",
                vec![
                    ("auth-url", url.clone()),
                    ("auth-signin", "http://login.example/start".into()),
                ],
            ),
        ],
        None,
    )
    .await;
    let to = portico.http;

    // Signed in: the backend gets the request with the copied identity headers (a forged
    // one from the client replaced).
    let cookie = [("cookie", "_oauth2_proxy=s3ss10n"), ("x-auth-request-user", "mallory")];
    let reply = request(to, get("app.test", "/page?a=b", &cookie)).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.echo_header("x-auth-request-user").as_deref(), Some("alice"));
    assert_eq!(reply.echo_header("x-auth-request-email").as_deref(), Some("alice@example.com"));
    assert_eq!(auth.calls(), 1);
    let seen = auth.last();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/oauth2/auth");
    let h = |name: &str| seen.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(h("x-original-url").as_deref(), Some("http://app.test/page?a=b"));
    assert_eq!(h("x-original-method").as_deref(), Some("GET"));
    assert_eq!(h("x-sent-from").as_deref(), Some("nginx-ingress-controller"));
    assert_eq!(h("x-auth-request-redirect").as_deref(), Some("/page?a=b"));
    assert_eq!(h("x-real-ip").as_deref(), Some("127.0.0.1"));
    assert_eq!(h("x-forwarded-for").as_deref(), Some("127.0.0.1"));
    assert_eq!(h("cookie").as_deref(), Some("_oauth2_proxy=s3ss10n"), "client headers pass");
    assert_eq!(h("host"), Some("127.0.0.1".to_string()), "the auth URL's host");

    // A POST: the auth request has no body.
    let post = Request::post("/submit")
        .header("host", "app.test")
        .header("x-token", "good")
        .body(Full::new(Bytes::from_static(b"the secret body")))
        .unwrap();
    let reply = request(to, post).await.unwrap();
    assert_eq!(reply.status, 200);
    let seen = auth.last();
    assert!(seen.body.is_empty(), "no body to the auth service: {:?}", seen.body);
    assert!(seen.headers.get("content-length").is_none_or(|v| v == "0"));
    assert_eq!(seen.headers.get("x-original-method").and_then(|v| v.to_str().ok()), Some("POST"));

    // Not signed in: 302 to the sign-in URL with the variables expanded.
    let reply = request(to, get("app.test", "/page?a=b&c=d", &[])).await.unwrap();
    assert_eq!(reply.status, 302);
    assert_eq!(
        reply.header("location"),
        Some("https://app.test/oauth2/start?rd=%2Fpage%3Fa%3Db%26c%3Dd")
    );
    // Without `rd` in the sign-in URL, Portico appends it (ingress-nginx's buildAuthSignURL).
    let reply = request(to, get("default-rd.test", "/?a=b&c=d", &[])).await.unwrap();
    assert_eq!(reply.status, 302);
    assert_eq!(
        reply.header("location"),
        Some("http://login.example/start?rd=http://default-rd.test%2F%3Fa%3Db%26c%3Dd")
    );
    // No sign-in: the 401 with the service's challenge.
    let reply = request(to, get("plain.test", "/", &[])).await.unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer realm=\"sso\""));
    assert!(
        reply.text().contains("401 Authorization Required"),
        "Portico's page, not the service's"
    );
}

#[tokio::test]
async fn forbidden_errors_cookies_and_cache() {
    let (auth, auth_addr) = AuthService::start().await;
    let down = refusing_addr().await;
    let base = format!("http://{auth_addr}");
    let (_w, _d, portico) = start(
        &[
            ("forbid.test", vec![("auth-url", format!("{base}/forbid"))]),
            (
                "forbid-cookie.test",
                vec![
                    ("auth-url", format!("{base}/forbid")),
                    ("auth-always-set-cookie", "true".into()),
                ],
            ),
            ("teapot.test", vec![("auth-url", format!("{base}/teapot"))]),
            ("down.test", vec![("auth-url", format!("http://{down}/check"))]),
            (
                "cookie.test",
                vec![
                    ("auth-url", format!("{base}/cookie")),
                    ("auth-response-headers", "X-Auth-Request-User".into()),
                ],
            ),
            (
                "cached.test",
                vec![
                    ("auth-url", format!("{base}/oauth2/auth")),
                    ("auth-cache-key", "$http_x_token".into()),
                    ("auth-cache-duration", "200 202 401 5m".into()),
                ],
            ),
        ],
        None,
    )
    .await;
    let to = portico.http;
    let status =
        |host: &'static str| async move { request(to, get(host, "/", &[])).await.unwrap() };

    let reply = status("forbid.test").await;
    assert_eq!(reply.status, 403);
    assert!(reply.header("set-cookie").is_none(), "403 takes no cookie without always");
    let reply = status("forbid-cookie.test").await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.header("set-cookie"), Some("denied=1"), "auth-always-set-cookie");
    assert_eq!(status("teapot.test").await.status, 500, "any other status: 500");
    assert_eq!(status("down.test").await.status, 500, "unreachable auth service: 500");

    // 200 from the auth service: its cookie reaches the client; a response header it does
    // not send is removed from the upstream request (never the client's own).
    let forged = [("x-auth-request-user", "mallory")];
    let reply = request(to, get("cookie.test", "/", &forged)).await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("set-cookie"), Some("session=abc; Path=/"));
    assert_eq!(reply.echo_header("x-auth-request-user"), None);

    // Cached by the key: the second request with the same token does not ask again.
    let before = auth.calls();
    for _ in 0..3 {
        let reply = request(to, get("cached.test", "/", &[("x-token", "good")])).await.unwrap();
        assert_eq!(reply.status, 200);
    }
    assert_eq!(auth.calls(), before + 1, "answer cached under $http_x_token");
    let reply = request(to, get("cached.test", "/", &[("x-token", "bad")])).await.unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(auth.calls(), before + 2, "another key asks");
    let lookups = |result| {
        format!("portico_auth_cache_lookups_total{{cache=\"external\",result=\"{result}\"}}")
    };
    assert_eq!(metric(portico.admin, &lookups("hit")).await, Some(2.0), "good, twice");
    assert_eq!(metric(portico.admin, &lookups("miss")).await, Some(2.0), "good, then bad");
}

#[tokio::test]
async fn global_auth_url_and_opt_out() {
    let (auth, auth_addr) = AuthService::start().await;
    let data = format!(
        "  global-auth-url: \"http://{auth_addr}/oauth2/auth\"\n  global-auth-response-headers: \"X-Auth-Request-User\"\n"
    );
    let (_w, dir, portico) = start(
        &[
            ("guarded.test", vec![]),
            ("public.test", vec![("enable-global-auth", "false".into())]),
            ("own.test", vec![("auth-url", format!("http://{auth_addr}/forbid"))]),
        ],
        Some(data),
    )
    .await;
    let to = portico.http;
    assert_eq!(request(to, get("guarded.test", "/", &[])).await.unwrap().status, 401);
    let reply = request(to, get("guarded.test", "/", &[("x-token", "good")])).await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.echo_header("x-auth-request-user").as_deref(), Some("alice"));
    let calls = auth.calls();
    assert_eq!(request(to, get("public.test", "/", &[])).await.unwrap().status, 200);
    assert_eq!(auth.calls(), calls, "opted out: not asked");
    assert_eq!(request(to, get("own.test", "/", &[])).await.unwrap().status, 403, "auth-url wins");

    // An unusable global-auth-url fails closed.
    dir.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\ndata:\n  global-auth-url: \"not-a-url\"\n",
    );
    eventually("every location answers 503", || async move {
        request(to, get("public.test", "/", &[])).await.is_ok_and(|r| r.status == 503)
    })
    .await;
}

#[tokio::test]
async fn basic_and_external_auth_must_both_pass() {
    let (_auth, auth_addr) = AuthService::start().await;
    let annotations = vec![
        ("auth-url", format!("http://{auth_addr}/oauth2/auth")),
        ("auth-type", "basic".to_string()),
        ("auth-secret", "creds".to_string()),
    ];
    let (_w, dir, portico) = start(&[("both.test", annotations)], None).await;
    // `foo:{PLAIN}bar`, base64.
    dir.write(
        "creds.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: default\ndata:\n  auth: Zm9vOntQTEFJTn1iYXI=\n",
    );
    let to = portico.http;
    let basic = ("authorization", "Basic Zm9vOmJhcg=="); // foo:bar
    eventually("the Secret is loaded", || async move {
        let both = [basic, ("x-token", "good")];
        request(to, get("both.test", "/", &both)).await.is_ok_and(|r| r.status == 200)
    })
    .await;
    let reply = request(to, get("both.test", "/", &[basic])).await.unwrap();
    assert_eq!(reply.status, 401, "basic passes, external refuses");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer realm=\"sso\""));
    let reply = request(to, get("both.test", "/", &[("x-token", "good")])).await.unwrap();
    assert_eq!(reply.status, 401, "external passes, basic refuses");
    assert!(reply.header("www-authenticate").is_some_and(|v| v.starts_with("Basic")));
}

#[tokio::test]
async fn auth_proxy_set_headers_reach_the_auth_service() {
    let (auth, auth_addr) = AuthService::start().await;
    let url = format!("http://{auth_addr}/oauth2/auth");
    let (_w, dir, portico) = start(
        &[
            (
                "headers.test",
                vec![("auth-url", url.clone()), ("auth-proxy-set-headers", "auth-headers".into())],
            ),
            (
                "missing.test",
                vec![("auth-url", url.clone()), ("auth-proxy-set-headers", "nope".into())],
            ),
        ],
        None,
    )
    .await;
    dir.write(
        "auth-headers.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: auth-headers\n  namespace: default\n\
         data:\n  X-Tenant: acme\n  X-Asked-Host: $host\n  X-Token: good\n",
    );
    let to = portico.http;
    eventually("the ConfigMap's headers are sent", || async move {
        request(to, get("headers.test", "/", &[])).await.is_ok_and(|r| r.status == 200)
    })
    .await;
    let seen = auth.last();
    let header =
        |name: &str| seen.headers.get(name).and_then(|v| v.to_str().ok()).map(String::from);
    assert_eq!(header("x-tenant").as_deref(), Some("acme"));
    assert_eq!(header("x-asked-host").as_deref(), Some("headers.test"), "nginx variables expand");
    assert_eq!(header("x-original-method").as_deref(), Some("GET"), "ingress-nginx's own stay");
    // A missing ConfigMap denies the location, never skips the headers.
    let reply = request(to, get("missing.test", "/", &[("x-token", "good")])).await.unwrap();
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert!(portico.check().contains("configmap default/nope not found"), "{}", portico.check());
}
