//! Property tests (proptest, 256 cases each): the value grammars against reference models of
//! Go's `strconv.ParseBool` / `strconv.Atoi` and nginx sizes, and every registered annotation
//! and ConfigMap key over arbitrary values: no panic, CR/LF always rejected, never passed on.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::value::{
    check_line_breaks, parse_count, parse_int, parse_list, parse_seconds, parse_seconds_or_zero,
};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

const GO_TRUE: [&str; 6] = ["1", "t", "T", "TRUE", "true", "True"];
const GO_FALSE: [&str; 6] = ["0", "f", "F", "FALSE", "false", "False"];

/// Go `strconv.Atoi` on 64 bits: `[+-]?[0-9]+`, in range, nothing else (no space, `_`, `0x`).
fn go_atoi(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: i128 = 0;
    for b in digits.bytes() {
        n = n * 10 + i128::from(b - b'0');
        if n > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    i64::try_from(if negative { -n } else { n }).ok()
}

/// Text near the grammars: signs, digits, unit letters, spellings of booleans, spaces, junk.
fn value_text() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "0",
        "1",
        "7",
        "9",
        "00",
        "42",
        "9223372036854775807",
        "9223372036854775808",
        "+",
        "-",
        " ",
        "\t",
        "_",
        ".",
        "e",
        "x",
        "k",
        "K",
        "m",
        "M",
        "g",
        "G",
        "b",
        "t",
        "T",
        "f",
        "F",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "yes",
        "é",
        "\n",
        "\r",
    ];
    prop_oneof![
        prop::collection::vec(prop::sample::select(PIECES), 0..5).prop_map(|p| p.concat()),
        // No backslash: the CR/LF checks look for `\n` and `\r` in Debug output.
        any::<String>().prop_map(|s| s.replace('\\', "/")),
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn bool_is_go_parse_bool(value in value_text()) {
        let want = if GO_TRUE.contains(&value.as_str()) {
            Some(true)
        } else if GO_FALSE.contains(&value.as_str()) {
            Some(false)
        } else {
            None
        };
        prop_assert_eq!(parse_bool(&value).ok(), want, "{:?}", value);
    }

    #[test]
    fn int_is_go_atoi(value in value_text()) {
        prop_assert_eq!(parse_int(&value).ok(), go_atoi(&value), "{:?}", value);
    }

    /// Counts and seconds are Atoi values that are not negative (seconds: at least 1) and fit.
    #[test]
    fn counts_and_seconds_follow_atoi(value in value_text()) {
        let n = go_atoi(&value);
        let count = n.filter(|&n| n >= 0);
        prop_assert_eq!(parse_count::<i64>(&value).ok(), count, "{:?}", value);
        let small = count.and_then(|n| u16::try_from(n).ok());
        prop_assert_eq!(parse_count::<u16>(&value).ok(), small, "{:?}", value);
        let secs = count.map(|n| Duration::from_secs(n.unsigned_abs()));
        prop_assert_eq!(parse_seconds_or_zero(&value).ok(), secs, "{:?}", value);
        let positive = secs.filter(|d| !d.is_zero());
        prop_assert_eq!(parse_seconds(&value).ok(), positive, "{:?}", value);
    }

    /// nginx sizes: digits and an optional k/m/g (either case); 0 means unlimited; overflow
    /// is an error, never a wrap.
    #[test]
    fn size_is_nginx_syntax(value in prop_oneof![value_text(), "[0-9]{1,21}[kKmMgGbt]?"]) {
        let (digits, shift) = match value.as_bytes().last() {
            Some(b'k' | b'K') => (&value[..value.len() - 1], 10),
            Some(b'm' | b'M') => (&value[..value.len() - 1], 20),
            Some(b'g' | b'G') => (&value[..value.len() - 1], 30),
            _ => (value.as_str(), 0),
        };
        let want = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse::<u128>().ok().map(|n| n << shift).filter(|&n| n <= u128::from(u64::MAX))
        } else {
            None
        };
        let want = want.map(|n| u64::try_from(n).ok().filter(|&n| n != 0));
        prop_assert_eq!(parse_size(&value).ok(), want, "{:?}", value);
    }

    #[test]
    fn lists_are_trimmed_non_empty_entries(
        entries in prop::collection::vec(("[ ]{0,2}", "[a-z/.-]{0,6}", "[ ]{0,2}"), 0..6),
    ) {
        let written: Vec<String> = entries.iter().map(|(a, e, b)| format!("{a}{e}{b}")).collect();
        let want: Vec<String> =
            entries.iter().map(|(_, e, _)| e.clone()).filter(|e| !e.is_empty()).collect();
        prop_assert_eq!(parse_list(&written.join(",")), want);
    }

    /// Every registered annotation: CR/LF is rejected whatever the kind; otherwise the value
    /// is the raw one (bool, int) or the trimmed one (string), absent when that is empty; a
    /// bool is one of Go's twelve spellings and an int is an Atoi integer.
    #[test]
    fn every_annotation_validates_by_its_kind(value in value_text()) {
        for spec in registry() {
            let result = spec.validate(&value);
            if check_line_breaks(&value).is_err() {
                prop_assert!(result.is_err(), "{} accepted {:?}", spec.name, value);
                continue;
            }
            let normalised = match spec.kind {
                ValueKind::Bool | ValueKind::Int => value.as_str(),
                ValueKind::String => value.trim(),
            };
            match result {
                Ok(None) => prop_assert!(normalised.is_empty(), "{}: {:?}", spec.name, value),
                Ok(Some(v)) => {
                    prop_assert_eq!(v, normalised, "{}", spec.name);
                    let grammar = match spec.kind {
                        ValueKind::Bool => parse_bool(v).is_ok(),
                        ValueKind::Int => go_atoi(v).is_some(),
                        ValueKind::String => true,
                    };
                    prop_assert!(grammar, "{} accepted {:?}", spec.name, v);
                }
                Err(_) => prop_assert!(!normalised.is_empty(), "{}: {:?}", spec.name, value),
            }
        }
    }
}

