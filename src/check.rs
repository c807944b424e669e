//! `portico check DIR`: the routing table and every diagnostic, without serving anything.
//! Doubles as the migration report for manifests exported from a cluster ([`summary`]).
//! Without DIR the objects come from the Kubernetes API ([`cluster`]); the report is the same.
//!
//! Exit codes: 1 when any diagnostic is an error; else, with `--strict`, 2 when some Ingress
//! will behave differently from ingress-nginx without an error saying so (it carries an
//! unsupported annotation that Portico ignores, or the ConfigMap has keys Portico does not
//! read); else 0.

use std::path::Path;
use std::process::ExitCode;

use portico_compiler::{migration, Compiler, Options};
use portico_model::Diagnostic;
use portico_proxy::Snapshot;
use portico_store::{ManifestSource, Objects};

use crate::cli::CheckArgs;

/// `println!` that stops quietly when stdout is gone (`portico check DIR | head`): the report
/// is cut, the exit code still says whether there were errors.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod cluster;
mod summary;

/// The exit code of "served, but differs from ingress-nginx" under `--strict`.
const DIFFERS: u8 = 2;

/// What a source produced: the objects, the problems reading them, and what to say when it
/// held nothing Portico reads.
struct Input {
    objects: Objects,
    diagnostics: Vec<Diagnostic>,
    nothing: Diagnostic,
}

/// Reads DIR, or without it the cluster (on `runtime`), and prints the report.
pub fn run(args: CheckArgs, runtime: &tokio::runtime::Runtime) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.dir {
        crate::serve::ensure_dir(dir, "")?;
    }
    let options = args.controller.compiler_options()?;
    let input = match &args.dir {
        Some(dir) => directory(dir),
        None => runtime.block_on(cluster::read(&args, &options))?,
    };
    Ok(report(input, &options, &args))
}

/// DIR's objects, loaded as `serve --manifests` loads them.
fn directory(dir: &Path) -> Input {
    let loaded = ManifestSource::new(dir).load();
    let nothing = Diagnostic::warning(
        "nothing was loaded: no Kubernetes objects Portico reads in any *.yaml, *.yml or *.json \
         file below this directory",
    )
    .with_file(dir.display().to_string());
    let objects = std::sync::Arc::unwrap_or_clone(loaded.objects);
    Input { objects, diagnostics: loaded.diagnostics, nothing }
}

/// Compiles, prints the report and returns the exit code.
fn report(input: Input, options: &Options, args: &CheckArgs) -> ExitCode {
    let compiled = Compiler::new(options.clone()).compile(&input.objects);
    let not_loaded = compiled.not_loaded;
    let (snapshot, router_diagnostics) = Snapshot::build(compiled.table, 1);
    let mut diagnostics: Vec<Diagnostic> = input
        .diagnostics
        .into_iter()
        .chain(compiled.diagnostics)
        .chain(router_diagnostics)
        .collect();
    if is_empty(&input.objects) {
        diagnostics.push(input.nothing);
    }
    {
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), "{}", snapshot.table);
    }
    print_certificates(&snapshot);
    print_skipped(&input.objects, options, args.show_skipped);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if !diagnostics.is_empty() {
        say!();
    }
    for diagnostic in &diagnostics {
        say!("{diagnostic}");
    }
    say!("\n{errors} error(s), {} warning(s)", diagnostics.len() - errors);
    let migration = migration(&input.objects, options, &snapshot.table, &not_loaded, &diagnostics);
    summary::print(&migration, &options.ingress_class, errors);
    if errors > 0 {
        ExitCode::FAILURE
    } else if args.strict && migration.differs() {
        ExitCode::from(DIFFERS)
    } else {
        ExitCode::SUCCESS
    }
}

fn is_empty(objects: &Objects) -> bool {
    objects.ingresses.is_empty()
        && objects.ingress_classes.is_empty()
        && objects.services.is_empty()
        && objects.endpoint_slices.is_empty()
        && objects.secrets.is_empty()
        && objects.config_maps.is_empty()
}

/// How many Ingresses were skipped for their class (not ours: no diagnostic each), and with
/// `--show-skipped` which, with the class each names.
fn print_skipped(objects: &Objects, options: &Options, show: bool) {
    let skipped = portico_compiler::skipped(objects, options);
    if skipped.is_empty() {
        return;
    }
    let hint = if show { "" } else { " (--show-skipped lists them)" };
    say!(
        "\n{} Ingress(es) skipped: not of ingress class {} (controller {}){hint}",
        skipped.len(),
        options.ingress_class,
        options.controller_class
    );
    if !show {
        return;
    }
    for skipped in skipped {
        let file = skipped.file.map(|f| format!(" ({f})")).unwrap_or_default();
        say!("  Ingress {}{file}: {}", skipped.key, skipped.class);
    }
}
/// What each TLS host is served once the Secrets are parsed (a Secret that failed falls back to
/// the default certificate; the diagnostics below say why).
fn print_certificates(snapshot: &Snapshot) {
    let tls_hosts: Vec<_> = snapshot.table.servers.iter().filter(|s| s.has_certificate).collect();
    if tls_hosts.is_empty() && snapshot.table.default_certificate.is_none() {
        return;
    }
    let default = match &snapshot.table.default_certificate {
        Some(tls) if !snapshot.certs.default_is_fake() => {
            format!("Secret {}/{}", tls.secret.namespace, tls.secret.name)
        }
        _ => "the generated fake certificate".to_string(),
    };
    say!("\ncertificates (default: {default}):");
    for server in tls_hosts {
        let host = server.host.to_string();
        match snapshot.certs.secret_for(&host) {
            Some(secret) => say!("  {host}: Secret {}/{}", secret.namespace, secret.name),
            None => say!("  {host}: default certificate"),
        }
    }
}
