//! `portico check DIR`: the routing table and every diagnostic, without serving anything.
//! Doubles as the migration report for manifests exported from a cluster.

use std::process::ExitCode;

use portico_compiler::Compiler;
use portico_model::Diagnostic;
use portico_proxy::Snapshot;
use portico_store::ManifestSource;

use crate::cli::CheckArgs;

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.dir.is_dir(), "{}: not a directory", args.dir.display());
    let options = args.controller.compiler_options()?;
    let loaded = ManifestSource::new(&args.dir).load();
    let compiled = Compiler::new(options).compile(&loaded.objects);
    let (snapshot, router_diagnostics) = Snapshot::build(compiled.table, 1);
    let diagnostics: Vec<Diagnostic> = loaded
        .diagnostics
        .into_iter()
        .chain(compiled.diagnostics)
        .chain(router_diagnostics)
        .collect();
    print!("{}", snapshot.table);
    print_certificates(&snapshot);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if !diagnostics.is_empty() {
        println!();
    }
    for diagnostic in &diagnostics {
        println!("{diagnostic}");
    }
    println!("\n{errors} error(s), {} warning(s)", diagnostics.len() - errors);
    Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
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
    println!("\ncertificates (default: {default}):");
    for server in tls_hosts {
        let host = server.host.to_string();
        match snapshot.certs.secret_for(&host) {
            Some(secret) => println!("  {host}: Secret {}/{}", secret.namespace, secret.name),
            None => println!("  {host}: default certificate"),
        }
    }
}
