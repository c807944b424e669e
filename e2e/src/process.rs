//! One `portico serve` process per test, on ports chosen at run time.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long any wait of the harness may take (`PORTICO_E2E_PATIENCE_SECS`, default 20 s).
pub fn patience() -> Duration {
    let secs = std::env::var("PORTICO_E2E_PATIENCE_SECS").ok().and_then(|v| v.parse().ok());
    Duration::from_secs(secs.unwrap_or(20))
}

/// The `portico` binary under test.
pub fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("PORTICO_BIN") {
        return PathBuf::from(bin);
    }
    // target/<profile>/deps/<test-exe> → target/<profile>/portico
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let bin = profile_dir.join(format!("portico{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} not found: run the tests with `cargo test --workspace` (it builds the binary) or set PORTICO_BIN",
        bin.display()
    );
    bin
}

/// A running `portico serve --manifests <dir>`; killed when dropped. If the test is panicking
/// at that point, the manifests, `portico check` output and the process log are printed.
#[derive(Debug)]
pub struct Portico {
    child: Child,
    pub http: SocketAddr,
    /// The https listener (`--https-addr`), logged as `listening https <addr>`.
    pub https: SocketAddr,
    pub admin: SocketAddr,
    dir: PathBuf,
    /// The controller flags among the start flags, for `portico check`.
    check_flags: Vec<String>,
    log: Arc<Mutex<Vec<String>>>,
}

/// `serve` flags that `check` also takes, and whether they carry a separate value.
const CHECK_FLAGS: &[(&str, bool)] = &[
    ("--ingress-class", true),
    ("--controller-class", true),
    ("--watch-ingress-without-class", false),
    ("--annotations-prefix", true),
    ("--configmap", true),
    ("--default-backend-service", true),
    ("--default-ssl-certificate", true),
    ("--enable-ssl-passthrough", false),
];

impl Portico {
    /// Starts portico on `dir` with `extra` flags and waits until `/readyz` answers 200.
    pub async fn start(dir: &Path, extra: &[&str]) -> Portico {
        Self::launch(&["--manifests".as_ref(), dir.as_os_str()], dir, extra, None).await
    }

    /// [`Portico::start`] with soft and hard open-files limits of `nofile` (`ulimit -n`), to
    /// see what happens when descriptors run out.
    pub async fn start_with_nofile(dir: &Path, extra: &[&str], nofile: u32) -> Portico {
        Self::launch(&["--manifests".as_ref(), dir.as_os_str()], dir, extra, Some(nofile)).await
    }

    /// Starts portico in cluster mode (no `--manifests`) against the API server `kubeconfig`
    /// names, and waits until `/readyz` answers 200 (every watch synced, first table live).
    /// On failure the files beside `kubeconfig` are printed: give it a directory of its own.
    pub async fn start_cluster(kubeconfig: &Path, extra: &[&str]) -> Portico {
        let dir = kubeconfig.parent().expect("kubeconfig directory");
        Self::launch(&["--kubeconfig".as_ref(), kubeconfig.as_os_str()], dir, extra, None).await
    }

    async fn launch(
        source: &[&std::ffi::OsStr],
        dir: &Path,
        extra: &[&str],
        nofile: Option<u32>,
    ) -> Portico {
        let mut command = match nofile {
            None => Command::new(binary()),
            Some(n) => {
                let mut sh = Command::new("sh");
                sh.arg("-c").arg(format!("ulimit -n {n} && exec \"$0\" \"$@\"")).arg(binary());
                sh
            }
        };
        let mut child = command
            .arg("serve")
            .args(source)
            .args(["--http-addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0"])
            .args(["--admin-addr", "127.0.0.1:0", "--shutdown-grace-secs", "2"])
            .args(extra)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn portico");
        let log = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    log.lock().expect("log lock").push(line);
                }
            });
        }
        let mut portico = Portico {
            child,
            http: "0.0.0.0:0".parse().expect("addr"),
            https: "0.0.0.0:0".parse().expect("addr"),
            admin: "0.0.0.0:0".parse().expect("addr"),
            dir: dir.to_path_buf(),
            check_flags: check_flags(extra),
            log,
        };
        let deadline = tokio::time::Instant::now() + patience();
        loop {
            if let (Some(http), Some(https), Some(admin)) = (
                portico.listen_addr("http"),
                portico.listen_addr("https"),
                portico.listen_addr("admin"),
            ) {
                portico.http = http;
                portico.https = https;
                portico.admin = admin;
                break;
            }
            if let Ok(Some(status)) = portico.child.try_wait() {
                panic!("portico exited early with {status}\n{}", portico.log_text());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "portico did not listen\n{}",
                portico.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let admin = portico.admin;
        crate::eventually("portico /readyz = 200", || async move {
            crate::get(admin, "localhost", "/readyz").await.is_ok_and(|r| r.status == 200)
        })
        .await;
        portico
    }

    /// The address logged as `listening <kind> <addr>`.
    pub fn listen_addr(&self, kind: &str) -> Option<SocketAddr> {
        let needle = format!("listening {kind} ");
        let log = self.log.lock().expect("log lock");
        log.iter().find_map(|line| {
            let rest = &line[line.find(&needle)? + needle.len()..];
            rest.split(|c: char| c.is_whitespace() || c == '"').next()?.parse().ok()
        })
    }

    /// Everything the process printed so far.
    pub fn log_text(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// Lines printed so far that contain `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        let log = self.log.lock().expect("log lock");
        log.iter().filter(|l| l.contains(needle)).cloned().collect()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the exit status (bounded by [`patience`]).
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = std::time::Instant::now() + patience();
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// `portico check` on the manifests directory with the controller flags this process got:
    /// stdout and stderr.
    pub fn check(&self) -> String {
        match Command::new(binary()).arg("check").arg(&self.dir).args(&self.check_flags).output() {
            Ok(out) => format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(error) => format!("cannot run portico check: {error}"),
        }
    }

    fn dump(&self) {
        print_manifests(&self.dir);
        eprintln!("===== portico check {} =====\n{}", self.check_flags.join(" "), self.check());
        eprintln!("===== portico log =====\n{}", self.log_text());
    }
}

/// Prints every file below `dir` to stderr (the failure report's inputs).
pub(crate) fn print_manifests(dir: &Path) {
    eprintln!("===== manifests in {} =====", dir.display());
    let mut files: Vec<_> = walk(dir);
    files.sort();
    for file in files {
        eprintln!("--- {}", file.display());
        eprintln!("{}", std::fs::read_to_string(&file).unwrap_or_default());
    }
}

/// The flags of `extra` that `portico check` understands, with their values.
fn check_flags(extra: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut args = extra.iter();
    while let Some(arg) = args.next() {
        let name = arg.split('=').next().unwrap_or(arg);
        let Some((_, takes_value)) = CHECK_FLAGS.iter().find(|(flag, _)| *flag == name) else {
            continue;
        };
        out.push(arg.to_string());
        if *takes_value && !arg.contains('=') {
            out.extend(args.next().map(|v| v.to_string()));
        }
    }
    out
}

impl Drop for Portico {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dump();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}
