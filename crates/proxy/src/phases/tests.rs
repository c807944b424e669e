use std::sync::Arc;

use portico_model::PathType;

use super::*;

fn headers(length: &'static str) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static(length));
    map
}

#[test]
fn body_size_is_checked_on_content_length() {
    let limited = LocationPolicy { max_body_size: Some(10), ..Default::default() };
    assert!(check_body_size(&limited, &headers("10")).is_ok());
    assert!(matches!(
        check_body_size(&limited, &headers("11")),
        Err(ProxyError::BodyTooLarge { limit: 10 })
    ));
    assert!(matches!(check_body_size(&limited, &headers("x")), Err(ProxyError::BadRequest(_))));
    assert!(check_body_size(&limited, &HeaderMap::new()).is_ok(), "streamed bodies counted later");
    let unlimited = LocationPolicy { max_body_size: None, ..Default::default() };
    assert!(check_body_size(&unlimited, &headers("99999999999")).is_ok());
}

#[test]
fn denied_is_503() {
    let denied = LocationPolicy { denied: Some(Arc::from("no secret")), ..Default::default() };
    let error = check_denied(&denied).unwrap_err();
    assert_eq!(error.status(), 503);
    assert!(check_denied(&LocationPolicy::default()).is_ok());
}

#[test]
fn location_phase_maps_matches() {
    let server = Server {
        locations: vec![Location {
            path: "/p/".into(),
            path_type: PathType::Prefix,
            backends: portico_model::Backends::single(Target::NotFound),
            policy: Arc::default(),
            ingress: None,
            implicit: false,
            order: 0,
        }],
        ..Server::default()
    };
    assert!(matches!(location(&server, PathMatch::Location(0)), Ok((0, _, false))));
    assert!(matches!(location(&server, PathMatch::AddSlash(0)), Ok((0, _, true))));
    assert!(matches!(location(&server, PathMatch::NoMatch), Err(ProxyError::NoRoute)));
    assert!(matches!(location(&server, PathMatch::Location(3)), Err(ProxyError::NoRoute)));
}

#[test]
fn error_mapping() {
    let cases = [
        (ProxyError::NotReady, 503),
        (ProxyError::BadRequest("x"), 400),
        (ProxyError::NoRoute, 404),
        (ProxyError::BodyTooLarge { limit: 1 }, 413),
        (ProxyError::NoEndpoints("b".into()), 503),
        (ProxyError::ConnectTimeout { addr: "127.0.0.1:1".parse().unwrap() }, 502),
        (ProxyError::Timeout { addr: "127.0.0.1:1".parse().unwrap() }, 504),
    ];
    for (error, status) in cases {
        let response = error.into_response();
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["content-type"], "text/html");
    }
}
