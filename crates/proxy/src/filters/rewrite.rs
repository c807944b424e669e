//! The rewrite-phase filters of the wave-1 annotations: `rewrite-target` (§1.2) and the
//! HTTP→HTTPS redirect (§1.4).

use http::{HeaderValue, StatusCode, Uri};
use portico_model::HttpsRedirect;
use portico_router::Rewrite;

use super::{Effects, FilterRequest, Step};
use crate::error::{redirect, ProxyError};
use crate::phases::redirect::https_location;

/// `rewrite-target`: the path is replaced (the raw query kept) for the upstream request; a
/// `http(s)://` target answers 302 to it (query appended). A location whose regex does not
/// match the path is forwarded unchanged.
pub(crate) fn rewrite(req: &FilterRequest<'_>, effects: &mut Effects) -> Step {
    let (server, index) = req.at;
    let with_query = |target: String| match req.uri.query() {
        Some(query) => format!("{target}?{query}"),
        None => target,
    };
    let invalid = || Step::Respond(Box::new(invalid_uri()));
    match req.router.rewrite_target(server, index, req.path) {
        None => Step::Next,
        Some(Rewrite::Uri(target)) => match Uri::try_from(with_query(target)) {
            Ok(uri) => {
                effects.rewritten = Some(uri);
                Step::Next
            }
            Err(_) => invalid(),
        },
        Some(Rewrite::Redirect(target)) => match HeaderValue::try_from(with_query(target)) {
            Ok(location) => Step::Respond(Box::new(redirect(StatusCode::FOUND, location))),
            Err(_) => invalid(),
        },
    }
}

/// `ssl-redirect` / `force-ssl-redirect`: a plain-HTTP request (as the trusted scheme says)
/// answers `http-redirect-code` to `https://` + host without port + the raw request URI.
pub(crate) fn https(redirect_to: HttpsRedirect, req: &FilterRequest<'_>) -> Step {
    if !redirect_to.wants(req.view.is_http(), req.has_certificate) {
        return Step::Next;
    }
    let Ok(host) = req.view.host.to_str() else { return Step::Next };
    let request_uri = req.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let location = https_location(host, request_uri, redirect_to.preserve_trailing_slash);
    let status = StatusCode::from_u16(req.global.http_redirect_code)
        .unwrap_or(StatusCode::PERMANENT_REDIRECT);
    match HeaderValue::try_from(location) {
        Ok(location) => Step::Respond(Box::new(redirect(status, location))),
        Err(_) => Step::Next,
    }
}

fn invalid_uri() -> http::Response<crate::body::ResponseBody> {
    ProxyError::BadRequest("rewritten URI is invalid").into_response()
}
