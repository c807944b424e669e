use std::time::Duration;

use super::*;

#[test]
fn bool_accepts_exactly_go_parse_bool_spellings() {
    for v in ["1", "t", "T", "TRUE", "true", "True"] {
        assert_eq!(parse_bool(v), Ok(true), "{v:?}");
    }
    for v in ["0", "f", "F", "FALSE", "false", "False"] {
        assert_eq!(parse_bool(v), Ok(false), "{v:?}");
    }
    for v in ["yes", "no", "on", "off", " true", "true ", "tRUE", "TrUe", "y", "2", "", "fALSE"] {
        assert!(parse_bool(v).is_err(), "{v:?} must be rejected");
    }
}

#[test]
fn int_follows_go_atoi() {
    let cases: &[(&str, Option<i64>)] = &[
        ("0", Some(0)),
        ("42", Some(42)),
        ("+7", Some(7)),
        ("-3", Some(-3)),
        ("007", Some(7)),
        (" 1", None),
        ("1 ", None),
        ("1.5", None),
        ("1e3", None),
        ("", None),
        ("0x10", None),
        ("99999999999999999999", None),
    ];
    for (v, want) in cases {
        assert_eq!(parse_int(v).ok(), *want, "{v:?}");
    }
}

#[test]
fn count_rejects_negative_and_overflow() {
    assert_eq!(parse_count::<u32>("3"), Ok(3));
    assert!(parse_count::<u32>("-1").is_err());
    assert!(parse_count::<u32>("4294967296").is_err());
    assert_eq!(parse_count::<usize>("0"), Ok(0));
}

#[test]
fn seconds_are_unitless_and_positive() {
    assert_eq!(parse_seconds("5"), Ok(Duration::from_secs(5)));
    assert_eq!(parse_seconds("3600"), Ok(Duration::from_secs(3600)));
    for v in ["0", "-1", "5s", "1m", "1.5", " 5", "abc"] {
        assert!(parse_seconds(v).is_err(), "{v:?}");
    }
    assert_eq!(parse_seconds_or_zero("0"), Ok(Duration::ZERO));
    assert!(parse_seconds_or_zero("-1").is_err());
}

#[test]
fn size_follows_nginx_syntax() {
    let cases: &[(&str, Option<Option<u64>>)] = &[
        ("0", Some(None)),
        ("0m", Some(None)),
        ("1", Some(Some(1))),
        ("1024", Some(Some(1024))),
        ("8k", Some(Some(8 * 1024))),
        ("8K", Some(Some(8 * 1024))),
        ("1m", Some(Some(1 << 20))),
        ("10M", Some(Some(10 << 20))),
        ("1g", Some(Some(1 << 30))),
        ("2G", Some(Some(2 << 30))),
        ("", None),
        ("m", None),
        ("1b", None),
        ("1kb", None),
        ("1.5m", None),
        ("-1", None),
        ("+1", None),
        ("1 m", None),
        ("1t", None),
        ("99999999999999999999g", None),
        ("18014398509481984g", None),
    ];
    for (v, want) in cases {
        assert_eq!(parse_size(v).ok(), *want, "{v:?}");
    }
}

#[test]
fn line_breaks_are_rejected() {
    assert!(check_line_breaks("/foo").is_ok());
    for v in ["a\nb", "a\rb", "\n", "x\r\n", "true\n"] {
        assert!(check_line_breaks(v).is_err(), "{v:?}");
    }
}

#[test]
fn list_splits_trims_and_drops_empties() {
    assert_eq!(parse_list("/a, /b ,,/c"), vec!["/a", "/b", "/c"]);
    assert!(parse_list("").is_empty());
    assert!(parse_list(" , ").is_empty());
}
