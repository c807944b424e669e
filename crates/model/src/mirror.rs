//! Request mirroring (`mirror-target`, `mirror-request-body`, `mirror-host`): nginx's `mirror`
//! module as ingress-nginx renders it. Every request a location forwards is also sent, as a
//! copy, to another URL; the copy's answer is discarded and the client never waits for it.

use crate::{Part, Template};

/// The mirror of one location, built by the annotation parser (the compiler sets
/// [`Mirror::source`]); the proxy sends the copies.
///
/// Invariants: `target` is an `http://` or `https://` URL once expanded; its host is literal,
/// or `host` was given by `mirror-host` (ingress-nginx renders no mirror location otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// `mirror-target`: scheme, host, optional port and path, maybe with nginx variables
    /// (`https://mirror.example$request_uri`).
    pub target: Template,
    /// `mirror-host`, else the host of `target` without its port: the copies' `Host`.
    pub host: Template,
    /// `mirror-request-body` (on unless `off`): copies carry the request body when it was
    /// buffered (`proxy-request-buffering`, the default); a streamed body is not copied.
    pub request_body: bool,
    /// `/_mirror-<Ingress uid>`: the URI of nginx's mirror subrequest. A target without
    /// variables and without a path sends it (with the client's query), as nginx's
    /// `proxy_pass` without URI passes the subrequest's; `$uri` in the target is it too.
    pub source: String,
}

// === impl Mirror ===

impl Mirror {
    /// The subrequest URI of an Ingress with `uid` (`metadata.uid`; empty when unknown, as
    /// ingress-nginx renders an Ingress without one).
    pub fn source_for(uid: &str) -> String {
        format!("/_mirror-{uid}")
    }

    /// Whether `target` has no variables and no path: copies get [`Mirror::source`].
    pub fn sends_source(&self) -> bool {
        self.target.literal().is_some_and(|url| Self::path_start(url).is_none())
    }

    /// Where the URI part (path or query) of an absolute URL starts, if it has one: the first
    /// `/` or `?` after `scheme://` (nginx's `ngx_parse_url`).
    pub fn path_start(url: &str) -> Option<usize> {
        let after_scheme = url.find("://").map_or(0, |at| at + 3);
        url[after_scheme..].find(['/', '?']).map(|at| after_scheme + at)
    }

    /// The literal text of `template` before its first variable (the part ingress-nginx reads
    /// the default `Host` from).
    pub fn literal_prefix(template: &Template) -> &str {
        match template.parts.first() {
            Some(Part::Literal(text)) => text,
            _ => "",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn mirror(target: &str) -> Mirror {
        Mirror {
            target: Template::parse(target).unwrap(),
            host: Template::parse("m").unwrap(),
            request_body: true,
            source: Mirror::source_for("u"),
        }
    }

    #[test]
    fn only_literal_targets_without_path_send_the_source() {
        assert!(mirror("http://m").sends_source());
        assert!(mirror("http://m:8080").sends_source());
        assert!(!mirror("http://m/").sends_source());
        assert!(!mirror("http://m?x=1").sends_source());
        assert!(!mirror("http://m$request_uri").sends_source(), "variables decide at run time");
        assert_eq!(Mirror::source_for("abc"), "/_mirror-abc");
    }

    #[test]
    fn uri_part_and_literal_prefix() {
        assert_eq!(Mirror::path_start("http://m:1/a?b"), Some(10));
        assert_eq!(Mirror::path_start("https://m?q"), Some(9));
        assert_eq!(Mirror::path_start("http://m"), None);
        let t = Template::parse("https://m.example:8443$request_uri").unwrap();
        assert_eq!(Mirror::literal_prefix(&t), "https://m.example:8443");
        assert_eq!(Mirror::literal_prefix(&Template::parse("$host").unwrap()), "");
    }
}
