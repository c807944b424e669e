//! The repository's `examples/` directories as the tests use them: copied into a temporary
//! directory, with the Secret made by the example's own `make-secret.sh` (as `run.sh` does on
//! first use; generated Secrets are never committed), and the demo backend's fixed port
//! replaced by a run-time one.

use std::path::PathBuf;
use std::process::Command;

use crate::Dir;

/// `examples/` of the repository.
pub fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// A copy of example `name` whose manifests send to `backend_port` instead of the demo port
/// `demo_port` (`None`: unchanged), with its Secret made.
pub fn example(name: &str, demo_port: Option<(&str, u16)>) -> Dir {
    let dir = Dir::new();
    let source = examples_dir().join(name);
    let entries = std::fs::read_dir(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()).map(str::to_string) else {
            continue;
        };
        if !path.is_file() || file == "secret.yaml" {
            continue;
        }
        let target = dir.path().join(&file);
        match (path.extension().and_then(|e| e.to_str()), demo_port) {
            (Some("yaml"), Some((from, to))) => {
                let yaml = std::fs::read_to_string(&path).unwrap_or_default();
                std::fs::write(&target, yaml.replace(from, &to.to_string())).unwrap_or_default();
            }
            _ => drop(std::fs::copy(&path, &target)),
        }
    }
    let script = dir.path().join("make-secret.sh");
    if script.exists() {
        let out = Command::new(&script).output().unwrap_or_else(|e| panic!("{name}: {e}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}/make-secret.sh failed: {err}");
    }
    dir
}
