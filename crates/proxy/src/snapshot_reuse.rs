//! Carrying per-server state from the live snapshot into the next one: a server whose host,
//! locations and backends (by name) are unchanged keeps its metric counters and handles, so a
//! change costs the servers it touched, not one allocation per location of the whole table.
//!
//! Invariant: what is carried over equals what would be built afresh for that server.

use std::cmp::Ordering;
use std::sync::Arc;

use portico_model::{RouteTable, Server, Target};

use crate::request_metrics::LazyHandles;
use crate::snapshot::{LazyCounters, Snapshot};

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
    /// default server), keeping the pairs that are equal. Both tables list their servers in
    /// host-name order ([`portico_model::HostPattern::cmp_displayed`]), so the lists are walked side by side:
    /// no map of every host. (Out of order, a server only goes unmatched: it gets new cells.)
    pub(crate) fn match_servers(table: &RouteTable, previous: Option<&'a Snapshot>) -> Self {
        let Some(prev) = previous else { return Self { previous, equal: Vec::new() } };
        let same_ids = same_backend_ids(&prev.table, table);
        let same = |old: usize, server: &Server| {
            let old_server = portico_router::server(&prev.table, portico_router::ServerId(old));
            (old_server == server && same_backends(&same_ids, server)).then_some(old)
        };
        let old_servers = &prev.table.servers;
        let mut next_old = 0;
        let mut equal: Vec<Option<usize>> = table
            .servers
            .iter()
            .map(|server| {
                while old_servers
                    .get(next_old)
                    .is_some_and(|old| old.host.cmp_displayed(&server.host) == Ordering::Less)
                {
                    next_old += 1;
                }
                old_servers.get(next_old).filter(|old| old.host == server.host)?;
                same(next_old, server)
            })
            .collect();
        equal.push(same(old_servers.len(), &table.default_server));
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

#[cfg(test)]
mod tests {
    use super::*;
    use portico_model::HostPattern;

    fn server(host: &str) -> Server {
        Server { host: HostPattern::Exact(host.to_string()), ..Server::default() }
    }

    fn table(servers: Vec<Server>) -> RouteTable {
        RouteTable { servers, ..RouteTable::default() }
    }

    #[test]
    fn equal_servers_are_matched_by_host_walking_both_lists() {
        let old = table(vec![server("a.com"), server("b.com"), server("c.com"), server("d.com")]);
        let (previous, _) = Snapshot::build(old, 1);
        let changed = Server { app_root: Some("/app".into()), ..server("b.com") };
        let wildcard = Server { host: HostPattern::Wildcard("a.com".into()), ..Server::default() };
        let new =
            table(vec![wildcard, server("a.com"), changed, server("bb.com"), server("c.com")]);
        let carried = Carried::match_servers(&new, Some(&previous));
        // `*.a.com`, the changed `b.com` and the new `bb.com` are not carried; `d.com` is gone;
        // the default server (last) is.
        assert_eq!(carried.equal, vec![None, Some(0), None, None, Some(2), Some(4)]);
        assert!(Carried::match_servers(&new, None).equal.is_empty());
    }
}