/// Names under the default prefix (registered, unknown, other prefixes) with arbitrary values,
/// some of them carrying a line break.
fn annotation_map() -> impl Strategy<Value = BTreeMap<String, String>> {
    let names: Vec<String> = registry().iter().map(|s| s.name.to_string()).collect();
    let key = prop_oneof![
        4 => prop::sample::select(names).prop_map(|n| format!("{DEFAULT_PREFIX}/{n}")),
        1 => "[a-z-]{1,8}".prop_map(|n| format!("{DEFAULT_PREFIX}/{n}")),
        1 => "[a-z./-]{1,12}",
    ];
    let value = prop_oneof![
        value_text(),
        prop::sample::select(vec!["basic", "creds", "ns/creds", "/x", "ewma", "off", "10m"])
            .prop_map(String::from),
        ("[a-z/]{0,4}", prop::sample::select(vec!["\n", "\r", "\r\n"]), "[a-z/]{0,4}")
            .prop_map(|(a, b, c)| format!("{a}{b}{c}")),
    ];
    prop::collection::btree_map(key, value, 0..8)
}

proptest! {
    #![proptest_config(config(256))]

    /// Any annotations: no panic, each diagnostic names an annotation (present, or registered
    /// and missing), and no CR or LF of any value reaches what the Ingress is configured with.
    #[test]
    fn any_annotations_parse_without_panicking(raw in annotation_map()) {
        let parsed = parse_ingress(&raw, DEFAULT_PREFIX, &GlobalConfig::default());
        for d in &parsed.diagnostics {
            let registered = registry().iter().map(|s| format!("{DEFAULT_PREFIX}/{}", s.name));
            let mut keys = raw.keys().cloned().chain(registered);
            let named = keys.any(|k| d.field.as_deref() == Some(field_of(&k).as_str()));
            prop_assert!(named, "{:?} names no annotation of {:?}", d, raw);
        }
        let out = format!("{:?}", parsed.annotations);
        prop_assert!(!out.contains("\\n") && !out.contains("\\r"), "{}", out);
    }

    /// Any ConfigMap data: no panic, every diagnostic names a key, no CR/LF is kept.
    #[test]
    fn any_configmap_parses_without_panicking(
        data in prop::collection::btree_map(
            prop_oneof![
                prop::sample::select(config_keys().iter().map(|k| k.key).collect::<Vec<_>>())
                    .prop_map(String::from),
                "[a-z-]{1,10}",
            ],
            prop_oneof![value_text(), "[a-z/]{0,3}(\n|\r)[a-z]{0,3}"],
            0..8,
        ),
    ) {
        let (global, diagnostics) = parse_configmap(&data);
        prop_assert!(diagnostics.iter().all(|d| d.field.is_some()), "{:?}", diagnostics);
        let out = format!("{global:?}");
        prop_assert!(!out.contains("\\n") && !out.contains("\\r"), "{}", out);
    }
}

/// `metadata.annotations["<key>"]`, for any key.
fn field_of(key: &str) -> String {
    format!("metadata.annotations[{key:?}]")
}
