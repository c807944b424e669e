//! The apply steps of the filters a snippet builds: `allow`/`deny` lines (first match, 403),
//! `return` (answered in the rewrite phase), `proxy_set_header` (upstream request) and the
//! response-header edits (`more_set_headers`, `add_header`, `more_clear_headers`).

use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Response, StatusCode};
use portico_model::{AccessRule, HeaderEdit, HeaderName, RedirectStyle, Return, Template};

use super::{FilterRequest, Step};
use crate::body::ResponseBody;
use crate::error::{error_page, ProxyError};

/// `allow`/`deny`: the first matching line decides.
pub(super) fn access(rules: &[AccessRule], req: &FilterRequest<'_>) -> Result<Step, ProxyError> {
    if AccessRule::allows(rules, req.client) {
        Ok(Step::Next)
    } else {
        Err(ProxyError::Forbidden("denied by the snippet's access rules"))
    }
}

/// A snippet's `return`: [`respond`], a URL that is a path made absolute unless `relative`
/// (nginx's `absolute_redirect`).
pub(super) fn respond_to(ret: &Return, req: &FilterRequest<'_>, style: RedirectStyle) -> Step {
    let Some(url) = ret.text.as_deref().filter(|_| is_redirect(ret.status)) else {
        return respond(ret);
    };
    match crate::phases::redirect::absolute(
        url,
        req.conn.scheme(),
        req.raw_host,
        style,
        req.conn.port,
    ) {
        std::borrow::Cow::Borrowed(_) => respond(ret),
        std::borrow::Cow::Owned(url) => respond(&Return { status: ret.status, text: Some(url) }),
    }
}

/// The statuses whose `return` text is a `Location` (nginx's `return` redirect codes).
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// `return CODE [text|URL]`, as nginx: a redirect status sends `Location`, another status with
/// a text sends it as the body, a status alone nginx's page.
pub(super) fn respond(ret: &Return) -> Step {
    let status = StatusCode::from_u16(ret.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let redirect = is_redirect(ret.status);
    let mut response = match (&ret.text, redirect) {
        (Some(text), false) => {
            let mut response = Response::new(ResponseBody::fixed(text.clone().into()));
            *response.status_mut() = status;
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            response
        }
        (None, _) if ret.status < 400 => {
            let mut response = Response::new(ResponseBody::empty());
            *response.status_mut() = status;
            response
        }
        _ => error_page(status),
    };
    if let (Some(url), true) = (&ret.text, redirect) {
        if let Ok(location) = HeaderValue::try_from(url.as_str()) {
            response.headers_mut().insert(LOCATION, location);
        }
    }
    Step::Respond(Box::new(response))
}

/// The values of `proxy_set_header`, expanded on the client's request (before Portico's own
/// header changes): `(name, value)`, an empty value meaning "do not send", as nginx.
pub(crate) fn upstream_values(
    sets: &[(HeaderName, Template)],
    req: &FilterRequest<'_>,
    out: &mut Vec<(HeaderName, Option<HeaderValue>)>,
) {
    for (name, template) in sets {
        let value = super::external_auth::expand(template, req);
        let value = (!value.is_empty()).then(|| HeaderValue::try_from(value).ok()).flatten();
        out.push((name.clone(), value));
    }
}

/// The response-header edits, in order, on any response of the location.
pub(crate) fn edit_response(edits: &[HeaderEdit], response: &mut Response<ResponseBody>) {
    let status = response.status().as_u16();
    let headers = response.headers_mut();
    for edit in edits {
        match edit {
            HeaderEdit::Set { name, value, statuses } => {
                if statuses.is_empty() || statuses.contains(&status) {
                    headers.insert(name.clone(), value.clone());
                }
            }
            HeaderEdit::Add { name, value, always } => {
                let ok =
                    matches!(status, 200 | 201 | 204 | 206 | 301 | 302 | 303 | 304 | 307 | 308);
                if *always || ok {
                    headers.append(name.clone(), value.clone());
                }
            }
            HeaderEdit::Clear(name) => {
                headers.remove(name);
            }
        }
    }
}
