//! `server-alias` per host, as ingress-nginx's `createServers`: the first Ingress (in age
//! order) with aliases for a host sets them, later ones are ignored; an alias
//! equal to the host is dropped, one that is another server's host too (warning).

use std::collections::HashSet;
use std::sync::Arc;

use portico_model::Diagnostic;

use super::draft::ServerDraft;
use super::Prepared;
use crate::ingress::attach;

/// Offers `prepared`'s aliases to `server` (a named host of one of its rules).
pub(super) fn offer(server: &mut ServerDraft, prepared: &Prepared) {
    let aliases = &prepared.ingress.annotations.aliases;
    if aliases.is_empty() {
        return;
    }
    if server.aliases.is_empty() {
        server.aliases.clone_from(aliases);
        server.aliases_from = Some(Arc::clone(&prepared.ingress));
    }
}

/// Drops, once every host is known, each alias that is its own host or another server's, and
/// warns the Ingress that asked. `order` lists `drafts` by host name (the order of warnings).
pub(super) fn settle(drafts: &mut [ServerDraft], order: &[usize], out: &mut Vec<Diagnostic>) {
    // Most tables have no alias: no set of every host name.
    if drafts.iter().all(|d| d.aliases_from.is_none()) {
        return;
    }
    let hosts: HashSet<String> = drafts.iter().map(|d| d.host.to_string()).collect();
    for &at in order {
        let Some(draft) = drafts.get_mut(at) else { continue };
        let Some(from) = draft.aliases_from.clone() else { continue };
        let host = draft.host.to_string();
        draft.aliases.retain(|alias| {
            if alias == &host {
                return false;
            }
            if !hosts.contains(alias) {
                return true;
            }
            let message = format!(
                "server-alias {alias:?} of host {host} is the host of another Ingress rule; \
                 ignored (that server keeps the name, as ingress-nginx)"
            );
            let d = Diagnostic::warning(message).with_field("metadata.annotations");
            out.push(attach(d, &from.object, from.file.as_deref()));
            false
        });
    }
}
