//! ingress-nginx's controller metrics: reloads (here: routing table rebuilds), per-Ingress
//! checks, certificate expiry, orphaned Ingresses and leader election. Written at rebuild
//! time and by the election task, never on the request path; a mutex guards the sets.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::labels::push_label;
use crate::requests::ControllerLabels;

const HELP_RELOAD_OK: &str = "Whether the last configuration reload attempt was successful";
const HELP_RELOAD_TS: &str = "Timestamp of the last successful configuration reload.";
const HELP_RELOADS: &str = "Cumulative number of Ingress controller reload operations";
const HELP_RELOAD_ERRORS: &str =
    "Cumulative number of Ingress controller errors during reload operations";
const HELP_HASH: &str =
    "Running configuration hash actually running (Portico: the live table's generation)";
const HELP_CHECKS: &str = "Cumulative number of Ingress controller syntax check operations";
const HELP_CHECK_ERRORS: &str =
    "Cumulative number of Ingress controller errors during syntax check operations";
const HELP_SSL: &str = "Number of seconds since 1970 to the SSL Certificate expire";
const HELP_ORPHAN: &str = "Gauge reporting status of ingress orphanity, 1 indicates orphaned \
                           ingress ('type' is no-service or no-endpoint)";
const HELP_LEADER: &str = "Gauge reporting status of the leader election, 0 indicates follower, \
                           1 indicates leader. 'name' is the string used to identify the lease";

/// The controller metrics and their constant labels.
#[derive(Debug)]
pub struct ControllerMetrics {
    /// `controller_class="…",controller_namespace="…",controller_pod="…"`.
    constant: String,
    class: String,
    reloads: AtomicU64,
    reload_errors: AtomicU64,
    last_ok: AtomicBool,
    last_ok_secs: AtomicU64,
    /// `config_hash`: the live table's generation (ingress-nginx's stock dashboard reads its
    /// labels for its variables; the value only has to change with the configuration).
    config_hash: AtomicU64,
    state: Mutex<State>,
}

/// What a rebuild found about each Ingress and certificate.
#[derive(Debug, Default)]
struct State {
    /// namespace → ingress → (checks without errors, checks with errors). Nested so that a
    /// rebuild finds an Ingress seen before by its borrowed names (no key copied per check);
    /// hashed, and sorted only when scraped.
    checks: HashMap<String, HashMap<String, (u64, u64)>>,
    /// `(host, secret namespace, secret name)` → not-after (Unix seconds).
    certificates: BTreeMap<(String, String, String), i64>,
    /// `(namespace, ingress, type)` of the orphaned Ingresses (`no-service`, `no-endpoint`).
    orphans: Vec<(String, String, &'static str)>,
    /// The Lease name and whether this replica leads it (cluster mode only).
    leader: Option<(String, bool)>,
}

/// One Ingress's outcome in a rebuild.
#[derive(Debug, Clone, Copy)]
pub struct IngressCheck<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    /// The rebuild reported an error diagnostic about it.
    pub failed: bool,
}

/// A served certificate.
#[derive(Debug, Clone)]
pub struct CertificateExpiry {
    pub host: String,
    pub secret_namespace: String,
    pub secret_name: String,
    /// Unix seconds.
    pub not_after: i64,
}

// === impl ControllerMetrics ===

impl ControllerMetrics {
    pub fn new(labels: &ControllerLabels) -> Self {
        let mut constant = String::new();
        push_label(&mut constant, "controller_class", &labels.class);
        push_label(&mut constant, "controller_namespace", &labels.namespace);
        push_label(&mut constant, "controller_pod", &labels.pod);
        Self {
            constant,
            class: labels.class.clone(),
            reloads: AtomicU64::new(0),
            reload_errors: AtomicU64::new(0),
            last_ok: AtomicBool::new(false),
            last_ok_secs: AtomicU64::new(0),
            config_hash: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        }
    }

