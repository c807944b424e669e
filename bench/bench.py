#!/usr/bin/env python3
"""Portico vs nginx, HAProxy and Caddy: runs the scenarios, prints one table, writes
docs/performance.md and docs/performance.png. Run through `bench/run` (which builds Portico)."""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import platform
import resource
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import load as loadgen
import proc
from model import MAIN_HOST, PASSWORD, USER
from proxies import PROXIES, Env, Proxy
from scenarios import BY_NAME, MIB, SCENARIOS, Scenario

ROOT = Path(__file__).resolve().parent.parent
TOOLS = {  # command -> Debian package
    "nginx": "nginx",
    "haproxy": "haproxy",
    "caddy": "caddy",
    "wrk": "wrk",
    "h2load": "nghttp2-client",
    "htpasswd": "apache2-utils",
    "openssl": "openssl",
}


@dataclass
class Row:
    scenario: str
    label: str
    status: str = "ok"  # ok | not available (...) | failed: ...
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    cpu_per_100k: float | None = None
    rss_mib: float | None = None
    metric: float | None = None  # the scenario's main number (unit in `unit`)
    unit: str = "req/s"
    errors: int = 0
    ratio: float | None = None
    note: str = ""
    rounds: list = field(default_factory=list)


# === tools ===


def ensure_tools() -> dict[str, str]:
    """Installs missing tools with apt; returns {command: reason} for those still missing."""
    missing = {cmd: pkg for cmd, pkg in TOOLS.items() if not shutil.which(cmd)}
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        print(f"installing {' '.join(sorted(set(missing.values())))} with apt-get", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        for pkg in sorted(set(missing.values())):  # one by one: one failure blocks no other
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", pkg],
                env=env, check=False, stdout=subprocess.DEVNULL,
            )  # fmt: skip
    return {
        cmd: f"not available (apt package {pkg} not installed)"
        for cmd, pkg in TOOLS.items()
        if not shutil.which(cmd)
    }


def ensure_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401

        return True
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "matplotlib"], check=False)
    try:
        import matplotlib  # noqa: F401

        return True
    except ImportError:
        return False


def version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not available"


def os_name() -> str:
    for line in Path("/etc/os-release").read_text().splitlines() if Path("/etc/os-release").exists() else []:
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.platform()


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    git = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()  # fmt: skip
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "OS": os_name(),
        "open files (hard)": str(resource.getrlimit(resource.RLIMIT_NOFILE)[1]),
        "Portico": f"{version([str(ENV.portico_bin), '--version'])} (commit {git})",
        "nginx": version(["nginx", "-v"]),
        "HAProxy": version(["haproxy", "-v"]),
        "Caddy": version(["caddy", "version"]),
        "wrk": version(["wrk", "-v"]),
        "h2load": version(["h2load", "--version"]),
    }


# === setup ===


def make_certs(d: Path) -> tuple[Path, Path, Path]:
    cert, key, pem = d / "cert.pem", d / "key.pem", d / "haproxy.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={MAIN_HOST}",
         "-addext", f"subjectAltName=DNS:{MAIN_HOST},DNS:*.{MAIN_HOST},IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    pem.write_text(cert.read_text() + key.read_text())
    return cert, key, pem


def make_htpasswd(d: Path) -> Path:
    path = d / "htpasswd"
    subprocess.run(["htpasswd", "-B", "-b", "-c", str(path), USER, PASSWORD],
                   check=True, capture_output=True)  # fmt: skip
    return path


def start_backend(d: Path) -> tuple[int, subprocess.Popen]:
    """The upstream: a small-response nginx; /upload reads the whole body, then drops it."""
    port = proc.free_port()
    bd = d / "backend"
    bd.mkdir()
    conf = bd / "nginx.conf"
    conf.write_text(f"""worker_processes 1;
worker_rlimit_nofile 20000;
pid {bd}/nginx.pid;
error_log {bd}/error.log warn;
events {{ worker_connections 19000; }}
http {{
  access_log off;
  client_body_temp_path {bd}/body; proxy_temp_path {bd}/proxy;
  fastcgi_temp_path {bd}/fcgi; uwsgi_temp_path {bd}/uwsgi; scgi_temp_path {bd}/scgi;
  keepalive_timeout 120s; keepalive_requests 10000000;
  upstream self {{ server 127.0.0.1:{port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{ return 200 "ok\\n"; }}
    # `return` would answer before the body arrived: read it all (in memory), pass none on.
    location /upload {{
      client_max_body_size 0; client_body_buffer_size 128m;
      proxy_pass http://self/; proxy_pass_request_body off;
      proxy_set_header Content-Length ""; proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
""")
    p = proc.spawn(["nginx", "-p", str(bd), "-c", str(conf), "-g", "daemon off;"], bd / "out.log")
    proc.wait_port(port, p)
    return port, p


