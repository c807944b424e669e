//! `custom-http-errors` (annotation, or the ConfigMap key as every location's default): nginx's
//! `proxy_intercept_errors on` + `error_page <code> = @custom_<upstream>_<code>`.

use crate::Target;

/// The statuses a location replaces by its error backend's answer, and who that is. The
/// annotation parser fills `codes` only (`target` [`Target::NotFound`], names empty); the
/// compiler completes it per location.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomErrors {
    /// 4xx/5xx statuses; a response (upstream's or Portico's own) with one of them is replaced.
    pub codes: Vec<u16>,
    /// The location's `default-backend` when it has endpoints, else the global default
    /// backend; [`Target::NotFound`]: none, Portico's 404 page answers (ingress-nginx's
    /// internal default server).
    pub target: Target,
    /// `X-Namespace`, `X-Ingress-Name`, `X-Service-Name`, `X-Service-Port` sent to it.
    pub namespace: String,
    pub ingress: String,
    pub service: String,
    pub port: String,
    /// `disable-proxy-intercept-errors`: only Portico's own answers are replaced; the
    /// upstream's pass as they are (nginx's `proxy_intercept_errors off`).
    pub pass_upstream: bool,
}

// === impl CustomErrors ===

impl CustomErrors {
    /// Whether a response of `status` is replaced; `from_upstream`: the upstream sent it.
    pub fn intercepts(&self, status: u16, from_upstream: bool) -> bool {
        self.codes.contains(&status) && !(from_upstream && self.pass_upstream)
    }
}
