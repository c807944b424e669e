//! Where the rendered chart lives, and rendering it when it is missing or stale.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `target/chart-render`, where `scripts/chart-check` writes one file per scenario.
pub fn render_dir() -> PathBuf {
    workspace_root().join("target/chart-render")
}

/// Returns the render directory, first running `scripts/chart-check --render-only` when it is
/// missing or older than a file of the chart. Panics with what to do when that fails (no helm).
/// Runs at most once per test process.
pub fn ensure_rendered() -> PathBuf {
    static RENDERED: OnceLock<PathBuf> = OnceLock::new();
    RENDERED
        .get_or_init(|| {
            let dir = render_dir();
            let chart = workspace_root().join("charts/portico");
            let rendered_at = modified(&dir.join(".stamp"));
            if rendered_at.is_some() && rendered_at >= newest(&chart) {
                return dir;
            }
            let script = workspace_root().join("scripts/chart-check");
            let out = Command::new("bash")
                .arg(&script)
                .arg("--render-only")
                .output()
                .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
            assert!(
                out.status.success(),
                "{} is missing or older than charts/portico, and rendering it failed:\n{}\n\
                 Run scripts/chart-check first: it installs helm into target/tools/ and renders \
                 the chart (CI does this before the tests).",
                dir.display(),
                String::from_utf8_lossy(&out.stderr).trim(),
            );
            dir
        })
        .clone()
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// Newest modification time of any file below `dir`.
fn newest(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                newest = newest.max(modified(&path));
            }
        }
    }
    newest
}
