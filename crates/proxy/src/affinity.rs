//! The affinity cookie of `affinity: cookie` (ingress-nginx `balancer/sticky.lua` `set_cookie`):
//! written on the response when the balancer made a new pin, on the locations of the Ingresses
//! that enabled affinity.
//!
//! Attributes in lua-resty-cookie's order: `Expires` (only with `session-cookie-expires`),
//! `Max-Age` (only with `-max-age`), `Domain`, `Path` (`session-cookie-path`, else the location's
//! path as written in the Ingress, a regex included), `Secure` (`session-cookie-secure: true`, or
//! the request came over HTTPS), `HttpOnly` (always), `SameSite` (dropped for `None` with
//! `-conditional-samesite-none` when the user agent is known to reject it).

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{SET_COOKIE, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use portico_model::{AffinityCookie, CookieAffinity, Location};

/// What the request tells about the cookie to write, read before the request is forwarded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CookieRequest {
    pub https: bool,
    /// The user agent accepts `SameSite=None` (Chromium's list of incompatible clients).
    pub samesite_none_ok: bool,
}

// === impl CookieRequest ===

impl CookieRequest {
    pub(crate) fn new(headers: &HeaderMap, https: bool) -> Self {
        let agent = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
        Self { https, samesite_none_ok: agent.is_none_or(samesite_none_compatible) }
    }
}

/// Adds `Set-Cookie` for the new pin `value` when `location` belongs to an Ingress that enabled
/// affinity.
pub(crate) fn set_cookie(
    headers: &mut HeaderMap,
    affinity: &CookieAffinity,
    location: &Location,
    value: &str,
    req: CookieRequest,
) {
    let Some(ingress) = &location.ingress else { return };
    if !affinity.ingresses.contains(ingress) {
        return;
    }
    let path = affinity.cookie.path.as_deref().unwrap_or(&location.path);
    let cookie = render(&affinity.cookie, value, path, req, now_secs());
    match HeaderValue::try_from(cookie) {
        Ok(cookie) => {
            headers.append(SET_COOKIE, cookie);
        }
        Err(_) => tracing::warn!(name = %affinity.cookie.name, "affinity cookie not representable"),
    }
}

/// The `Set-Cookie` value at time `now` (seconds since the epoch).
fn render(c: &AffinityCookie, value: &str, path: &str, req: CookieRequest, now: i64) -> String {
    let mut out = format!("{}={value}", c.name);
    if let Some(expires) = c.expires {
        let _ = write!(out, "; Expires={}", cookie_time(now.saturating_add(expires)));
    }
    if let Some(max_age) = c.max_age {
        let _ = write!(out, "; Max-Age={max_age}");
    }
    if let Some(domain) = &c.domain {
        let _ = write!(out, "; Domain={domain}");
    }
    let _ = write!(out, "; Path={path}");
    if c.secure || req.https {
        out.push_str("; Secure");
    }
    out.push_str("; HttpOnly");
    if let Some(samesite) = &c.samesite {
        let dropped = c.conditional_samesite_none && samesite == "None" && !req.samesite_none_ok;
        if !dropped {
            let _ = write!(out, "; SameSite={samesite}");
        }
    }
    out
}

fn now_secs() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

/// nginx's `ngx_http_cookie_time`: `Thu, 18-Nov-10 11:27:35 GMT` (two-digit year).
fn cookie_time(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = DAYS[days.rem_euclid(7) as usize];
    let month = MONTHS[(month - 1) as usize];
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    format!("{weekday}, {day:02}-{month}-{:02} {h:02}:{m:02}:{s:02} GMT", year.rem_euclid(100))
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// ingress-nginx `util/same_site.lua`: user agents that reject `SameSite=None` cookies.
fn samesite_none_compatible(agent: &str) -> bool {
    let old_chrome = ["Chrome/4", "Chrome/5", "Chrome/6"].iter().any(|v| agent.contains(v));
    let ios12 = agent.contains("CPU iPhone OS 12") || agent.contains("iPad; CPU OS 12");
    let mac_safari = agent.contains("Macintosh")
        && agent.contains("Intel Mac OS X 10_14")
        && agent.contains("Safari")
        && !agent.contains("Chrome");
    !(old_chrome || ios12 || mac_safari)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie() -> AffinityCookie {
        AffinityCookie {
            name: "INGRESSCOOKIE".into(),
            path: None,
            domain: None,
            samesite: None,
            conditional_samesite_none: false,
            secure: false,
            expires: None,
            max_age: None,
            change_on_failure: false,
        }
    }

    const HTTP: CookieRequest = CookieRequest { https: false, samesite_none_ok: true };

    #[test]
    fn session_cookie_by_default() {
        assert_eq!(
            render(&cookie(), "k|b", "/app", HTTP, 0),
            "INGRESSCOOKIE=k|b; Path=/app; HttpOnly"
        );
        let https = CookieRequest { https: true, ..HTTP };
        assert_eq!(
            render(&cookie(), "k|b", "/", https, 0),
            "INGRESSCOOKIE=k|b; Path=/; Secure; HttpOnly"
        );
    }

    #[test]
    fn every_attribute_in_order() {
        let c = AffinityCookie {
            expires: Some(172_800),
            max_age: Some(259_200),
            domain: Some("foo.bar".into()),
            samesite: Some("None".into()),
            secure: true,
            ..cookie()
        };
        assert_eq!(
            render(&c, "v", "/p", HTTP, 1_290_079_655 - 172_800),
            "INGRESSCOOKIE=v; Expires=Thu, 18-Nov-10 11:27:35 GMT; Max-Age=259200; Domain=foo.bar; \
             Path=/p; Secure; HttpOnly; SameSite=None"
        );
        let old = CookieRequest { samesite_none_ok: false, ..HTTP };
        let conditional = AffinityCookie { conditional_samesite_none: true, ..c.clone() };
        assert!(!render(&conditional, "v", "/", old, 0).contains("SameSite"));
        assert!(render(&c, "v", "/", old, 0).contains("SameSite=None"));
    }

    #[test]
    fn cookie_times() {
        assert_eq!(cookie_time(0), "Thu, 01-Jan-70 00:00:00 GMT");
        assert_eq!(cookie_time(951_782_400), "Tue, 29-Feb-00 00:00:00 GMT");
        assert_eq!(cookie_time(1_796_083_200), "Tue, 01-Dec-26 00:00:00 GMT");
    }

    #[test]
    fn samesite_none_incompatible_agents() {
        assert!(!samesite_none_compatible("Mozilla/5.0 Chrome/51.0.2704.103 Safari/537.36"));
        assert!(!samesite_none_compatible(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 12_0 like Mac OS X)"
        ));
        assert!(samesite_none_compatible("Mozilla/5.0 Chrome/120.0 Safari/537.36"));
        assert!(samesite_none_compatible("curl/8"));
    }
}
