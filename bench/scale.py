#!/usr/bin/env python3
"""Config scale: how Portico starts, how much memory it holds and how fast one change goes live
with N Ingresses x P paths in standalone mode (issue 12's config-scale targets).

Run through `bench/scale` (which builds the release binary). Loopback only, free ports only.
What it does:

1. Generates a manifests directory: N Ingresses (`r<i>.scale.test`, paths `/p0`..`/p<P-1>`),
   `--per-file` of them per file, over S Services with one EndpointSlice each (127.0.0.1, the
   port of a `portico echo` backend this script starts).
2. Starts `portico serve --manifests DIR` and measures the time from spawn to the first 200
   through a route, and to `/readyz` on the admin port; then RSS once loaded.
3. Applies K single-Ingress changes: each rewrites one file (`zz-change.yaml`, written to a
   hidden temporary file and renamed into place) holding Ingress `churn` with a new host, and
   measures the time until that host answers 200 through the proxy. Meanwhile a light load (a
   keep-alive client loop on an existing route) counts every request that does not get a 200.
4. Prints a table (and the server-side rebuild times Portico logs).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import proc

DOMAIN = "scale.test"


# === manifests ===


def service_docs(services: int, backend_port: int) -> str:
    docs = []
    for s in range(services):
        docs.append(
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: s{s}\n  namespace: default\n"
            "spec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n"
        )
        docs.append(
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n"
            f"  name: s{s}-1\n  namespace: default\n  labels:\n"
            f"    kubernetes.io/service-name: s{s}\naddressType: IPv4\n"
            f"ports:\n- name: http\n  port: {backend_port}\n  protocol: TCP\n"
            'endpoints:\n- addresses: ["127.0.0.1"]\n  conditions:\n    ready: true\n'
        )
    return "---\n".join(docs)


def ingress_doc(name: str, host: str, paths: int, service: str) -> str:
    lines = [
        "apiVersion: networking.k8s.io/v1",
        "kind: Ingress",
        "metadata:",
        f"  name: {name}",
        "  namespace: default",
        "spec:",
        "  ingressClassName: portico",
        "  rules:",
        f"  - host: {host}",
        "    http:",
        "      paths:",
    ]
    for p in range(paths):
        lines += [
            f"      - path: /p{p}",
            "        pathType: Prefix",
            "        backend:",
            "          service:",
            f"            name: {service}",
            "            port:",
            "              number: 80",
        ]
    return "\n".join(lines) + "\n"


def write_manifests(mdir: Path, args: argparse.Namespace, backend_port: int) -> None:
    mdir.mkdir(parents=True, exist_ok=True)
    (mdir / "services.yaml").write_text(service_docs(args.services, backend_port))
    for start in range(0, args.ingresses, args.per_file):
        end = min(start + args.per_file, args.ingresses)
        docs = [
            ingress_doc(f"r{i}", f"r{i}.{DOMAIN}", args.paths, f"s{i % args.services}")
            for i in range(start, end)
        ]
        (mdir / f"ingresses-{start:07d}.yaml").write_text("---\n".join(docs))


def write_atomically(path: Path, text: str) -> None:
    """Hidden temporary file (the loader skips hidden files), then a rename: one event."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.rename(tmp, path)


# === HTTP ===


class Client:
    """One keep-alive connection to the proxy, reconnecting on failure."""

    def __init__(self, port: int, timeout: float = 2.0):
        self.port, self.timeout, self.conn = port, timeout, None

    def get(self, host: str, path: str) -> int:
        """The status, or 0 when the request failed (connection refused, reset, timeout)."""
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                self.conn.request("GET", path, headers={"Host": host})
                resp = self.conn.getresponse()
                resp.read()
                if resp.getheader("connection", "").lower() == "close":
                    self.close()
                return resp.status
            except (OSError, http.client.HTTPException):
                self.close()
                # A keep-alive connection the server closed while idle: retry once, fresh.
                if attempt == 1:
                    return 0
        return 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Load(threading.Thread):
    """A light load on an existing route while changes land: every non-200 is a failure."""

    def __init__(self, port: int, host: str, path: str, rate: float):
        super().__init__(daemon=True)
        self.client, self.host, self.path = Client(port), host, path
        self.interval = 1.0 / rate
        self.stop_flag = threading.Event()
        self.ok = self.failed = 0
        self.failures: list[int] = []

    def run(self) -> None:
        while not self.stop_flag.is_set():
            status = self.client.get(self.host, self.path)
            if status == 200:
                self.ok += 1
            else:
                self.failed += 1
                self.failures.append(status)
            time.sleep(self.interval)
        self.client.close()


# === measurements ===


