//! `portico check`'s two sources on the command line: DIR, or the Kubernetes API.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use clap::Parser;

use super::{CheckArgs, Cli, Command};

fn check(args: &[&str]) -> Result<CheckArgs, clap::Error> {
    let cli = Cli::try_parse_from(["portico", "check"].iter().chain(args))?;
    match cli.command {
        Command::Check(args) => Ok(args),
        other => panic!("parsed as {other:?}"),
    }
}

#[test]
fn a_directory_is_the_source_as_before() {
    let args = check(&["dump/", "--strict"]).unwrap();
    assert_eq!(args.dir.as_deref(), Some(std::path::Path::new("dump/")));
    assert!(args.strict && args.kubeconfig.is_none() && args.watch_namespace.is_none());
}

#[test]
fn without_a_directory_the_api_is_the_source() {
    let args = check(&["--kubeconfig", "/k", "--watch-namespace", "apps"]).unwrap();
    assert_eq!(args.dir, None);
    assert_eq!(args.kubeconfig.as_deref(), Some(std::path::Path::new("/k")));
    assert_eq!(args.watch_namespace.as_deref(), Some("apps"));

    // Neither: the kubeconfig is found as serve finds it (KUBECONFIG, ~/.kube/config, the pod).
    let args = check(&["--ingress-class", "nginx"]).unwrap();
    assert_eq!((args.dir, args.kubeconfig), (None, None));
}

#[test]
fn cluster_flags_conflict_with_a_directory() {
    for flags in [["dump/", "--kubeconfig", "/k"], ["dump/", "--watch-namespace", "apps"]] {
        let error = check(&flags).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict, "{flags:?}: {error}");
    }
}
