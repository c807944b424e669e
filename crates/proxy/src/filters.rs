//! The apply step of every [`Filter`] of the model, run phase by phase (the data and phases are
//! in `portico_model::filter`). A location without filters skips this entirely; one with
//! filters runs only those it has.

pub(crate) mod external_auth;
mod source_range;

use std::net::IpAddr;

use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, Uri};
use portico_model::{Filter, Filters, GlobalConfig, Phase, Timeouts};

use crate::body::ResponseBody;
use crate::config::ConnInfo;
use crate::error::ProxyError;
use crate::forwarded::Forwarded;
use crate::server::Proxy;

/// What a filter sees of the request.
#[derive(Debug)]
pub(crate) struct FilterRequest<'a> {
    /// The client address as ingress-nginx's `$remote_addr` (after trusted forwarded headers).
    pub client: IpAddr,
    /// The request's headers (for the filters that read them).
    pub headers: &'a HeaderMap,
    pub method: &'a Method,
    /// The request-target as received (`$request_uri` is its path and query).
    pub uri: &'a Uri,
    /// The normalized path (`$uri`).
    pub path: &'a str,
    /// The Host header (or URI authority) as sent, `$http_host`.
    pub raw_host: &'a str,
    /// The trusted client view (scheme, host, client address header values).
    pub view: &'a Forwarded,
    pub conn: &'a ConnInfo,
    pub global: &'a GlobalConfig,
    /// The location's upstream timeouts (the auth request uses them too, as nginx).
    pub timeouts: Timeouts,
}

/// A filter's verdict: go on, or answer now with this response.
pub(crate) enum Step {
    Next,
    Respond(Box<Response<ResponseBody>>),
}

/// What passing filters ask of the rest of the request: headers set on (or removed from) the
/// upstream request, and `Set-Cookie` values added to the client's response. Empty (no
/// allocation) unless a filter adds something.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// `None` removes the header (nginx's `proxy_set_header` with an empty value).
    pub upstream: Vec<(HeaderName, Option<HeaderValue>)>,
    pub cookies: Vec<HeaderValue>,
    /// The cookies go on every response, Portico's own error pages included.
    pub cookies_always: bool,
}

/// The phases that run before the request is forwarded, in order.
pub(crate) const REQUEST_PHASES: [Phase; 3] = [Phase::Rewrite, Phase::PreAccess, Phase::Access];

/// The statuses nginx's `add_header` (without `always`) applies to.
const ADD_HEADER_STATUSES: [u16; 10] = [200, 201, 204, 206, 301, 302, 303, 304, 307, 308];

// === impl Proxy ===

impl Proxy {
    /// Runs the filters of `phase` in order; the first that answers or fails ends the request.
    pub(crate) async fn apply_filters(
        &self,
        filters: &Filters,
        phase: Phase,
        req: &FilterRequest<'_>,
        effects: &mut Effects,
    ) -> Result<Step, ProxyError> {
        for filter in filters.of(phase) {
            let step = match filter {
                Filter::SourceRange(range) => source_range::apply(range, req)?,
                Filter::ExternalAuth(auth) => {
                    external_auth::apply(&self.external_auth, auth, req, effects).await
                }
            };
            if let Step::Respond(response) = step {
                return Ok(Step::Respond(response));
            }
        }
        Ok(Step::Next)
    }
}

// === impl Effects ===

impl Effects {
    /// Sets the upstream request headers the filters asked for.
    pub(crate) fn apply_upstream(&mut self, headers: &mut HeaderMap) {
        for (name, value) in self.upstream.drain(..) {
            match value {
                Some(value) => {
                    headers.insert(name, value);
                }
                None => {
                    headers.remove(name);
                }
            }
        }
    }

    /// The cookies added to the request's outcome: the response when its status takes them,
    /// and with `cookies_always` Portico's own error pages too.
    pub(crate) fn finish(
        &self,
        result: Result<Response<ResponseBody>, ProxyError>,
    ) -> Result<Response<ResponseBody>, ProxyError> {
        if self.cookies.is_empty() {
            return result;
        }
        let mut response = match result {
            Ok(response) => response,
            Err(error) if self.cookies_always => crate::phases::rescue(error),
            Err(error) => return Err(error),
        };
        self.add_cookies(&mut response);
        Ok(response)
    }

    /// Adds the cookies to `response` when its status takes them.
    fn add_cookies(&self, response: &mut Response<ResponseBody>) {
        if self.cookies_always || ADD_HEADER_STATUSES.contains(&response.status().as_u16()) {
            for cookie in &self.cookies {
                response.headers_mut().append(SET_COOKIE, cookie.clone());
            }
        }
    }
}
