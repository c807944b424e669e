//! `configuration-snippet` and `server-snippet`, safely (issue 10 §8). ingress-nginx ≥ 1.9
//! ignores them unless the ConfigMap sets `allow-snippet-annotations: "true"`; so does Portico.
//! When allowed, a snippet is read as data, never as configuration: the directives real
//! snippets use become filters (`more_set_headers`, `more_clear_headers`, `add_header`,
//! `proxy_set_header`, `allow`/`deny`, `return`); any other directive is a warning and
//! ignored, except those that restrict access (`auth_*`, `satisfy`, `limit_*`, an `if` or
//! `location` block that answers or denies, ...): the location then fails closed (503, error).

mod parse;

use std::sync::Arc;

use portico_model::{
    AccessRule, Filter, GlobalConfig, HeaderEdit, HeaderName, HeaderValue, IpNet, LocationPolicy,
    Return, Template,
};

use self::parse::Directive;
use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};

const TEXT: Validator =
    Validator { describe: "nginx directives (a safe subset is applied)", check: |_| Ok(()) };

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec {
        name: "configuration-snippet",
        kind: ValueKind::String,
        validator: TEXT,
        scope: Scope::Location,
        risk: Risk::Critical,
        on_invalid: OnInvalid::Deny,
        default_from: None,
        doc: "Only with allow-snippet-annotations: header, allow/deny and return directives are \
              applied; other directives are ignored, or deny (503) if they restrict access.",
    },
    AnnotationSpec {
        name: "server-snippet",
        kind: ValueKind::String,
        validator: TEXT,
        scope: Scope::Location,
        risk: Risk::Critical,
        on_invalid: OnInvalid::Deny,
        default_from: None,
        doc: "As configuration-snippet, applied to the locations of this Ingress (not host-wide).",
    },
];

/// Directives that restrict access: one Portico cannot honour denies the location.
const RESTRICTING: &[&str] = &[
    "auth_basic",
    "auth_basic_user_file",
    "auth_request",
    "auth_jwt",
    "satisfy",
    "limit_req",
    "limit_conn",
    "limit_rate",
    "limit_except",
    "modsecurity",
    "modsecurity_rules",
    "modsecurity_rules_file",
    "access_by_lua",
    "access_by_lua_block",
    "access_by_lua_file",
    "rewrite_by_lua_block",
    "ssl_verify_client",
    "valid_referers",
    "secure_link",
];

/// The filters one snippet asks for.
#[derive(Debug, Default)]
struct Built {
    rules: Vec<AccessRule>,
    ret: Option<Return>,
    upstream: Vec<(HeaderName, Template)>,
    response: Vec<HeaderEdit>,
}

/// Applies the snippets of the Ingress onto `policy`.
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy, global: &GlobalConfig) {
    for name in ["server-snippet", "configuration-snippet"] {
        let Some(text) = ctx.raw(name) else { continue };
        if text.trim().is_empty() {
            continue;
        }
        if !global.allow_snippet_annotations {
            ctx.warn(
                name,
                "ignored: the ConfigMap does not set allow-snippet-annotations (as ingress-nginx)",
            );
            continue;
        }
        let mut built = Built::default();
        let denied = match parse::directives(text) {
            Ok(directives) => directives.iter().any(|d| !read(ctx, name, d, &mut built)),
            Err(reason) => {
                ctx.error(name, format!("cannot read the snippet ({reason}); every path of this Ingress answers 503"));
                true
            }
        };
        if denied {
            policy
                .denied
                .get_or_insert_with(|| Arc::from(format!("{name} cannot be honoured").as_str()));
        }
        install(policy, built);
    }
}

/// Reads one directive into `built`. `false`: it restricts access and cannot be honoured (an
/// error was reported).
fn read(ctx: &mut Ctx<'_>, name: &str, d: &Directive, built: &mut Built) -> bool {
    let ignored = |ctx: &mut Ctx<'_>, why: &str| {
        ctx.warn(name, format!("snippet directive {} ignored: {why}", d.name));
        true
    };
    let denies = |ctx: &mut Ctx<'_>, why: &str| {
        ctx.error(
            name,
            format!(
                "snippet directive {} {why}: every path of this Ingress answers 503 (fails closed)",
                d.name
            ),
        );
        false
    };
    let result = match d.name.as_str() {
        "allow" | "deny" => access_rule(d).map(|rule| built.rules.push(rule)),
        "return" => read_return(d).map(|ret| {
            built.ret.get_or_insert(ret);
        }),
        "more_set_headers" => {
            more_set_headers(d).map(|mut edits| built.response.append(&mut edits))
        }
        "more_clear_headers" => {
            more_clear_headers(d).map(|mut edits| built.response.append(&mut edits))
        }
        "add_header" => add_header(d).map(|edit| built.response.push(edit)),
        "proxy_set_header" => proxy_set_header(d).map(|set| built.upstream.push(set)),
        other if RESTRICTING.contains(&other) => {
            return denies(ctx, "restricts access and is not supported")
        }
        "if" | "location" if block_restricts(d) => {
            return denies(ctx, "block answers or restricts access")
        }
        _ => return ignored(ctx, "not supported by Portico"),
    };
    match result {
        Ok(()) => true,
        Err(why) if matches!(d.name.as_str(), "allow" | "deny" | "return") => {
            denies(ctx, &format!("is invalid ({why})"))
        }
        Err(why) => ignored(ctx, &why),
    }
}

