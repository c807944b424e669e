//! Carrying per-server state from the live snapshot into the next one: a server whose host,
//! locations and backends (by name) are unchanged keeps its metric counters and handles, so a
//! change costs the servers it touched, not one allocation per location of the whole table.
//!
//! Invariant: what is carried over equals what would be built afresh for that server.

use std::collections::HashMap;
use std::sync::Arc;

use portico_metrics::RequestCounters;
use portico_model::{HostPattern, RouteTable, Server, Target};

use crate::request_metrics::LazyHandles;
use crate::snapshot::{servers, Snapshot};

/// For each server of the new table (the [`portico_router::ServerId`] order), the index of an
/// equal server of the previous snapshot, if any.
pub(crate) struct Carried<'a> {
    previous: Option<&'a Snapshot>,
    equal: Vec<Option<usize>>,
}

/// What a server's metrics are made of: counters and handles, one per location.
pub(crate) type ServerMetrics = (Arc<[RequestCounters]>, Arc<[LazyHandles]>);

// === impl Carried ===

impl<'a> Carried<'a> {
    /// Matches the servers of `table` to `previous`'s by host (the default server to the
    /// default server), keeping the pairs that are equal.
    pub(crate) fn match_servers(table: &RouteTable, previous: Option<&'a Snapshot>) -> Self {
        let Some(prev) = previous else { return Self { previous, equal: Vec::new() } };
        let by_host: HashMap<&HostPattern, usize> =
            prev.table.servers.iter().enumerate().map(|(i, s)| (&s.host, i)).collect();
        let named = table.servers.len();
        let equal = servers(table)
            .enumerate()
            .map(|(index, server)| {
                let old = match index < named {
                    true => *by_host.get(&server.host)?,
                    false => prev.table.servers.len(),
                };
                let old_server = portico_router::server(&prev.table, portico_router::ServerId(old));
                let same = old_server == server && same_backends(&prev.table, table, server);
                same.then_some(old)
            })
            .collect();
        Self { previous, equal }
    }

    /// The previous counters and handles of new server `index`, when it is unchanged.
    pub(crate) fn metrics(&self, index: usize) -> Option<ServerMetrics> {
        let old = (*self.equal.get(index)?)?;
        self.previous?.server_metrics(old)
    }
}

/// Every backend `server` targets has the same name and Service in both tables (ids are
/// indexes, which move when backends are added or removed).
fn same_backends(old: &RouteTable, new: &RouteTable, server: &Server) -> bool {
    let ids = server.locations.iter().flat_map(|l| l.backends.targets().iter().map(|t| t.target));
    ids.chain(server.passthrough.map(Target::Backend)).all(|target| match target {
        Target::Backend(id) => {
            let (a, b) = (old.backend(id), new.backend(id));
            a.map(|a| (&a.name, &a.service)) == b.map(|b| (&b.name, &b.service))
        }
        Target::NotFound => true,
    })
}
