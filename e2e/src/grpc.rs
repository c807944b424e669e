//! A real gRPC backend and client (Python `grpcio`, scripts in `e2e/grpc/`) for
//! `backend-protocol: GRPC`/`GRPCS`. The backend serves `test.Echo` in clear text (h2c) or
//! over TLS and reports, on stdout, calls that ended before it answered (cancellation,
//! deadline); the client runs one call and reports code, details, messages and trailers.

use std::io::{BufRead, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::pki::Leaf;

/// A running `echo_server.py`; stopped when dropped.
pub struct GrpcBackend {
    pub addr: SocketAddr,
    child: Child,
    events: Arc<Mutex<Vec<serde_json::Value>>>,
    /// Holds the TLS certificate files while the server runs.
    _files: Option<tempfile::TempDir>,
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("grpc").join(name)
}

// === impl GrpcBackend ===

impl GrpcBackend {
    /// Starts the backend on a loopback port (over TLS with `cert`) and waits until it listens.
    ///
    /// # Panics
    /// When python3 or grpcio is missing, or the server does not start (test setup errors).
    pub async fn start(cert: Option<&Leaf>) -> GrpcBackend {
        let mut command = Command::new("python3");
        command.arg(script("echo_server.py"));
        let files = cert.map(|cert| {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::write(dir.path().join("tls.crt"), &cert.cert_pem).expect("write cert");
            std::fs::write(dir.path().join("tls.key"), &cert.key_pem).expect("write key");
            command.arg(dir.path().join("tls.crt")).arg(dir.path().join("tls.key"));
            dir
        });
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 e2e/grpc/echo_server.py (needs python3 with grpcio)");
        let stdout = child.stdout.take().expect("stdout");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) {
                    sink.lock().expect("events").push(event);
                }
            }
        });
        let mut backend =
            GrpcBackend { addr: ([127, 0, 0, 1], 0).into(), child, events, _files: files };
        crate::eventually("the gRPC backend listens", || {
            let port = backend.event("listening").and_then(|e| e["port"].as_u64());
            async move { port.is_some() }
        })
        .await;
        let port = backend.event("listening").and_then(|e| e["port"].as_u64()).unwrap_or(0);
        backend.addr.set_port(u16::try_from(port).expect("port"));
        backend
    }

    /// The first event named `name` the backend printed.
    pub fn event(&self, name: &str) -> Option<serde_json::Value> {
        self.events.lock().expect("events").iter().find(|e| e["event"] == name).cloned()
    }

    /// Every event the backend printed so far.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.events.lock().expect("events").clone()
    }
}

impl Drop for GrpcBackend {
    fn drop(&mut self) {
        // Closing stdin stops the server; kill it in case it hangs.
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one `client.py` call (`mode`: unary, stream, fail, deadline, cancel) to `target` over
/// h2c with `:authority` `authority`, and returns its JSON report.
///
/// # Panics
/// When the client cannot run or prints no report (test setup errors).
pub async fn grpc_call(target: SocketAddr, authority: &str, mode: &str) -> serde_json::Value {
    let (authority, mode) = (authority.to_string(), mode.to_string());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(script("client.py"))
            .arg(target.to_string())
            .arg(authority)
            .arg(mode)
            .stdin(Stdio::null())
            .output()
            .expect("python3 e2e/grpc/client.py")
    })
    .await
    .expect("client task");
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "gRPC client printed no report ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