/// An `if`/`location` block that may answer or refuse (`return`, `deny`, `rewrite`, auth).
fn block_restricts(d: &Directive) -> bool {
    let block = d.block.as_deref().unwrap_or_default();
    ["return", "deny", "rewrite", "auth_", "limit_", "satisfy"].iter().any(|w| block.contains(w))
}

fn access_rule(d: &Directive) -> Result<AccessRule, String> {
    let [target] = d.args.as_slice() else { return Err("expects one address".into()) };
    let net = match target.as_str() {
        "all" => None,
        other => Some(match crate::ipaccess::parse_cidrs(other)?.as_slice() {
            [net] => *net,
            _ => return Err(format!("{other:?} is not one address or CIDR")),
        }),
    };
    Ok(AccessRule { allow: d.name == "allow", net: net.map(|n: IpNet| n.trunc()) })
}

fn read_return(d: &Directive) -> Result<Return, String> {
    let (code, text) = match d.args.as_slice() {
        [code] => (code, None),
        [code, text] => (code, Some(text.clone())),
        _ => return Err("expects a status and an optional text or URL".into()),
    };
    let status: u16 = code.parse().map_err(|_| format!("{code:?} is not a status"))?;
    if !(200..=599).contains(&status) || status == 444 {
        return Err(format!("status {status} is not supported"));
    }
    if text.as_deref().is_some_and(|t| t.contains('$')) {
        return Err("variables in the text are not supported".into());
    }
    Ok(Return { status, text })
}

/// `more_set_headers [-s 'statuses'] 'Name: value' ...`.
fn more_set_headers(d: &Directive) -> Result<Vec<HeaderEdit>, String> {
    let (statuses, rest) = options(&d.args)?;
    rest.iter()
        .map(|arg| {
            let (name, value) =
                arg.split_once(':').ok_or_else(|| format!("{arg:?} is not 'Name: value'"))?;
            Ok(HeaderEdit::Set {
                name: header_name(name)?,
                value: literal(value.trim())?,
                statuses: statuses.clone(),
            })
        })
        .collect()
}

/// `more_clear_headers [-s 'statuses'] Name ...` (without wildcards).
fn more_clear_headers(d: &Directive) -> Result<Vec<HeaderEdit>, String> {
    let (_statuses, rest) = options(&d.args)?;
    rest.iter().map(|name| header_name(name).map(HeaderEdit::Clear)).collect()
}

/// The `-s 'codes'` option (`-t` types is not supported); the other arguments.
fn options(args: &[String]) -> Result<(Vec<u16>, Vec<&String>), String> {
    let mut statuses = Vec::new();
    let mut rest = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-s" => {
                let codes = args.next().ok_or("-s without statuses")?;
                for code in codes.split_whitespace() {
                    statuses.push(code.parse().map_err(|_| format!("{code:?} is not a status"))?);
                }
            }
            "-t" => return Err("content-type conditions (-t) are not supported".into()),
            _ => rest.push(arg),
        }
    }
    Ok((statuses, rest))
}

fn add_header(d: &Directive) -> Result<HeaderEdit, String> {
    match d.args.as_slice() {
        [name, value] => {
            Ok(HeaderEdit::Add { name: header_name(name)?, value: literal(value)?, always: false })
        }
        [name, value, always] if always == "always" => {
            Ok(HeaderEdit::Add { name: header_name(name)?, value: literal(value)?, always: true })
        }
        _ => Err("expects a name, a value and optionally always".into()),
    }
}

fn proxy_set_header(d: &Directive) -> Result<(HeaderName, Template), String> {
    let [name, value] = d.args.as_slice() else { return Err("expects a name and a value".into()) };
    Ok((header_name(name)?, template(value)?))
}

fn header_name(name: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("{name:?} is not a header name"))
}

/// A value without variables (response headers are not evaluated per request).
fn literal(value: &str) -> Result<HeaderValue, String> {
    if value.contains('$') {
        return Err("variables in response header values are not supported".into());
    }
    HeaderValue::from_str(value).map_err(|_| format!("{value:?} is not a header value"))
}

/// `proxy_set_header` values: text and nginx variables (those Portico expands, as in
/// `auth-url`).
fn template(value: &str) -> Result<Template, String> {
    Template::parse(value)
}

fn install(policy: &mut LocationPolicy, built: Built) {
    if !built.rules.is_empty() {
        policy.filters.set(Filter::AccessRules(built.rules.into()));
    }
    if let Some(ret) = built.ret {
        policy.filters.set(Filter::Return(Arc::new(ret)));
    }
    if !built.upstream.is_empty() {
        policy.filters.set(Filter::UpstreamHeaders(built.upstream.into()));
    }
    if !built.response.is_empty() {
        policy.filters.set(Filter::ResponseHeaders(built.response.into()));
    }
}

#[cfg(test)]
mod tests;
