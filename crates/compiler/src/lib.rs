//! Compiles Kubernetes objects into Portico's routing table. Kubernetes types stop here: the
//! output is [`portico_model::RouteTable`] plus diagnostics. Pure: no I/O.
#![forbid(unsafe_code)]

use portico_model::{Diagnostic, RouteTable};
use portico_store::{ObjectKey, Objects};

/// Controller settings that decide which objects are ours and how they are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `--ingress-class` (default `portico`).
    pub ingress_class: String,
    /// `--controller-class` (default `portico.dev/ingress-controller`).
    pub controller_class: String,
    /// `--watch-ingress-without-class`.
    pub watch_ingress_without_class: bool,
    /// `--annotations-prefix` (default `nginx.ingress.kubernetes.io`).
    pub annotations_prefix: String,
    /// `--configmap NS/NAME`.
    pub configmap: Option<ObjectKey>,
    /// `--default-backend-service NS/NAME`.
    pub default_backend_service: Option<ObjectKey>,
}

/// One build's result.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub table: RouteTable,
    pub diagnostics: Vec<Diagnostic>,
}

/// Turns [`Objects`] into tables. Keeps the last good version of each Ingress across builds, so
/// an Ingress that turns invalid keeps serving what it served before.
#[derive(Debug)]
pub struct Compiler {
    options: Options,
}

impl Compiler {
    pub fn new(options: Options) -> Self {
        Self { options }
    }

    pub fn compile(&mut self, objects: &Objects) -> Compiled {
        let _ = (objects, &self.options);
        unimplemented!("compiler")
    }
}