# === running ===


def probe(p: Proxy, sc: Scenario, host: str | None = None, timeout: float = 30.0) -> int:
    """One request as the load sends it (HTTP/1.1); retried until 2xx or `timeout`."""
    ld = sc.load
    https = ld.scheme == "https"
    host = host or (f"h{ld.spread_hosts - 1}.bench.test" if ld.spread_hosts else ld.host)
    deadline = time.monotonic() + timeout
    status = 0
    while True:
        try:
            if https:
                ctx = ssl._create_unverified_context()
                conn = http.client.HTTPSConnection("127.0.0.1", p.https_port, timeout=5, context=ctx)
            else:
                conn = http.client.HTTPConnection("127.0.0.1", p.http_port, timeout=5)
            body = b"x" * 1024 if ld.method == "POST" else None
            conn.request(ld.method, ld.path, body=body, headers={"Host": host, **ld.headers})
            resp = conn.getresponse()
            body = resp.read()
            # The backend's answer, not the proxy's own (Caddy answers 200 for unknown hosts).
            status = resp.status if body.startswith(b"ok") else 1000 + resp.status
            conn.close()
        except OSError:
            status = 0
        if 200 <= status < 300 or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def measure(p: Proxy, sc: Scenario, secs: float, wd: Path) -> loadgen.Result:
    port = p.https_port if sc.load.scheme == "https" else p.http_port
    run = loadgen.run_h2load if sc.load.tool == "h2load" else loadgen.run_wrk
    return run(sc.load, port, secs, wd)


def round_rps(p: Proxy, sc: Scenario, cfg) -> dict:
    measure(p, sc, cfg.warmup, cfg.workdir)  # warm-up: pools, caches, TLS session state
    pids = p.pids()
    cpu0 = proc.cpu_seconds(pids)
    secs = cfg.duration if cfg.quick else max(cfg.duration, sc.min_seconds)
    res = measure(p, sc, secs, cfg.workdir)
    pids = p.pids()
    cpu = proc.cpu_seconds(pids) - cpu0
    out = {
        "rps": res.rps,
        "p50_ms": res.p50_ms,
        "p99_ms": res.p99_ms,
        "cpu_per_100k": cpu / res.requests * 100_000 if res.requests else None,
        "rss_mib": proc.rss_bytes(pids) / MIB,
        "errors": res.errors,
    }
    out["metric"] = res.rps * sc.load.body_bytes / MIB if sc.kind == "mibps" else res.rps
    return out


def round_idle(p: Proxy, sc: Scenario, cfg) -> dict:
    probe(p, sc)
    pids = p.pids()
    before = proc.rss_bytes(pids)
    got = loadgen.run_idle(p.http_port, MAIN_HOST, sc.idle_connections,
                           lambda: {"rss": proc.rss_bytes(p.pids())})  # fmt: skip
    per_conn = (got["rss"] - before) / max(1, got["opened"]) / 1024
    return {
        "rss_mib": got["rss"] / MIB,
        "metric": per_conn,
        "errors": got["failed"] + (got["opened"] - got["still_open"]),
        "note": f"{got['opened']} opened, {got['still_open']} still open",
    }