    /// One table rebuild ("reload"): successful when it reported no error diagnostic (the
    /// table is swapped in either way; the objects in error were skipped). `checks`: every
    /// Ingress compiled.
    pub fn reloaded<'a>(
        &self,
        ok: bool,
        now_secs: u64,
        checks: impl IntoIterator<Item = IngressCheck<'a>>,
    ) {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        if ok {
            self.last_ok_secs.store(now_secs, Ordering::Relaxed);
        } else {
            self.reload_errors.fetch_add(1, Ordering::Relaxed);
        }
        self.last_ok.store(ok, Ordering::Relaxed);
        let mut state = self.state.lock();
        for check in checks {
            let names = match state.checks.get_mut(check.namespace) {
                Some(names) => names,
                None => state.checks.entry(check.namespace.to_string()).or_default(),
            };
            let entry = match names.get_mut(check.name) {
                Some(entry) => entry,
                None => names.entry(check.name.to_string()).or_default(),
            };
            if check.failed {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
    }

    /// The certificates and orphaned Ingresses of the table just swapped in.
    pub fn table_served(
        &self,
        certificates: Vec<CertificateExpiry>,
        orphans: Vec<(String, String, &'static str)>,
    ) {
        let mut state = self.state.lock();
        state.certificates = certificates
            .into_iter()
            .map(|c| ((c.host, c.secret_namespace, c.secret_name), c.not_after))
            .collect();
        state.orphans = orphans;
    }

    /// Table `generation` is live.
    pub fn table_live(&self, generation: u64) {
        self.config_hash.store(generation, Ordering::Relaxed);
    }

    /// Leader election: whether this replica now leads `lease`.
    pub fn leading(&self, lease: &str, leader: bool) {
        self.state.lock().leader = Some((lease.to_string(), leader));
    }

    /// Writes the controller metrics in the Prometheus text format.
    pub fn encode(&self, out: &mut String) {
        let c = &self.constant;
        let load = |value: &AtomicU64| value.load(Ordering::Relaxed);
        let ok = u8::from(self.last_ok.load(Ordering::Relaxed));
        family(out, "config_last_reload_successful", "gauge", HELP_RELOAD_OK);
        sample(out, "config_last_reload_successful", c, ok);
        family(out, "config_last_reload_successful_timestamp_seconds", "gauge", HELP_RELOAD_TS);
        sample(out, "config_last_reload_successful_timestamp_seconds", c, load(&self.last_ok_secs));
        family(out, "success", "counter", HELP_RELOADS);
        sample(out, "success", c, load(&self.reloads));
        family(out, "errors", "counter", HELP_RELOAD_ERRORS);
        sample(out, "errors", c, load(&self.reload_errors));
        family(out, "config_hash", "gauge", HELP_HASH);
        sample(out, "config_hash", c, load(&self.config_hash));
        let state = self.state.lock();
        self.encode_checks(out, &state);
        self.encode_certificates(out, &state);
        family(out, "orphan_ingress", "gauge", HELP_ORPHAN);
        for (namespace, ingress, kind) in &state.orphans {
            let mut labels = c.clone();
            push_label(&mut labels, "namespace", namespace);
            push_label(&mut labels, "ingress", ingress);
            push_label(&mut labels, "type", kind);
            sample(out, "orphan_ingress", &labels, 1);
        }
        family(out, "leader_election_status", "gauge", HELP_LEADER);
        if let Some((lease, leader)) = &state.leader {
            let mut labels = c.clone();
            push_label(&mut labels, "name", lease);
            sample(out, "leader_election_status", &labels, u8::from(*leader));
        }
    }

    fn encode_checks(&self, out: &mut String, state: &State) {
        for (metric, help, errors) in
            [("check_success", HELP_CHECKS, false), ("check_errors", HELP_CHECK_ERRORS, true)]
        {
            family(out, metric, "counter", help);
            let checks = state.checks.iter();
            let mut sorted: Vec<_> = checks
                .flat_map(|(ns, names)| names.iter().map(move |(name, c)| (ns, name, c)))
                .collect();
            sorted.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            for (namespace, ingress, (ok, failed)) in sorted {
                let mut labels = self.constant.clone();
                push_label(&mut labels, "namespace", namespace);
                push_label(&mut labels, "ingress", ingress);
                sample(out, metric, &labels, if errors { failed } else { ok });
            }
        }
    }

    fn encode_certificates(&self, out: &mut String, state: &State) {
        family(out, "ssl_expire_time_seconds", "gauge", HELP_SSL);
        for ((host, namespace, secret), not_after) in &state.certificates {
            let mut labels = String::new();
            push_label(&mut labels, "namespace", namespace);
            push_label(&mut labels, "class", &self.class);
            push_label(&mut labels, "host", host);
            push_label(&mut labels, "secret_name", secret);
            sample(out, "ssl_expire_time_seconds", &labels, not_after);
        }
    }
}

/// One sample of `nginx_ingress_controller_<name>`.
fn sample(out: &mut String, name: &str, labels: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "nginx_ingress_controller_{name}{{{labels}}} {value}");
}

/// `# HELP` and `# TYPE` of `nginx_ingress_controller_<name>`.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP nginx_ingress_controller_{name} {help}");
    let _ = writeln!(out, "# TYPE nginx_ingress_controller_{name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reloads_checks_certificates_and_leader() {
        let labels = ControllerLabels { class: "c".into(), namespace: "n".into(), pod: "p".into() };
        let m = ControllerMetrics::new(&labels);
        let good = IngressCheck { namespace: "default", name: "web", failed: false };
        m.reloaded(true, 1700, vec![good]);
        m.reloaded(false, 1800, vec![IngressCheck { failed: true, ..good }]);
        let cert = CertificateExpiry {
            host: "a.example".into(),
            secret_namespace: "default".into(),
            secret_name: "a-tls".into(),
            not_after: 2_000_000_000,
        };
        m.table_served(vec![cert], vec![("default".into(), "web".into(), "no-endpoint")]);
        m.leading("portico-leader", true);
        let mut out = String::new();
        m.encode(&mut out);
        let c = r#"controller_class="c",controller_namespace="n",controller_pod="p""#;
        for line in [
            format!("nginx_ingress_controller_config_last_reload_successful{{{c}}} 0"),
            format!("nginx_ingress_controller_config_last_reload_successful_timestamp_seconds{{{c}}} 1700"),
            format!("nginx_ingress_controller_success{{{c}}} 2"),
            format!("nginx_ingress_controller_errors{{{c}}} 1"),
            format!(r#"nginx_ingress_controller_check_success{{{c},namespace="default",ingress="web"}} 1"#),
            format!(r#"nginx_ingress_controller_check_errors{{{c},namespace="default",ingress="web"}} 1"#),
            r#"nginx_ingress_controller_ssl_expire_time_seconds{namespace="default",class="c",host="a.example",secret_name="a-tls"} 2000000000"#.to_string(),
            format!(r#"nginx_ingress_controller_orphan_ingress{{{c},namespace="default",ingress="web",type="no-endpoint"}} 1"#),
            format!(r#"nginx_ingress_controller_leader_election_status{{{c},name="portico-leader"}} 1"#),
        ] {
            assert!(out.contains(&line), "{line}\n{out}");
        }
    }
}
