//! Carrying per-server state from the live snapshot into the next one: a server whose host,
//! locations and backends (by name) are unchanged keeps its metric counters and handles, so a
//! change costs the servers it touched, not one allocation per location of the whole table.
//!
//! Invariant: what is carried over equals what would be built afresh for that server.

use std::collections::HashMap;
use std::sync::Arc;

use portico_model::{HostPattern, RouteTable, Server, Target};

use crate::request_metrics::LazyHandles;
use crate::snapshot::{servers, LazyCounters, Snapshot};

/// For each server of the new table (the [`portico_router::ServerId`] order), the index of an
/// equal server of the previous snapshot, if any.
pub(crate) struct Carried<'a> {
    previous: Option<&'a Snapshot>,
    equal: Vec<Option<usize>>,
}

/// What a server's metrics are made of: counters and handles, one per location.
pub(crate) type ServerMetrics = (Arc<[LazyCounters]>, Arc<[LazyHandles]>);

// === impl Carried ===

impl<'a> Carried<'a> {
    /// Matches the servers of `table` to `previous`'s by host (the default server to the
    /// default server), keeping the pairs that are equal.
    pub(crate) fn match_servers(table: &RouteTable, previous: Option<&'a Snapshot>) -> Self {
        let Some(prev) = previous else { return Self { previous, equal: Vec::new() } };
        let by_host: HashMap<&HostPattern, usize> =
            prev.table.servers.iter().enumerate().map(|(i, s)| (&s.host, i)).collect();
        let named = table.servers.len();
        let same_ids = same_backend_ids(&prev.table, table);
        let equal = servers(table)
            .enumerate()
            .map(|(index, server)| {
                let old = match index < named {
                    true => *by_host.get(&server.host)?,
                    false => prev.table.servers.len(),
                };
                let old_server = portico_router::server(&prev.table, portico_router::ServerId(old));
                let same = old_server == server && same_backends(&same_ids, server);
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

/// Per backend id of `new`: whether `old` has a backend of the same name and Service at that
/// id (ids are indexes, which move when backends are added or removed). Compared once per
/// backend, not once per location using it.
fn same_backend_ids(old: &RouteTable, new: &RouteTable) -> Vec<bool> {
    let same_at = |id: usize, b: &portico_model::Backend| {
        old.backends.get(id).is_some_and(|a| a.name == b.name && a.service == b.service)
    };
    new.backends.iter().enumerate().map(|(id, b)| same_at(id, b)).collect()
}

/// Every backend `server` targets is the same in both tables ([`same_backend_ids`]).
fn same_backends(same_ids: &[bool], server: &Server) -> bool {
    let ids = server.locations.iter().flat_map(|l| l.backends.targets().iter().map(|t| t.target));
    ids.chain(server.passthrough.map(Target::Backend)).all(|target| match target {
        Target::Backend(id) => same_ids.get(id.0).copied().unwrap_or(false),
        Target::NotFound => true,
    })
}
