//! `enable-cors`, as ingress-nginx's template: a preflight (`OPTIONS`) whose `Origin` is allowed
//! is answered 204 in the rewrite phase (before access checks and authentication, never
//! forwarded); every response of the location to an allowed origin, Portico's own pages
//! included, gets the `Access-Control-*` headers (replacing the backend's, as
//! `more_set_headers`).

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    CONTENT_LENGTH, CONTENT_TYPE,
};
use http::{HeaderValue, Method, Response, StatusCode};
use portico_model::Cors;

use super::{FilterRequest, ResponseRequest, Step};
use crate::body::ResponseBody;

/// Rewrite phase: 204 for a preflight from an allowed origin (the response phase adds the
/// CORS headers), with the template's `Content-Type` and `Content-Length`.
pub(super) fn preflight(cors: &Cors, req: &FilterRequest<'_>) -> Step {
    if req.method != Method::OPTIONS
        || cors.allow_origin(req.headers.get(http::header::ORIGIN)).is_none()
    {
        return Step::Next;
    }
    let mut response = Response::new(ResponseBody::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    // Sic: ingress-nginx sends it without the `;`.
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain charset=UTF-8"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    Step::Respond(Box::new(response))
}

/// Response phase: the CORS headers, when the request's origin is allowed.
pub(super) fn headers(cors: &Cors, req: &ResponseRequest, response: &mut Response<ResponseBody>) {
    let Some(origin) = cors.allow_origin(req.origin.as_ref()) else { return };
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if cors.allow_credentials {
        headers.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    }
    headers.insert(ACCESS_CONTROL_ALLOW_METHODS, cors.allow_methods.clone());
    headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, cors.allow_headers.clone());
    if let Some(expose) = &cors.expose_headers {
        headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
    }
    headers.insert(ACCESS_CONTROL_MAX_AGE, cors.max_age.clone());
}
