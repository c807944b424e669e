//! The apply step of every [`Filter`] of the model, run phase by phase (the data and phases are
//! in `portico_model::filter`). A location without filters skips this entirely; one with
//! filters runs only those it has.

mod cors;
pub(crate) mod limits;
pub(crate) mod snippet;
mod source_range;

use std::net::IpAddr;

use http::{HeaderMap, HeaderValue, Method, Response};
use portico_model::{Filter, Filters, Phase};

use crate::body::ResponseBody;
use crate::error::ProxyError;
use crate::server::Proxy;

/// What a filter sees of the request.
#[derive(Debug)]
pub(crate) struct FilterRequest<'a> {
    /// The client address as ingress-nginx's `$remote_addr` (after trusted forwarded headers).
    pub client: IpAddr,
    pub method: &'a Method,
    /// The request's headers (for the filters that read them).
    pub headers: &'a HeaderMap,
    /// The location's limit zones (when it has limits).
    pub limits: Option<&'a limits::LimitState>,
    /// What must be held until the response ends (a `limit-connections` slot).
    pub held: Option<limits::ConnPermit>,
}

/// What the response filters need of the request, kept from the request phases (the request
/// itself is gone by then). Captured only for a location with response filters.
#[derive(Debug)]
pub(crate) struct ResponseRequest {
    /// The `Origin` header (CORS).
    pub origin: Option<HeaderValue>,
}

/// A filter's verdict: go on, or answer now with this response.
pub(crate) enum Step {
    Next,
    Respond(Box<Response<ResponseBody>>),
}

/// The phases that run after the HTTPS redirect, before the request is forwarded, in order
/// ([`Phase::Rewrite`] runs earlier, before `rewrite-target`, as in nginx's rewrite phase).
pub(crate) const ACCESS_PHASES: [Phase; 2] = [Phase::PreAccess, Phase::Access];

// === impl Proxy ===

impl Proxy {
    /// Runs the filters of `phase` in order; the first that answers or fails ends the request.
    pub(crate) async fn apply_filters(
        &self,
        filters: &Filters,
        phase: Phase,
        req: &mut FilterRequest<'_>,
    ) -> Result<Step, ProxyError> {
        for filter in filters.of(phase) {
            let step = match filter {
                Filter::CorsPreflight(cors) => cors::preflight(cors, req),
                Filter::SourceRange(range) => source_range::apply(range, req)?,
                Filter::AccessRules(rules) => snippet::access(rules, req)?,
                Filter::Return(ret) => snippet::respond(ret),
                Filter::Limits(limits) => limits::apply(limits, req)?,
                // Applied where the upstream request, the response and its body are built
                // (`apply_response_filters`, `forward`, crate::body).
                Filter::UpstreamHeaders(_)
                | Filter::ResponseHeaders(_)
                | Filter::CorsHeaders(_)
                | Filter::RateLimit(_) => Step::Next,
            };
            if let Step::Respond(response) = step {
                return Ok(Step::Respond(response));
            }
        }
        Ok(Step::Next)
    }
}

// === impl ResponseRequest ===

impl ResponseRequest {
    /// Captures from the request what `filters`' response phase reads; `None` when the
    /// location has no response filters (it then pays nothing more).
    pub(crate) fn capture(filters: &Filters, headers: &HeaderMap) -> Option<Self> {
        filters
            .has(Phase::Response)
            .then(|| ResponseRequest { origin: headers.get(http::header::ORIGIN).cloned() })
    }
}

/// Runs the response-phase filters on every response of the location that got past its
/// rewrite-phase filters, Portico's own pages included.
pub(crate) fn apply_response_filters(
    filters: &Filters,
    req: &ResponseRequest,
    response: &mut Response<ResponseBody>,
) {
    for filter in filters.of(Phase::Response) {
        match filter {
            Filter::CorsHeaders(cors) => cors::headers(cors, req, response),
            Filter::ResponseHeaders(edits) => snippet::edit_response(edits, response),
            Filter::CorsPreflight(_)
            | Filter::SourceRange(_)
            | Filter::AccessRules(_)
            | Filter::Return(_)
            | Filter::UpstreamHeaders(_)
            | Filter::Limits(_)
            | Filter::RateLimit(_) => {}
        }
    }
}
