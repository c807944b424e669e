//! The apply step of every [`Filter`] of the model, run phase by phase (the data and phases are
//! in `portico_model::filter`). A location without filters skips this entirely; one with
//! filters runs only those it has.

pub(crate) mod client_cert;
mod source_range;

use std::net::IpAddr;

use http::{HeaderMap, Response};
use portico_model::{Filter, Filters, Phase};

use crate::body::ResponseBody;
use crate::config::ConnInfo;
use crate::error::ProxyError;
use crate::server::Proxy;

/// What a filter sees of the request.
#[derive(Debug)]
pub(crate) struct FilterRequest<'a> {
    /// The client address as ingress-nginx's `$remote_addr` (after trusted forwarded headers).
    pub client: IpAddr,
    /// The request's headers (for the filters that read them).
    #[allow(dead_code)] // read by the next filters (CORS, external auth)
    pub headers: &'a HeaderMap,
    /// The connection (its TLS client certificate, for `auth-tls-*`).
    pub conn: &'a ConnInfo,
}

/// A filter's verdict: go on, or answer now with this response.
pub(crate) enum Step {
    Next,
    Respond(Box<Response<ResponseBody>>),
}

/// The phases that run before the request is forwarded, in order.
pub(crate) const REQUEST_PHASES: [Phase; 3] = [Phase::Rewrite, Phase::PreAccess, Phase::Access];

// === impl Proxy ===

impl Proxy {
    /// Runs the filters of `phase` in order; the first that answers or fails ends the request.
    pub(crate) async fn apply_filters(
        &self,
        filters: &Filters,
        phase: Phase,
        req: &FilterRequest<'_>,
    ) -> Result<Step, ProxyError> {
        for filter in filters.of(phase) {
            let step = match filter {
                Filter::SourceRange(range) => source_range::apply(range, req)?,
                Filter::ClientCert(auth) => client_cert::apply(auth, req)?,
            };
            if let Step::Respond(response) = step {
                return Ok(Step::Respond(response));
            }
        }
        Ok(Step::Next)
    }
}
