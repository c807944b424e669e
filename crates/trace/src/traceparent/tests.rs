use super::*;

const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[test]
fn parses_and_formats_the_spec_example() {
    let parent = TraceParent::parse(VALID.as_bytes()).unwrap();
    assert_eq!(parent.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
    assert_eq!(parent.span_id, 0x00f067aa0ba902b7);
    assert!(parent.sampled());
    assert_eq!(parent.format(), VALID);
    let unsampled = TraceParent { flags: 0, ..parent };
    assert!(!unsampled.sampled());
    assert!(unsampled.format().ends_with("-00"));
}

#[test]
fn refuses_invalid_values() {
    let invalid = [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ];
    for value in invalid {
        assert_eq!(TraceParent::parse(value.as_bytes()), None, "{value:?}");
    }
}

#[test]
fn later_versions_may_append_fields() {
    let longer = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future";
    assert!(TraceParent::parse(longer.as_bytes()).is_some());
    let glued = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01future";
    assert_eq!(TraceParent::parse(glued.as_bytes()), None);
}

#[test]
fn extracts_one_parent_with_its_state() {
    let mut headers = HeaderMap::new();
    headers.insert(TRACEPARENT, HeaderValue::from_static(VALID));
    headers.append(TRACESTATE, HeaderValue::from_static("congo=t61rcWkgMzE"));
    headers.append(TRACESTATE, HeaderValue::from_static("rojo=00f067aa0ba902b7"));
    let context = extract(&headers).unwrap();
    assert!(context.is_remote() && context.is_sampled());
    assert_eq!(context.trace_state().header(), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    assert_eq!(TraceParent::of(&context).unwrap().format(), VALID);

    headers.insert(TRACESTATE, HeaderValue::from_static("not a list"));
    assert_eq!(extract(&headers).unwrap().trace_state().header(), "", "bad state dropped");

    headers.append(TRACEPARENT, HeaderValue::from_static(VALID));
    assert!(extract(&headers).is_none(), "two traceparent fields are none");
    assert!(extract(&HeaderMap::new()).is_none());
}

#[test]
fn inject_replaces_both_headers() {
    let mut incoming = HeaderMap::new();
    incoming.insert(TRACEPARENT, HeaderValue::from_static(VALID));
    incoming.insert(TRACESTATE, HeaderValue::from_static("a=1"));
    let context = extract(&incoming).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(TRACESTATE, HeaderValue::from_static("stale=1"));
    inject(&context, &mut headers);
    assert_eq!(headers[TRACEPARENT], VALID);
    assert_eq!(headers[TRACESTATE], "a=1");

    inject(
        &SpanContext::new(
            TraceId::from_bytes([7; 16]),
            SpanId::from_bytes([9; 8]),
            TraceFlags::default(),
            false,
            TraceState::default(),
        ),
        &mut headers,
    );
    assert_eq!(headers[TRACEPARENT], "00-07070707070707070707070707070707-0909090909090909-00");
    assert!(headers.get(TRACESTATE).is_none(), "an empty state is no header");
}
