//! `allowlist-source-range` / `denylist-source-range`: 403 for a refused client address.

use portico_model::SourceRange;

use super::{FilterRequest, Step};
use crate::error::ProxyError;

pub(super) fn apply(range: &SourceRange, req: &FilterRequest<'_>) -> Result<Step, ProxyError> {
    if range.allows(req.client) {
        Ok(Step::Next)
    } else {
        Err(ProxyError::Forbidden("client address not allowed"))
    }
}
