//! `docs/annotations.md` is the registry rendered: this test fails when they differ.
//! `PORTICO_BLESS_DOCS=1` rewrites the file instead.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;

#[test]
fn committed_reference_matches_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/annotations.md");
    let rendered = portico_annotations::render_reference();
    if std::env::var_os("PORTICO_BLESS_DOCS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "{} is out of date: run `PORTICO_BLESS_DOCS=1 cargo test -p portico-annotations --test docs`",
        path.display()
    );
}
