//! `custom-http-errors`: a response of an intercepted status is replaced by the error
//! backend's answer to a request built like ingress-nginx's `@custom_<upstream>_<code>`
//! location: the client's method and headers, URI `/`, plus `X-Code`, `X-Format`,
//! `X-Original-URI`, `X-Namespace`, `X-Ingress-Name`, `X-Service-Name`, `X-Service-Port`,
//! `X-Request-ID`, `X-Forwarded-For`. The error backend's status and headers are sent as they
//! are (nginx does not change them). Without a default backend Portico's 404 page answers, as
//! ingress-nginx's internal default server does.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::Empty;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use portico_balance::PickContext;
use portico_model::{CustomErrors, Endpoint, Target};

use crate::body::ResponseBody;
use crate::error::{error_page, ProxyError};
use crate::snapshot::Snapshot;

type ErrorClient = Client<HttpConnector, Empty<Bytes>>;

/// Shared by every table: error backends are plain-HTTP Services.
static CLIENT: OnceLock<ErrorClient> = OnceLock::new();

/// How long the error backend may take to answer.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What the error request needs of the client's request, kept from the request phases. Only
/// captured on a location with custom errors.
#[derive(Debug)]
pub(crate) struct ErrorRequest {
    pub errors: Arc<CustomErrors>,
    pub method: Method,
    pub headers: HeaderMap,
    /// `$request_uri`.
    pub request_uri: String,
    /// `$remote_addr`.
    pub client: std::net::IpAddr,
}

/// `response` itself unless its status is intercepted; else the error backend's answer.
pub(crate) async fn replace(
    snap: &Snapshot,
    req: ErrorRequest,
    request_id: Option<&HeaderValue>,
    response: Response<ResponseBody>,
    from_upstream: bool,
) -> Response<ResponseBody> {
    let status = response.status().as_u16();
    if !req.errors.intercepts(status, from_upstream) {
        return response;
    }
    let Target::Backend(id) = req.errors.target else { return error_page(StatusCode::NOT_FOUND) };
    match ask(snap, id.0, &req, status, request_id).await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%error, status, "custom error backend failed");
            error_page(StatusCode::BAD_GATEWAY)
        }
    }
}

/// Sends the error request to one endpoint of backend `index`.
async fn ask(
    snap: &Snapshot,
    index: usize,
    req: &ErrorRequest,
    status: u16,
    request_id: Option<&HeaderValue>,
) -> Result<Response<ResponseBody>, ProxyError> {
    let unavailable = || ProxyError::NoEndpoints("custom error backend".to_string());
    let balancer = snap.balancers.get(index).ok_or_else(unavailable)?;
    let ctx = PickContext {
        client: req.client,
        host: "",
        path: "/",
        key: portico_balance::RequestKey::default(),
    };
    let pick = balancer.pick(&ctx, &[]).ok_or_else(unavailable)?;
    let authority = match balancer.endpoint(pick.index).ok_or_else(unavailable)? {
        Endpoint::Addr(addr) => addr.to_string(),
        Endpoint::Dns { host, port } => format!("{host}:{port}"),
    };
    let uri: Uri = format!("http://{authority}/")
        .parse()
        .map_err(|_| ProxyError::Internal("error backend address"))?;
    let mut request = Request::new(Empty::new());
    *request.method_mut() = req.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers(req, status, request_id);
    let client = CLIENT.get_or_init(|| Client::builder(TokioExecutor::new()).build_http());
    let answer = tokio::time::timeout(TIMEOUT, client.request(request))
        .await
        .map_err(|_| ProxyError::Internal("error backend timed out"))?
        .map_err(|_| ProxyError::Internal("error backend unreachable"))?;
    let (mut parts, body) = answer.into_parts();
    crate::forwarded::downstream_headers(&mut parts.headers, false);
    drop(pick);
    Ok(Response::from_parts(parts, ResponseBody::upstream(body, TIMEOUT)))
}

/// The client's headers with ingress-nginx's `proxy_set_header` lines of the error location.
fn headers(req: &ErrorRequest, status: u16, request_id: Option<&HeaderValue>) -> HeaderMap {
    let mut headers = req.headers.clone();
    let errors = &req.errors;
    let mut set = |name: &'static str, value: Option<HeaderValue>| match value {
        Some(value) if !value.is_empty() => {
            headers.insert(HeaderName::from_static(name), value);
        }
        _ => {
            headers.remove(name);
        }
    };
    let text = |s: &str| HeaderValue::try_from(s).ok();
    let accept = req.headers.get(http::header::ACCEPT).cloned();
    set("x-code", Some(HeaderValue::from(status)));
    set("x-format", accept);
    set("x-original-uri", text(&req.request_uri));
    set("x-namespace", text(&errors.namespace));
    set("x-ingress-name", text(&errors.ingress));
    set("x-service-name", text(&errors.service));
    set("x-service-port", text(&errors.port));
    set("x-request-id", request_id.cloned());
    set("x-forwarded-for", text(&req.client.to_string()));
    for hop in ["connection", "keep-alive", "te", "transfer-encoding", "upgrade", "content-length"]
    {
        headers.remove(hop);
    }
    headers
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn the_error_request_carries_ingress_nginx_headers() {
        let errors = CustomErrors {
            codes: vec![404],
            namespace: "ns".into(),
            ingress: "ing".into(),
            service: "web".into(),
            port: "80".into(),
            ..CustomErrors::default()
        };
        let mut client_headers = HeaderMap::new();
        client_headers.insert("accept", HeaderValue::from_static("application/json"));
        client_headers.insert("x-code", HeaderValue::from_static("spoofed"));
        client_headers.insert("content-length", HeaderValue::from_static("5"));
        let req = ErrorRequest {
            errors: Arc::new(errors),
            method: Method::POST,
            headers: client_headers,
            request_uri: "/a?b".into(),
            client: "192.0.2.1".parse().unwrap(),
        };
        let id = HeaderValue::from_static("abc");
        let headers = headers(&req, 404, Some(&id));
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(get("x-code"), Some("404"), "never the client's");
        assert_eq!(get("x-format"), Some("application/json"));
        assert_eq!(get("x-original-uri"), Some("/a?b"));
        assert_eq!(get("x-namespace"), Some("ns"));
        assert_eq!(get("x-ingress-name"), Some("ing"));
        assert_eq!(get("x-service-name"), Some("web"));
        assert_eq!(get("x-service-port"), Some("80"));
        assert_eq!(get("x-request-id"), Some("abc"));
        assert_eq!(get("x-forwarded-for"), Some("192.0.2.1"));
        assert_eq!(get("content-length"), None, "no body is sent");
        assert!(req.errors.intercepts(404, true) && !req.errors.intercepts(500, true));
    }
}
