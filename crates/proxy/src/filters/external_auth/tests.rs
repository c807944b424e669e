use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use portico_model::CacheRule;

use super::cache::AnswerCache;
use super::{vars, Answer};

fn answer(status: u16, cookies: &[&'static str]) -> Arc<Answer> {
    Arc::new(Answer {
        status,
        copied: Vec::new(),
        cookies: cookies.iter().map(|c| HeaderValue::from_static(c)).collect(),
        challenges: Vec::new(),
    })
}

#[test]
fn escaped_request_uri_is_a_url_component() {
    // As ingress-nginx's e2e expects: url.QueryEscape("/?a=b&c=d").
    assert_eq!(vars::escape("/?a=b&c=d"), "%2F%3Fa%3Db%26c%3Dd");
    assert_eq!(vars::escape("/a b~_.-"), "%2Fa%20b~_.-");
}

#[tokio::test]
async fn cache_keeps_answers_by_status_and_ttl() {
    let lookups = portico_metrics::CacheCounters::default();
    let cache = AnswerCache::counted(lookups.clone());
    let rules = [CacheRule { statuses: vec![200, 401], ttl: Duration::from_secs(60) }];
    let head = HeaderMap::new();
    cache.put("ok".into(), answer(200, &[]), &rules, &head);
    cache.put("forbidden".into(), answer(403, &[]), &rules, &head);
    cache.put("cookie".into(), answer(200, &["s=1"]), &rules, &head);
    let mut private = HeaderMap::new();
    private.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=9"));
    cache.put("private".into(), answer(200, &[]), &rules, &private);
    assert_eq!(cache.get("ok").map(|a| a.status), Some(200));
    assert!(cache.get("forbidden").is_none(), "403 is not in the rules");
    assert!(cache.get("cookie").is_none(), "answers setting cookies are not cached");
    assert!(cache.get("private").is_none(), "Cache-Control: private");
    assert_eq!((lookups.hit.get(), lookups.miss.get()), (1, 3), "every lookup counted");
    let short = [CacheRule { statuses: vec![], ttl: Duration::from_millis(20) }];
    cache.put("short".into(), answer(500, &[]), &short, &head);
    assert!(cache.get("short").is_some(), "no codes in the rule: any status");
    tokio::time::sleep(Duration::from_millis(30)).await; // the TTL itself is under test
    assert!(cache.get("short").is_none(), "expired");
}
