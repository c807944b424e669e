//! `auth-url` (nginx `auth_request` as ingress-nginx renders it): a subrequest without the
//! body, carrying the client's headers plus `X-Original-URL`, `X-Original-Method`,
//! `X-Sent-From`, `X-Real-IP`, `X-Forwarded-For` and `X-Auth-Request-Redirect`, decides:
//! 2xx passes (the `auth-response-headers` copied onto the upstream request), 401 answers 401
//! with the service's `WWW-Authenticate` (or a 302 to `auth-signin`), 403 answers 403, any
//! other status or an unreachable service 500.

mod cache;
mod client;
mod vars;

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderName, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use portico_model::ExternalAuth;

pub(crate) use self::vars::{expand, expand_vars, VarSource};

use self::cache::AnswerCache;
use self::client::LazyClient;
use super::{Effects, FilterRequest, Step};
use crate::error::error_page;
use crate::forwarded;

const X_ORIGINAL_URL: HeaderName = HeaderName::from_static("x-original-url");
const X_ORIGINAL_URI: HeaderName = HeaderName::from_static("x-original-uri");
const X_ORIGINAL_METHOD: HeaderName = HeaderName::from_static("x-original-method");
const X_SENT_FROM: HeaderName = HeaderName::from_static("x-sent-from");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_SCHEME: HeaderName = HeaderName::from_static("x-scheme");
const X_AUTH_REQUEST_REDIRECT: HeaderName = HeaderName::from_static("x-auth-request-redirect");
/// Auth answers' bodies are read (so the connection can be reused) up to this, then dropped.
const MAX_BODY: usize = 64 * 1024;

/// The auth client and answer cache, shared by every table.
#[derive(Debug, Default)]
pub(crate) struct ExternalAuthState {
    client: LazyClient,
    cache: AnswerCache,
}

// === impl ExternalAuthState ===

impl ExternalAuthState {
    /// A fresh client and an empty cache counting its lookups in `lookups`.
    pub(crate) fn counted(lookups: portico_metrics::CacheCounters) -> Self {
        Self { client: LazyClient::default(), cache: AnswerCache::counted(lookups) }
    }
}

/// What Portico keeps of an auth answer.
#[derive(Debug)]
pub(crate) struct Answer {
    status: u16,
    /// The value of each `auth-response-headers` entry, in order (`None` = absent).
    copied: Vec<Option<HeaderValue>>,
    cookies: Vec<HeaderValue>,
    challenges: Vec<HeaderValue>,
}

/// Why no answer came.
#[derive(Debug, thiserror::Error)]
enum AuthError {
    #[error("auth URL {0:?} is not a valid URL for this request")]
    Url(String),
    #[error("auth request could not be built: {0}")]
    Build(#[from] http::Error),
    #[error("auth service did not answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("auth service failed: {0}")]
    Client(#[from] hyper_util::client::legacy::Error),
}

/// Asks the auth service (or the cache) and turns the answer into the request's fate.
pub(super) async fn apply(
    state: &ExternalAuthState,
    auth: &ExternalAuth,
    req: &FilterRequest<'_>,
    effects: &mut Effects,
) -> Step {
    let answer = match ask(state, auth, req).await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%error, url = %auth.url.raw, "external auth failed: 500");
            return respond(error_page(StatusCode::INTERNAL_SERVER_ERROR), auth, None);
        }
    };
    match answer.status {
        200..=299 => {
            for (name, value) in auth.response_headers.iter().zip(&answer.copied) {
                effects.upstream.push((name.clone(), value.clone()));
            }
            effects.cookies.extend(answer.cookies.iter().cloned());
            effects.cookies_always |= auth.always_set_cookie;
            Step::Next
        }
        401 => match &auth.signin {
            Some(signin) => {
                let target = vars::expand(signin, req);
                let Ok(location) = HeaderValue::try_from(target) else {
                    return respond(error_page(StatusCode::INTERNAL_SERVER_ERROR), auth, None);
                };
                let mut page = error_page(StatusCode::FOUND);
                page.headers_mut().insert(LOCATION, location);
                // The sign-in location's own `add_header Set-Cookie` (302 takes it).
                append_cookies(&mut page, &answer.cookies);
                Step::Respond(Box::new(page))
            }
            None => {
                let mut page = error_page(StatusCode::UNAUTHORIZED);
                for challenge in &answer.challenges {
                    page.headers_mut().append(WWW_AUTHENTICATE, challenge.clone());
                }
                respond(page, auth, Some(&answer))
            }
        },
        403 => respond(error_page(StatusCode::FORBIDDEN), auth, Some(&answer)),
        status => {
            tracing::warn!(status, url = %auth.url.raw, "auth service answered neither 2xx, 401 nor 403: 500");
            respond(error_page(StatusCode::INTERNAL_SERVER_ERROR), auth, Some(&answer))
        }
    }
}

/// An error answer: the auth cookies only with `auth-always-set-cookie`.
fn respond(
    mut page: http::Response<crate::body::ResponseBody>,
    auth: &ExternalAuth,
    answer: Option<&Answer>,
) -> Step {
    if let (true, Some(answer)) = (auth.always_set_cookie, answer) {
        append_cookies(&mut page, &answer.cookies);
    }
    Step::Respond(Box::new(page))
}

fn append_cookies(page: &mut http::Response<crate::body::ResponseBody>, cookies: &[HeaderValue]) {
    for cookie in cookies {
        page.headers_mut().append(SET_COOKIE, cookie.clone());
    }
}

