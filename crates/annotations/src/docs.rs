//! The reference page `docs/annotations.md`, rendered from the registry and the ConfigMap keys
//! so that the docs cannot drift from the code (a test compares the committed file).

use crate::{registry, render_config_markdown, render_markdown, DEFAULT_PREFIX};

/// The whole `docs/annotations.md` page, for the default annotation prefix.
pub fn render_reference() -> String {
    let supported = registry().len();
    format!(
        "# Annotations and ConfigMap keys\n\n\
         <!-- Generated from crates/annotations (the registry). Do not edit: run\n\
         `PORTICO_BLESS_DOCS=1 cargo test -p portico-annotations --test docs` after changing it. -->\n\n\
         Portico reads the {supported} `{DEFAULT_PREFIX}/*` annotations below (the prefix follows\n\
         `--annotations-prefix`). Any other annotation under the prefix is reported by `portico\n\
         check` as \"not supported by Portico\" and otherwise ignored. Values are Go-style: booleans\n\
         as `strconv.ParseBool` (`true`, `1`, `T`, `False`, ...; not `yes`), strings trimmed; a value\n\
         containing a carriage return or line feed is always invalid. The \"invalid value\" column is\n\
         what an invalid value does, as in ingress-nginx: fall back to the default with a warning,\n\
         drop the whole Ingress (its last good version keeps serving), or answer 503 on its paths.\n\n\
         ## Annotations\n\n{}\n\
         ## ConfigMap keys (`--configmap NS/NAME`)\n\n\
         Invalid values keep the default and are reported; unknown keys are listed by\n\
         `portico check`.\n\n{}",
        render_markdown(DEFAULT_PREFIX),
        render_config_markdown(),
    )
}
