//! A real watcher on a real temporary directory: every kind of change ends in a signal, and a
//! load after it sees the change. Waits are bounded; nothing here binds a port.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;
use std::time::Duration;

use portico_store::{watch, Loaded, ManifestSource, ManifestWatcher, ObjectKey};

const DEBOUNCE: Duration = Duration::from_millis(100);
const PATIENCE: Duration = Duration::from_secs(10);

fn service(name: &str, port: u16) -> String {
    format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {{ports: [{{port: {port}}}]}}\n")
}

fn port(loaded: &Loaded, name: &str) -> Option<i32> {
    let service = loaded.objects.services.get(&ObjectKey::new("default", name))?;
    Some(service.object.spec.as_ref()?.ports.as_ref()?[0].port)
}

/// What the binary does: wait for a batch, load, repeat until `done` holds. Fails if no signal
/// comes within the patience (the watcher missed the change).
async fn reload_until(
    watcher: &mut ManifestWatcher,
    source: &mut ManifestSource,
    what: &str,
    done: impl Fn(&Loaded) -> bool,
) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let signal = tokio::time::timeout_at(deadline, watcher.changed()).await;
        assert!(matches!(signal, Ok(Some(()))), "no change signal for: {what}");
        if done(&source.load()) {
            return;
        }
    }
}

async fn setup(dir: &Path) -> (ManifestWatcher, ManifestSource) {
    let watcher = watch(dir, DEBOUNCE).unwrap();
    let mut source = ManifestSource::new(dir);
    source.load();
    (watcher, source)
}

#[tokio::test]
async fn sees_create_change_rename_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let (mut watcher, mut source) = setup(dir.path()).await;
    let file = dir.path().join("web.yaml");

    std::fs::write(&file, service("web", 80)).unwrap();
    reload_until(&mut watcher, &mut source, "create", |l| port(l, "web") == Some(80)).await;

    std::fs::write(&file, service("web", 81)).unwrap();
    reload_until(&mut watcher, &mut source, "change", |l| port(l, "web") == Some(81)).await;

    // An editor's save: write a temporary file, rename it over the original.
    let tmp = dir.path().join(".web.yaml.swp");
    std::fs::write(&tmp, service("web", 82)).unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    reload_until(&mut watcher, &mut source, "rename over", |l| port(l, "web") == Some(82)).await;

    std::fs::rename(&file, dir.path().join("renamed.yml")).unwrap();
    reload_until(&mut watcher, &mut source, "rename", |l| {
        l.objects
            .services
            .values()
            .any(|s| s.file.as_deref().is_some_and(|f| f.ends_with("renamed.yml")))
    })
    .await;

    std::fs::remove_file(dir.path().join("renamed.yml")).unwrap();
    reload_until(&mut watcher, &mut source, "delete", |l| port(l, "web").is_none()).await;
}

#[tokio::test]
async fn sees_directories_created_moved_in_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut watcher, mut source) = setup(dir.path()).await;

    let sub = dir.path().join("team/a");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("svc.yaml"), service("a", 80)).unwrap();
    reload_until(&mut watcher, &mut source, "new directory", |l| port(l, "a") == Some(80)).await;

    // A file written later inside the new directory: its watch must have been added.
    std::fs::write(sub.join("svc.yaml"), service("a", 81)).unwrap();
    reload_until(&mut watcher, &mut source, "change in new dir", |l| port(l, "a") == Some(81))
        .await;

    // A directory prepared elsewhere and moved in whole.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("b.yaml"), service("b", 80)).unwrap();
    std::fs::rename(outside.path(), dir.path().join("moved")).unwrap();
    reload_until(&mut watcher, &mut source, "moved-in dir", |l| port(l, "b") == Some(80)).await;
    std::fs::write(dir.path().join("moved/b.yaml"), service("b", 81)).unwrap();
    reload_until(&mut watcher, &mut source, "change in moved dir", |l| port(l, "b") == Some(81))
        .await;

    std::fs::remove_dir_all(dir.path().join("team")).unwrap();
    reload_until(&mut watcher, &mut source, "removed dir", |l| port(l, "a").is_none()).await;
}

#[tokio::test]
async fn loading_does_not_trigger_the_watcher() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), service("a", 80)).unwrap();
    let (mut watcher, mut source) = setup(dir.path()).await;
    for _ in 0..3 {
        source.load();
    }
    let signal = tokio::time::timeout(DEBOUNCE * 5, watcher.changed()).await;
    assert!(signal.is_err(), "reading the manifests must not count as a change");
}

#[tokio::test]
async fn a_burst_of_writes_is_one_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (mut watcher, _source) = setup(dir.path()).await;
    for i in 0..50 {
        std::fs::write(dir.path().join(format!("f{i}.yaml")), service(&format!("s{i}"), 80))
            .unwrap();
    }
    let signal = tokio::time::timeout(PATIENCE, watcher.changed()).await;
    assert!(matches!(signal, Ok(Some(()))));
    let again = tokio::time::timeout(DEBOUNCE * 5, watcher.changed()).await;
    assert!(again.is_err(), "the burst should have been one batch");
}

#[test]
fn watching_a_missing_directory_is_an_error() {
    let error = watch(Path::new("/nonexistent/portico"), DEBOUNCE).unwrap_err();
    assert!(error.to_string().contains("/nonexistent/portico"), "{error}");
}