def round_churn(p: Proxy, sc: Scenario, cfg) -> dict:
    changes = sc.changes["quick" if cfg.quick else "full"]
    window = cfg.churn_seconds
    result: dict = {}

    def load():
        try:
            result["res"] = measure(p, sc, window + 2, cfg.workdir / f"churn-{p.label}")
        except Exception as e:  # reported below
            result["error"] = e

    (cfg.workdir / f"churn-{p.label}").mkdir(exist_ok=True)
    gen0 = p.site.generation
    pids0 = p.pids()
    cpu0 = proc.cpu_seconds(pids0)
    t = threading.Thread(target=load)
    t.start()
    time.sleep(1.0)
    start = time.monotonic()
    applied, reload_errors = 0, 0
    for k in range(1, changes + 1):
        if time.monotonic() - start > window:
            break
        try:
            p.reload(p.site.with_generation(gen0 + k))
            applied += 1
        except Exception:
            reload_errors += 1
        pause = start + k * window / changes - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    t.join()
    if "error" in result:
        raise result["error"]
    res = result["res"]
    last = p.site.generation
    live = probe(p, sc, host=f"c{last}.bench.test", timeout=10) == 200
    cpu = proc.cpu_seconds(p.pids()) - cpu0  # misses workers that exited (nginx, HAProxy)
    return {
        "rps": res.rps,
        "p50_ms": res.p50_ms,
        "p99_ms": res.p99_ms,
        "cpu_per_100k": cpu / res.requests * 100_000 if res.requests else None,
        "rss_mib": proc.rss_bytes(p.pids()) / MIB,
        "metric": res.rps,
        "errors": res.errors + reload_errors,
        "note": ", ".join(
            [f"{applied} changes in {window:.0f}s", f"last live: {'yes' if live else 'NO'}"]
            + [f"{k} errors {v}" for k, v in res.extra.items() if k != "bytes" and v]
        ),
    }


ROUND = {"rps": round_rps, "mibps": round_rps, "idle": round_idle, "churn": round_churn}
UNIT = {"rps": "req/s", "mibps": "MiB/s", "idle": "KiB/conn", "churn": "req/s"}


def run_scenario(sc: Scenario, cfg, missing: dict[str, str]) -> list[Row]:
    variants = sc.variants or [(name, name, sc.site) for name in cfg.proxies]
    variants = [v for v in variants if v[1] in cfg.proxies]
    rows = {label: Row(sc.name, label, unit=UNIT[sc.kind]) for label, _, _ in variants}
    tool = {"wrk": "wrk", "h2load": "h2load", "idle": None}[sc.load.tool]
    running: dict[str, Proxy] = {}
    for label, pname, site in variants:
        p = PROXIES[pname](ENV, label)
        p.dir = cfg.workdir / sc.name / label  # configs and logs, kept with --keep
        if not p.available():
            rows[label].status = missing.get(p.command, f"not available ({p.command} not found)")
            continue
        if tool and tool in missing:
            rows[label].status = f"not available ({tool} missing)"
            continue
        try:
            p.start(site)
            status = probe(p, sc)
            if not 200 <= status < 300:
                raise RuntimeError(f"probe answered {status % 1000}"
                                   + (" (not the backend's body)" if status > 1000 else ""))
            running[label] = p
        except Exception as e:
            rows[label].status = f"failed: {str(e)[:120]}"
            p.stop()
    try:
        for r in range(cfg.rounds):  # interleaved: every proxy once per round
            for label, p in running.items():
                if p.proc is not None and p.proc.poll() is not None:
                    continue  # died in an earlier round (named in the notes)
                print(f"  {sc.name} round {r + 1}/{cfg.rounds}: {label}", flush=True)
                try:
                    rows[label].rounds.append(ROUND[sc.kind](p, sc, cfg))
                except Exception as e:
                    rows[label].status = f"failed: {str(e)[:160]}"
                if p.proc is not None and p.proc.poll() is not None and rows[label].rounds:
                    rows[label].rounds[-1]["note"] = (
                        f"{label} EXITED during the round (status {p.proc.returncode})"
                    )
    finally:
        for p in running.values():
            p.stop()
    for row in rows.values():
        if row.rounds and row.status == "ok":
            for key in ("rps", "p50_ms", "p99_ms", "cpu_per_100k", "rss_mib", "metric"):
                vals = [x[key] for x in row.rounds if x.get(key) is not None]
                setattr(row, key, statistics.median(vals) if vals else None)
            row.errors = sum(x.get("errors", 0) for x in row.rounds)
            row.note = "; ".join(x["note"] for x in row.rounds if x.get("note"))
    base = rows.get(sc.baseline)
    for row in rows.values():
        if base and base.metric and row.metric is not None:
            row.ratio = row.metric / base.metric
    return list(rows.values())


