//! `permanent-redirect` / `temporal-redirect` (§1.6): nginx's `return <code> <url>` in the
//! location, answered in the rewrite phase before any access check or backend choice.

use portico_model::{RedirectStyle, Return, StaticRedirect};

use super::{snippet, FilterRequest, Step};
use crate::phases::redirect::absolute;

/// Every request answers the redirect; the URL as written, a path made absolute unless the
/// location has `relative-redirects` (nginx's `absolute_redirect`).
pub(super) fn respond(
    redirect: &StaticRedirect,
    req: &FilterRequest<'_>,
    style: RedirectStyle,
) -> Step {
    let url = absolute(&redirect.url, req.conn.scheme(), req.raw_host, style, req.conn.port);
    snippet::respond(&Return { status: redirect.status, text: Some(url.into_owned()) })
}