def start_portico(args, mdir: Path, workdir: Path):
    http_port, https_port, admin_port = proc.free_port(), proc.free_port(), proc.free_port()
    argv = [
        str(args.portico_bin), "serve", "--manifests", str(mdir),
        "--http-addr", f"127.0.0.1:{http_port}",
        "--https-addr", f"127.0.0.1:{https_port}",
        "--admin-addr", f"127.0.0.1:{admin_port}",
    ]  # fmt: skip
    log = workdir / "portico.log"
    started = time.monotonic()
    p = proc.spawn(argv, log, env={"RUST_LOG": "info,portico::access=off", "NO_COLOR": "1"})
    route = Client(http_port, timeout=1.0)
    admin = Client(admin_port, timeout=1.0)
    first_200 = ready = None
    deadline = started + args.start_timeout
    while first_200 is None or ready is None:
        if p.poll() is not None:
            sys.exit(f"portico exited with {p.returncode} (see {log})")
        if time.monotonic() > deadline:
            sys.exit(f"portico not serving after {args.start_timeout}s (see {log})")
        if first_200 is None and route.get(f"r0.{DOMAIN}", "/p0") == 200:
            first_200 = time.monotonic() - started
        if ready is None and admin.get("admin", "/readyz") == 200:
            ready = time.monotonic() - started
        time.sleep(0.005)
    route.close()
    admin.close()
    return p, http_port, first_200, ready, log


def rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def changes(args, mdir: Path, http_port: int) -> list[float]:
    """Seconds from each change's rename to the first 200 on its new host."""
    client = Client(http_port, timeout=1.0)
    path = mdir / "zz-change.yaml"
    latencies = []
    for k in range(1, args.changes + 1):
        host = f"c{k}.{DOMAIN}"
        text = ingress_doc("churn", host, 1, "s0").replace("/p0", "/")
        t0 = time.monotonic()
        write_atomically(path, text)
        deadline = t0 + args.change_timeout
        while client.get(host, "/") != 200:
            if time.monotonic() > deadline:
                sys.exit(f"change {k} not live after {args.change_timeout}s")
            time.sleep(0.001)
        latencies.append(time.monotonic() - t0)
        time.sleep(args.pause)  # let the debounce window close before the next change
    client.close()
    return latencies


def rebuild_times(log: Path) -> list[float]:
    """`elapsed_ms` of every "routing table live" line Portico logged."""
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if "routing table live" in line:
            m = re.search(r"elapsed_ms[=:]\s*(\d+)", line)
            if m:
                out.append(float(m.group(1)))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--portico-bin", type=Path, required=True)
    ap.add_argument("--ingresses", type=int, default=10_000)
    ap.add_argument("--paths", type=int, default=2, help="paths per Ingress")
    ap.add_argument("--services", type=int, default=0, help="default: one per 10 Ingresses")
    ap.add_argument("--per-file", type=int, default=1000, help="Ingresses per manifest file")
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--pause", type=float, default=0.1, help="seconds between changes")
    ap.add_argument("--load-rate", type=float, default=200.0, help="requests/s of the load")
    ap.add_argument("--start-timeout", type=float, default=120.0)
    ap.add_argument("--change-timeout", type=float, default=30.0)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    args.services = args.services or max(1, args.ingresses // 10)

    workdir = Path(tempfile.mkdtemp(prefix="portico-scale-"))
    backend_port = proc.free_port()
    backend = proc.spawn(
        [str(args.portico_bin), "echo", "--listen", f"127.0.0.1:{backend_port}"], workdir / "echo.log"
    )
    proc.wait_port(backend_port, backend)
    mdir = workdir / "manifests"
    t = time.monotonic()
    write_manifests(mdir, args, backend_port)
    size = sum(f.stat().st_size for f in mdir.iterdir()) / 2**20
    print(f"generated {args.ingresses} Ingresses x {args.paths} paths, {args.services} Services "
          f"({size:.0f} MiB) in {time.monotonic() - t:.1f}s: {workdir}", flush=True)  # fmt: skip

    p, http_port, first_200, ready, log = start_portico(args, mdir, workdir)
    time.sleep(0.5)
    rss_loaded, _ = rss_mib(p.pid)
    load = Load(http_port, f"r0.{DOMAIN}", "/p0", args.load_rate)
    load.start()
    latencies = changes(args, mdir, http_port)
    time.sleep(0.2)
    load.stop_flag.set()
    load.join()
    rss_after, hwm = rss_mib(p.pid)
    rebuilds = rebuild_times(log)
    proc.stop(p)
    proc.stop(backend)

    ms = [x * 1000 for x in latencies]
    rows = [
        ("Ingresses x paths", f"{args.ingresses} x {args.paths}"),
        ("start to first 200", f"{first_200:.2f} s"),
        ("start to /readyz", f"{ready:.2f} s"),
        ("RSS loaded", f"{rss_loaded:.0f} MiB"),
        ("RSS after changes (peak)", f"{rss_after:.0f} MiB ({hwm:.0f} MiB)"),
        ("change live p50 / p90", f"{statistics.median(ms):.0f} / {percentile(ms, 0.9):.0f} ms"),
        ("change live min / max", f"{min(ms):.0f} / {max(ms):.0f} ms"),
        ("changes", f"{len(ms)}"),
        ("load requests ok / failed", f"{load.ok} / {load.failed}"),
    ]
    if len(rebuilds) > 1:
        changed = rebuilds[1:]
        rows.append(("first build (logged)", f"{rebuilds[0]:.0f} ms"))
        rows.append(("rebuild p50 (logged)", f"{statistics.median(changed):.0f} ms"))
    width = max(len(r[0]) for r in rows)
    print()
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")
    if load.failures:
        print(f"failed statuses: {sorted(set(load.failures))}")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