# === output ===


def fmt(v, digits=0) -> str:
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


HEADER = ["scenario", "proxy", "result", "req/s", "p50 ms", "p99 ms", "CPU s/100k",
          "RSS MiB", "errors", "ratio"]  # fmt: skip


def table_rows(rows: list[Row]) -> list[list[str]]:
    out = []
    for r in rows:
        if r.status != "ok":
            out.append([r.scenario, r.label, r.status] + ["-"] * 7)
            continue
        digits = 1 if r.unit in ("KiB/conn", "MiB/s") else 0
        out.append([
            r.scenario, r.label, f"{fmt(r.metric, digits)} {r.unit}", fmt(r.rps),
            fmt(r.p50_ms, 2), fmt(r.p99_ms, 2), fmt(r.cpu_per_100k, 2), fmt(r.rss_mib, 1),
            str(r.errors), f"{r.ratio:.2f}" if r.ratio is not None else "-",
        ])  # fmt: skip
    return out


def print_table(rows: list[Row]) -> str:
    body = table_rows(rows)
    widths = [max(len(x[i]) for x in [HEADER] + body) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in [HEADER] + body]
    text = "\n".join(lines)
    print(text)
    return text


def plot(rows: list[Row], path: Path, title: str) -> bool:
    if not ensure_matplotlib():
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scen = []
    for r in rows:
        if r.scenario not in scen:
            scen.append(r.scenario)
    cols = 4
    nrows = (len(scen) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 3 * nrows), squeeze=False)
    colors = {"portico": "#2a7ab0", "nginx": "#4d9c3f", "haproxy": "#c6622b", "caddy": "#8a5fb0",
              "portico+filters": "#7fb6dc"}  # fmt: skip
    for ax, name in zip(axes.flat, scen):
        rs = [r for r in rows if r.scenario == name]
        labels = [r.label for r in rs]
        vals = [r.metric if r.status == "ok" and r.metric is not None else 0 for r in rs]
        bars = ax.bar(labels, vals, color=[colors.get(lbl, "#888888") for lbl in labels])
        for bar, r in zip(bars, rs):
            x = bar.get_x() + bar.get_width() / 2
            if r.status != "ok":
                ax.text(x, 0, "n/a", ha="center", va="bottom", fontsize=8)
            elif r.errors:  # churn above all: errors are the point there
                ax.text(x, bar.get_height(), f"{r.errors} err", ha="center", va="bottom",
                        fontsize=7, color="#b00020")  # fmt: skip
        unit = rs[0].unit
        better = "lower is better" if unit == "KiB/conn" else "higher is better"
        ax.set_title(f"{name} ({unit}, {better})", fontsize=9)
        ax.tick_params(axis="x", labelsize=8, rotation=20)
        ax.tick_params(axis="y", labelsize=8)
    for ax in list(axes.flat)[len(scen):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


def write_docs(rows: list[Row], cfg, mach: dict[str, str], docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = f"Portico vs nginx, HAProxy, Caddy ({'QUICK RUN: noise' if cfg.quick else when})"
    has_png = plot(rows, docs / "performance.png", title)
    md = ["# Performance", ""]
    if cfg.quick or cfg.note:
        md += [
            "> **These numbers are placeholders.** "
            + (cfg.note or "They come from a quick run (`bench/run --quick`: one short round "
               "per scenario), which is only good for checking that every scenario runs.")
            + " Do not quote them; they are replaced by the next full run (`bench/run`) "
            "on a quiet machine.",
            "",
        ]  # fmt: skip
    md += [
        f"Generated by `bench/run` on {when}: {cfg.rounds} interleaved round(s) per scenario, "
        f"{cfg.warmup:g} s warm-up + {cfg.duration:g} s measured each, median of rounds. "
        "How to run it, what each scenario measures and the settings every proxy gets: "
        "[bench/README.md](../bench/README.md).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    md += [f"| {k} | {v} |" for k, v in mach.items()]
    md += [
        "",
        "Load generator, backend and proxy share the machine (loopback); the backend is a "
        "small-response nginx (1 worker).",
        "",
        "## Results",
        "",
        "`result` is the scenario's main number: req/s, MiB/s of request bodies, or KiB of "
        "RSS per idle connection (lower is better). `ratio` divides it by nginx's "
        "(by plain Portico's for `filters`). CPU s/100k: user + system CPU seconds of the "
        "proxy's processes per 100,000 requests. RSS: sum over the proxy's processes "
        "after the measured run. errors: socket errors + non-2xx/3xx responses (wrk), "
        "failed + non-2xx (h2load), lost connections (idle).",
        "",
    ]
    body = table_rows(rows)
    md.append("| " + " | ".join(HEADER) + " |")
    md.append("|" + "---|" * len(HEADER))
    md += ["| " + " | ".join(line) + " |" for line in body]
    notes = [f"- {r.scenario} / {r.label}: {r.note}" for r in rows if r.note]
    if notes:
        md += ["", "Notes:", ""] + notes
    if has_png:
        md += ["", "![requests per second per scenario and proxy](performance.png)"]
    md += ["", "Scenarios:", ""]
    names = {r.scenario for r in rows}
    md += [f"- `{s.name}`: {s.what}" for s in SCENARIOS if s.name in names]
    (docs / "performance.md").write_text("\n".join(md) + "\n")
    print(f"wrote {docs / 'performance.md'}" + (" and performance.png" if has_png else ""))


# === main ===


ENV: Env


def main() -> int:
    global ENV
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="one short round per scenario")
    ap.add_argument("--only", help="comma-separated scenarios: " + ",".join(BY_NAME))
    ap.add_argument("--proxies", default="portico,nginx,haproxy,caddy")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--duration", type=float, help="measured seconds per round")
    ap.add_argument("--warmup", type=float)
    ap.add_argument("--portico-bin", type=Path, required=True)
    ap.add_argument("--docs-dir", type=Path, default=ROOT / "docs")
    ap.add_argument("--no-docs", action="store_true", help="print the table only")
    ap.add_argument("--note", help="a sentence for the top of performance.md")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    cfg = ap.parse_args()
    cfg.rounds = cfg.rounds or (1 if cfg.quick else 3)
    cfg.duration = cfg.duration or (3 if cfg.quick else 10)
    cfg.warmup = cfg.warmup if cfg.warmup is not None else (1 if cfg.quick else 2)
    cfg.churn_seconds = 5 if cfg.quick else 30
    cfg.proxies = [p.strip() for p in cfg.proxies.split(",") if p.strip()]
    unknown = [p for p in cfg.proxies if p not in PROXIES]
    names = cfg.only.split(",") if cfg.only else list(BY_NAME)
    unknown += [n for n in names if n not in BY_NAME]
    if unknown:
        ap.error(f"unknown: {', '.join(unknown)}")

    missing = ensure_tools()
    if "nginx" in missing or "wrk" in missing or "openssl" in missing:
        print("nginx (the backend), wrk and openssl are required:", missing, file=sys.stderr)
        return 1
    cfg.workdir = Path(tempfile.mkdtemp(prefix="portico-bench-"))
    cfg.workdir.chmod(0o755)  # nginx workers run as nobody: they read htpasswd and logs here
    cert, key, pem = make_certs(cfg.workdir)
    htpasswd = make_htpasswd(cfg.workdir) if "htpasswd" not in missing else cfg.workdir / "none"
    backend_port, backend = start_backend(cfg.workdir)
    ENV = Env(cfg.workdir, backend_port, cert, key, pem, htpasswd, os.cpu_count() or 1,
              cfg.portico_bin.resolve())  # fmt: skip
    mach = machine()
    print(f"work directory {cfg.workdir}; backend on 127.0.0.1:{backend_port}", flush=True)
    rows: list[Row] = []
    try:
        for name in names:
            sc = BY_NAME[name]
            print(f"{name}: {sc.what}", flush=True)
            rows += run_scenario(sc, cfg, missing)
    finally:
        proc.stop(backend)
        if not cfg.keep:
            shutil.rmtree(cfg.workdir, ignore_errors=True)
    print()
    print_table(rows)
    for r in rows:
        if r.note:
            print(f"  {r.scenario} / {r.label}: {r.note}")
    if not cfg.no_docs:
        write_docs(rows, cfg, mach, cfg.docs_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
