//! Wall-clock timestamps as the API writes them (Lease renewals, Event times).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;

/// Now, to the microsecond.
pub(crate) fn now() -> Timestamp {
    let since =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    let micros = i32::try_from(since.subsec_micros()).unwrap_or(0);
    Timestamp::new(secs, micros * 1000).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn micro_now() -> MicroTime {
    MicroTime(now())
}

pub(crate) fn time_now() -> Time {
    Time(now())
}
