//! `?watch=true`: a chunked stream of JSON lines (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR) from a
//! resourceVersion, as the real API server sends it. Ends cleanly at `timeoutSeconds`; dropped
//! (the connection aborted mid-stream) or expired (`410 Gone`) when the test says so.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use crate::http::{stream_response, Body};
use crate::resources::Target;
use crate::select::{Filter, Query};
use crate::state::Change;
use crate::Shared;

/// One line of the stream, or an abort of the connection.
type Line = Result<Bytes, std::io::Error>;

/// Starts a watch on `target` (a collection) as `query` asks.
pub(crate) fn serve(shared: &Arc<Shared>, target: &Target, query: &Query) -> http::Response<Body> {
    let filter = Filter::new(target.namespace.clone(), query);
    let resource = target.resource;
    let requested: Option<u64> = query.get("resourceVersion").and_then(|rv| rv.parse().ok());
    let (tx, rx) = mpsc::channel::<Line>(256);
    let mut backlog = Vec::new();
    let (changes, faults, seen) = {
        let mut state = shared.state.lock();
        *state.watch_starts.entry(resource.plural).or_default() += 1;
        match requested {
            Some(rv) if rv < state.compacted => {
                let message = format!("too old resource version: {rv} ({})", state.compacted);
                backlog.push(line(&json!({"type": "ERROR", "object": gone(&message)})));
                drop(state);
                for l in backlog {
                    let _ = tx.try_send(l);
                }
                return stream_response(rx);
            }
            Some(rv) if rv > 0 => {
                for change in state.history.iter().filter(|c| c.rv > rv) {
                    if change.resource == resource.plural
                        && filter.matches(&change.namespace, &change.object)
                    {
                        backlog.push(event_line(change));
                    }
                }
            }
            _ => {
                for object in state.list(resource, &filter) {
                    backlog.push(line(&json!({"type": "ADDED", "object": object})));
                }
            }
        }
        (shared.changes.subscribe(), shared.faults.subscribe(), state.rv)
    };
    let bookmarks = query.flag("allowWatchBookmarks");
    let timeout =
        query.get("timeoutSeconds").and_then(|t| t.parse::<u64>().ok()).map(Duration::from_secs);
    let timeout = match (timeout, *shared.watch_timeout.lock()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let interval = *shared.bookmark_interval.lock();
    let stream = Stream { filter, resource: target.clone(), changes, faults, seen, tx: tx.clone() };
    tokio::spawn(stream.run(backlog, bookmarks.then_some(interval), timeout));
    stream_response(rx)
}

struct Stream {
    filter: Filter,
    resource: Target,
    changes: broadcast::Receiver<Arc<Change>>,
    faults: tokio::sync::watch::Receiver<(u64, u64)>,
    /// The resourceVersion of the last change this watch has processed (sent or filtered out).
    seen: u64,
    tx: mpsc::Sender<Line>,
}

// === impl Stream ===

impl Stream {
    async fn run(
        mut self,
        backlog: Vec<Line>,
        bookmarks: Option<Duration>,
        timeout: Option<Duration>,
    ) {
        for l in backlog {
            if self.tx.send(l).await.is_err() {
                return;
            }
        }
        let (drops, expiries) = *self.faults.borrow_and_update();
        let deadline = tokio::time::sleep(timeout.unwrap_or(Duration::from_secs(3600)));
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(bookmarks.unwrap_or(Duration::from_secs(3600)));
        tick.tick().await;
        loop {
            tokio::select! {
                change = self.changes.recv() => match change {
                    Ok(change) => {
                        self.seen = change.rv;
                        let ours = change.resource == self.resource.resource.plural
                            && self.filter.matches(&change.namespace, &change.object);
                        if ours && self.tx.send(event_line(&change)).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = self.tx.send(line(&json!({"type": "ERROR", "object": gone("watch lagged")}))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick(), if bookmarks.is_some() => {
                    let r = self.resource.resource;
                    let bookmark = json!({"type": "BOOKMARK", "object": {
                        "kind": r.kind, "apiVersion": r.api_version(),
                        "metadata": {"resourceVersion": self.seen.to_string()},
                    }});
                    if self.tx.send(line(&bookmark)).await.is_err() {
                        return;
                    }
                }
                changed = self.faults.changed() => {
                    let Ok(()) = changed else { return };
                    let (d, e) = *self.faults.borrow_and_update();
                    if d != drops {
                        let abort = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped by the test");
                        let _ = self.tx.send(Err(abort)).await;
                        return;
                    }
                    if e != expiries {
                        let event = json!({"type": "ERROR", "object": gone("too old resource version")});
                        let _ = self.tx.send(line(&event)).await;
                        return;
                    }
                }
                () = &mut deadline => return,
                () = self.tx.closed() => return,
            }
        }
    }
}

fn event_line(change: &Change) -> Line {
    line(&json!({"type": change.kind, "object": change.object}))
}

fn line(value: &Value) -> Line {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    Ok(Bytes::from(bytes))
}

/// The Status object of a `410 Gone` watch error.
fn gone(message: &str) -> Value {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": "Expired", "code": 410,
    })
}
