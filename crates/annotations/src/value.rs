//! Value primitives shared by annotations and ConfigMap keys: Go `ParseBool`, Go `Atoi`, nginx
//! sizes and unit-less seconds. Each returns the reason as a sentence fragment on failure.

use std::time::Duration;

/// Go `strconv.ParseBool`: exactly `1 t T TRUE true True 0 f F FALSE false False`, no trimming.
pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err("not a boolean (expected true or false, as Go strconv.ParseBool)".to_string()),
    }
}

/// Go `strconv.Atoi`: optional sign and decimal digits, no spaces, within 64 bits.
pub fn parse_int(value: &str) -> Result<i64, String> {
    value.parse::<i64>().map_err(|_| "not an integer".to_string())
}

/// A non-negative integer that fits `T` (counts, tries, seconds).
pub fn parse_count<T: TryFrom<i64>>(value: &str) -> Result<T, String> {
    let n = parse_int(value)?;
    if n < 0 {
        return Err("must not be negative".to_string());
    }
    T::try_from(n).map_err(|_| "too large".to_string())
}

/// Unit-less whole seconds, as ingress-nginx's timeout annotations (`5`, not `5s`); at least 1.
pub fn parse_seconds(value: &str) -> Result<Duration, String> {
    let secs: u64 = parse_count(value)
        .map_err(|e| format!("{e}: expected whole seconds without a unit, e.g. 60"))?;
    if secs == 0 {
        return Err("must be at least 1 second".to_string());
    }
    Ok(Duration::from_secs(secs))
}

/// Whole seconds where `0` is allowed (e.g. `keep-alive: 0` disables keep-alive).
pub fn parse_seconds_or_zero(value: &str) -> Result<Duration, String> {
    parse_count(value)
        .map(Duration::from_secs)
        .map_err(|e| format!("{e}: expected whole seconds without a unit, e.g. 60"))
}

/// nginx size syntax: bytes, or a number with `k`/`K`, `m`/`M`, `g`/`G`. `0` = unlimited (`None`).
pub fn parse_size(value: &str) -> Result<Option<u64>, String> {
    const HINT: &str = "expected an nginx size such as 1m, 8k, 1g or a byte count";
    let (digits, factor) = match value.as_bytes().last() {
        Some(b'k' | b'K') => (&value[..value.len() - 1], 1u64 << 10),
        Some(b'm' | b'M') => (&value[..value.len() - 1], 1u64 << 20),
        Some(b'g' | b'G') => (&value[..value.len() - 1], 1u64 << 30),
        _ => (value, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("not a size: {HINT}"));
    }
    let n: u64 = digits.parse().map_err(|_| format!("size too large: {HINT}"))?;
    let bytes = n.checked_mul(factor).ok_or_else(|| format!("size too large: {HINT}"))?;
    Ok((bytes != 0).then_some(bytes))
}

/// An nginx size that must not be zero (a buffer size).
pub fn parse_positive_size(value: &str) -> Result<u64, String> {
    parse_size(value)?.ok_or_else(|| "must be larger than 0".to_string())
}

/// `large-client-header-buffers`: `<number> <size>`, e.g. `4 8k`; at most 256k in all, the
/// most Portico holds for one request head.
pub fn parse_header_buffers(value: &str) -> Result<(u64, u64), String> {
    const HINT: &str = "expected a number and an nginx size, e.g. 4 8k";
    let mut words = value.split_ascii_whitespace();
    let (Some(number), Some(size), None) = (words.next(), words.next(), words.next()) else {
        return Err(format!("not a buffer list: {HINT}"));
    };
    let number: u64 = parse_count(number).map_err(|e| format!("{e}: {HINT}"))?;
    let size = parse_positive_size(size)?;
    if number == 0 {
        return Err(format!("the number must be at least 1: {HINT}"));
    }
    match number.checked_mul(size) {
        Some(total) if total <= 256 << 10 => Ok((number, size)),
        _ => Err("more than 256k in all".to_string()),
    }
}

/// nginx time: a number with an optional unit `ms`, `s`, `m`, `h` (default seconds), e.g. `240s`.
pub fn parse_nginx_time(value: &str) -> Result<Duration, String> {
    const HINT: &str = "expected an nginx time such as 240s, 5m or 30";
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("not a time: {HINT}"))?;
    let factor_ms = match unit {
        "" | "s" => 1000,
        "ms" => 1,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("unknown unit {unit:?}: {HINT}")),
    };
    n.checked_mul(factor_ms).map(Duration::from_millis).ok_or_else(|| format!("too large: {HINT}"))
}

/// ingress-nginx's `MaliciousRegex`: no value may contain a carriage return or a line feed.
pub fn check_line_breaks(value: &str) -> Result<(), String> {
    if value.contains(['\r', '\n']) {
        Err("contains a line break (CR or LF), which is never accepted".to_string())
    } else {
        Ok(())
    }
}

/// A comma-separated list, each entry trimmed of spaces, empty entries dropped (as ingress-nginx's
/// `isLocationInLocationList`).
pub fn parse_list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests;

/// A regex written in the source; a failure to compile is a bug caught by every test run.
pub(crate) fn static_regex(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).unwrap_or_else(|e| panic!("static regex {pattern}: {e}"))
}

/// ingress-nginx's `BasicCharsRegex` (letters, digits and `/-._~:`), the check many
/// annotations share; `spaces`: spaces are removed before the check, as its
/// `ValidateRegex(_, true)` does.
pub(crate) fn check_basic_chars(value: &str, spaces: bool) -> Result<(), String> {
    let basic = |b: u8| b.is_ascii_alphanumeric() || b"-._~/:".contains(&b);
    let ok = value.bytes().all(|b| basic(b) || (spaces && b == b' '));
    match (ok, spaces) {
        (true, _) => Ok(()),
        (false, true) => Err("only letters, digits, spaces and / - . _ ~ : are allowed".into()),
        (false, false) => Err("only letters, digits and / - . _ ~ : are allowed".into()),
    }
}
