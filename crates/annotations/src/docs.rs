//! The reference page `docs/annotations.md`, rendered from the registry, the list of unsupported
//! annotations and the ConfigMap keys so that the docs cannot drift from the code (a test
//! compares the committed file).

use crate::{
    registry, render_config_markdown, render_markdown, render_unsupported_markdown, unsupported,
    DEFAULT_PREFIX,
};

/// The whole `docs/annotations.md` page, for the default annotation prefix.
pub fn render_reference() -> String {
    let supported = registry().len();
    let missing = unsupported().len();
    format!(
        "# Annotations and ConfigMap keys\n\n\
         <!-- Generated from crates/annotations (the registry). Do not edit: run\n\
         `PORTICO_BLESS_DOCS=1 cargo test -p portico-annotations --test docs` after changing it. -->\n\n\
         Portico reads the {supported} `{DEFAULT_PREFIX}/*` annotations below (the prefix follows\n\
         `--annotations-prefix`); the {missing} ingress-nginx annotations it does not read yet are\n\
         listed under [Not yet supported](#not-yet-supported). Values are Go-style: booleans as\n\
         `strconv.ParseBool` (`true`, `1`, `T`, `False`, ...; not `yes`), strings trimmed; a value\n\
         containing a carriage return or line feed is always invalid. The \"invalid value\" column is\n\
         what an invalid value does, as in ingress-nginx: fall back to the default with a warning,\n\
         drop the whole Ingress (its last good version keeps serving), answer 503 on its paths, or\n\
         have no effect at all (an error: nothing to fall back to, the paths are served).\n\n\
         ## Annotations\n\n{}\n\
         ## Not yet supported\n\n\
         `portico check` reports each of these annotations. Those that restrict access fail\n\
         closed: while one is set (to a value that does not disable it), every path of its Ingress\n\
         answers 503, as ingress-nginx's \"location denied\", and the report is an error (`portico\n\
         check` exits 1). Serving such a location would hand everyone what ingress-nginx refuses.\n\
         The others are ignored with a warning: the location is served without the feature. So is\n\
         any other annotation under the prefix. A `*-snippet` is never run; if it holds access rules\n\
         (`allow`, `deny`), replace them by hand.\n\n{}\n\
         ## ConfigMap keys (`--configmap NS/NAME`)\n\n\
         Invalid values keep the default and are reported; unknown keys are listed by\n\
         `portico check`.\n\n{}\n\
         ### Not yet supported keys that fail closed\n\n\
         These keys restrict access on every location in ingress-nginx. While one is set (to a\n\
         value that does not disable it), every location answers 503 and the report is an error.\n\n{}",
        render_markdown(DEFAULT_PREFIX),
        render_unsupported_markdown(DEFAULT_PREFIX),
        render_config_markdown(),
        crate::config::render_restricting_markdown(),
    )
}
