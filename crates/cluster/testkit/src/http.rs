//! Request routing: `/version`, list, watch, get, create, replace, merge-patch and delete on the
//! resources of [`crate::resources::RESOURCES`], answering errors with `Status` objects.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::resources::Target;
use crate::select::{Filter, Query};
use crate::state::{str_at, Write};
use crate::Shared;

pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// The server is "restarting": the connection is closed without an answer.
#[derive(Debug)]
pub(crate) struct Outage;

impl std::fmt::Display for Outage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("API server outage (test)")
    }
}

impl std::error::Error for Outage {}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Outage> {
    if shared.outage.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Outage);
    }
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = Query::parse(parts.uri.query());
    if path == "/version" {
        let version = json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-portico-testkit"});
        return Ok(json_response(StatusCode::OK, &version));
    }
    let Some(target) = Target::parse(&path) else {
        return Ok(status(
            404,
            "NotFound",
            &format!("the server could not find the requested resource ({path})"),
        ));
    };
    if shared.state.lock().forbidden.contains(target.resource.plural) {
        let message = format!(
            "{} is forbidden: User \"system:serviceaccount:test:portico\" cannot {} resource \"{}\"",
            target.resource.plural,
            parts.method.as_str().to_lowercase(),
            target.resource.plural
        );
        return Ok(status(403, "Forbidden", &message));
    }
    let token = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let body: Value = match body.collect().await {
        Ok(collected) if parts.method != Method::GET => {
            serde_json::from_slice(&collected.to_bytes()).unwrap_or(Value::Null)
        }
        _ => Value::Null,
    };
    let response = match (&parts.method, &target.name) {
        (&Method::GET, None) if query.flag("watch") => {
            return Ok(crate::watch::serve(&shared, &target, &query))
        }
        (&Method::GET, None) => list(&shared, &target, &query),
        (&Method::GET, Some(name)) => get(&shared, &target, name),
        (&Method::POST, None) => write(&shared, &target, None, body.clone(), WriteKind::Create),
        (&Method::PUT, Some(name)) => {
            write(&shared, &target, Some(name), body.clone(), WriteKind::Replace)
        }
        (&Method::PATCH, Some(name)) => {
            write(&shared, &target, Some(name), body.clone(), WriteKind::Patch)
        }
        (&Method::DELETE, Some(name)) => {
            let change =
                shared.delete(target.resource, target.namespace.as_deref().unwrap_or(""), name);
            match change {
                Some(object) => json_response(StatusCode::OK, &object),
                None => status(
                    404,
                    "NotFound",
                    &format!("{} \"{name}\" not found", target.resource.plural),
                ),
            }
        }
        _ => status(405, "MethodNotAllowed", "method not allowed"),
    };
    if parts.method != Method::GET {
        let write = Write {
            method: parts.method.to_string(),
            path,
            token,
            status: response.status().as_u16(),
            body,
        };
        shared.state.lock().writes.push(write);
    }
    Ok(response)
}

enum WriteKind {
    Create,
    Replace,
    Patch,
}

/// A list, in pages when the client sends `limit` (the `continue` token is the offset of the
/// next page; real servers encode more, clients treat it as opaque).
fn list(shared: &Shared, target: &Target, query: &Query) -> Response<Body> {
    let filter = Filter::new(target.namespace.clone(), query);
    let mut state = shared.state.lock();
    *state.lists.entry(target.resource.plural).or_default() += 1;
    let items = state.list(target.resource, &filter);
    let start = query.get("continue").map_or(Some(0), |token| token.parse::<usize>().ok());
    let Some(start) = start else {
        return status(400, "BadRequest", "invalid continue token");
    };
    let limit = query.get("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0);
    let end = limit.map_or(items.len(), |limit| start.saturating_add(limit)).min(items.len());
    let mut metadata = json!({"resourceVersion": state.rv.to_string()});
    if end < items.len() {
        metadata["continue"] = json!(end.to_string());
    }
    let list = json!({
        "kind": format!("{}List", target.resource.kind),
        "apiVersion": target.resource.api_version(),
        "metadata": metadata,
        "items": items.get(start..end).unwrap_or_default(),
    });
    json_response(StatusCode::OK, &list)
}

fn get(shared: &Shared, target: &Target, name: &str) -> Response<Body> {
    let state = shared.state.lock();
    match state.get(target.resource, target.namespace.as_deref().unwrap_or(""), name) {
        Some(object) => json_response(StatusCode::OK, object),
        None => {
            status(404, "NotFound", &format!("{} \"{name}\" not found", target.resource.plural))
        }
    }
}

fn write(
    shared: &Shared,
    target: &Target,
    name: Option<&str>,
    body: Value,
    kind: WriteKind,
) -> Response<Body> {
    let resource = target.resource;
    let namespace = target.namespace.clone().unwrap_or_default();
    let mut state = shared.state.lock();
    let existing = name.and_then(|name| state.get(resource, &namespace, name).cloned());
    let (object, expect_rv) = match (kind, existing) {
        (WriteKind::Create, _) => (body, None),
        (_, None) => {
            let name = name.unwrap_or_default();
            return status(404, "NotFound", &format!("{} \"{name}\" not found", resource.plural));
        }
        (WriteKind::Replace, Some(existing)) => {
            let expect = str_at(&body, &["metadata", "resourceVersion"]).map(str::to_string);
            let object = if target.status {
                let mut object = existing;
                object["status"] = body.get("status").cloned().unwrap_or(Value::Null);
                object
            } else if let Some(status) = existing.get("status") {
                let mut object = body;
                object["status"] = status.clone();
                object
            } else {
                body
            };
            (object, expect)
        }
        (WriteKind::Patch, Some(existing)) => {
            let expect = str_at(&body, &["metadata", "resourceVersion"]).map(str::to_string);
            let mut object = existing;
            if target.status {
                merge(&mut object["status"], body.get("status").unwrap_or(&Value::Null));
            } else {
                merge(&mut object, &body);
            }
            (object, expect)
        }
    };
    let mut object = object;
    if resource.namespaced {
        object["metadata"]["namespace"] = json!(namespace);
    }
    if let Some(name) = name {
        object["metadata"]["name"] = json!(name);
    }
    let create = name.is_none();
    match state.put(resource, object, expect_rv.as_deref(), create) {
        Ok((stored, change)) => {
            let _ = shared.changes.send(change);
            let code = if create { StatusCode::CREATED } else { StatusCode::OK };
            json_response(code, &stored)
        }
        Err((code, reason, message)) => status(code, reason, &message),
    }
}

/// JSON merge patch (RFC 7386).
fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

pub(crate) fn json_response(code: StatusCode, value: &Value) -> Response<Body> {
    let bytes = Bytes::from(serde_json::to_vec(value).unwrap_or_default());
    let mut response = Response::new(Full::new(bytes).map_err(|never| match never {}).boxed());
    *response.status_mut() = code;
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}

/// A `Status` object answer.
pub(crate) fn status(code: u16, reason: &str, message: &str) -> Response<Body> {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    });
    json_response(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), &body)
}

/// A chunked `200 OK` whose body is the lines received on `rx`; an `Err` aborts the connection.
pub(crate) fn stream_response(rx: mpsc::Receiver<Result<Bytes, std::io::Error>>) -> Response<Body> {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let item = rx.recv().await?;
        Some((item.map(Frame::data), rx))
    });
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(stream)));
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}