/// The answer for this request: cached under the expanded key, or asked now.
async fn ask(
    state: &ExternalAuthState,
    auth: &ExternalAuth,
    req: &FilterRequest<'_>,
) -> Result<Arc<Answer>, AuthError> {
    let url = match &auth.fixed_url {
        Some(uri) => uri.clone(),
        None => {
            let expanded = vars::expand(&auth.url, req);
            expanded.parse::<Uri>().map_err(|_| AuthError::Url(expanded))?
        }
    };
    let key = auth
        .cache
        .as_ref()
        .map(|cache| format!("{}\n{}\n{}", vars::host(req), url, vars::expand(&cache.key, req)));
    if let Some(answer) = key.as_deref().and_then(|key| state.cache.get(key)) {
        return Ok(answer);
    }
    let mut request = build_request(auth, url, req)?;
    let mut span = req.trace.map(|parent| auth_span(parent, &mut request));
    let budget = req.timeouts.connect + req.timeouts.read;
    let exchange = async {
        let response = state.client.get().request(request).await?;
        let (head, body) = response.into_parts();
        // Read (and drop) a small body so that the connection goes back to the pool.
        let _ = Limited::new(body, MAX_BODY).collect().await;
        Ok::<_, AuthError>(head)
    };
    let head = tokio::time::timeout(budget, exchange).await.map_err(|_| AuthError::Timeout(budget));
    let head = match (head.and_then(|r| r), span.as_mut()) {
        (Ok(head), Some(span)) => {
            span.respond(head.status.as_u16());
            head
        }
        (Ok(head), None) => head,
        (Err(error), span) => {
            if let Some(span) = span {
                span.fail(error.to_string());
            }
            return Err(error);
        }
    };
    let answer = Arc::new(Answer {
        status: head.status.as_u16(),
        copied: auth.response_headers.iter().map(|name| head.headers.get(name).cloned()).collect(),
        cookies: head.headers.get_all(SET_COOKIE).iter().cloned().collect(),
        challenges: head.headers.get_all(WWW_AUTHENTICATE).iter().cloned().collect(),
    });
    if let (Some(key), Some(cache)) = (key, &auth.cache) {
        state.cache.put(key, Arc::clone(&answer), &cache.rules, &head.headers);
    }
    Ok(answer)
}

/// `enable-opentelemetry`: the subrequest's client span, a child of the request's span, whose
/// context replaces the client's `traceparent` toward the auth service.
fn auth_span(
    parent: &portico_trace::ServerSpan,
    request: &mut Request<Empty<Bytes>>,
) -> portico_trace::ClientSpan {
    let mut span = parent.child("auth_request");
    span.inject(request.headers_mut());
    if span.is_recording() {
        span.set("http.method", request.method().to_string());
        span.set("http.url", request.uri().to_string());
    }
    span
}

/// The subrequest: GET (or `auth-method`) of the auth URL's path, no body, the client's
/// headers (minus hop-by-hop and framing ones) plus ingress-nginx's auth headers.
fn build_request(
    auth: &ExternalAuth,
    url: Uri,
    req: &FilterRequest<'_>,
) -> Result<Request<Empty<Bytes>>, AuthError> {
    let mut headers = forwarded::subrequest_headers(req.headers);
    headers.remove(X_FORWARDED_PROTO);
    let host = url.host().ok_or_else(|| AuthError::Url(url.to_string()))?;
    let value =
        |text: &str| HeaderValue::from_str(text).map_err(|_| AuthError::Url(url.to_string()));
    headers.insert(header::HOST, value(host)?);
    let request_uri = vars::request_uri(req);
    let original = format!("{}://{}{}", req.conn.scheme(), req.raw_host, request_uri);
    headers.insert(X_ORIGINAL_URL, value(&original)?);
    headers.insert(X_ORIGINAL_METHOD, value(req.method.as_str())?);
    headers.insert(X_SENT_FROM, HeaderValue::from_static("nginx-ingress-controller"));
    headers.insert(X_REAL_IP, req.view.client_ip.clone());
    let xff = match req.headers.get(X_FORWARDED_FOR) {
        Some(incoming)
            if req.global.use_forwarded_headers && req.global.compute_full_forwarded_for =>
        {
            forwarded::append_peer(incoming, &req.conn.peer_ip)
        }
        _ => req.view.client_ip.clone(),
    };
    headers.insert(X_FORWARDED_FOR, xff);
    let redirect = auth.request_redirect.as_deref().unwrap_or(request_uri);
    headers.insert(X_AUTH_REQUEST_REDIRECT, value(redirect)?);
    if auth.method.is_some() {
        headers.insert(X_ORIGINAL_URI, value(request_uri)?);
        headers.insert(X_SCHEME, req.view.scheme.clone());
    }
    // `auth-proxy-set-headers`, after ingress-nginx's own; empty removes, as proxy_set_header.
    for (name, template) in &auth.proxy_set_headers {
        let expanded = vars::expand(template, req);
        if expanded.is_empty() {
            headers.remove(name);
        } else {
            headers.insert(name.clone(), value(&expanded)?);
        }
    }
    let mut request = Request::builder()
        .method(auth.method.clone().unwrap_or(Method::GET))
        .uri(url.clone())
        .body(Empty::new())?;
    *request.headers_mut() = headers;
    Ok(request)
}

#[cfg(test)]
mod tests;
