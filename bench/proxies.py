"""One adapter per proxy: render a `Site` into its configuration, start, reload, stop.

Equal settings everywhere (see README.md, "Equal settings"): keep-alive to clients (75 s, no
practical request cap) and to the upstream (a pool of 320 idle connections, 60 s), workers or
threads = cores, TLS 1.2/1.3 with the same RSA-2048 certificate, HTTP/2 over TLS (ALPN),
X-Forwarded-* headers, response buffering off, access log off (or on, to a file, for the pair).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import proc
from model import DOMAIN, MAIN_HOST, Route, Site

KEEPALIVE_TIMEOUT = 75  # client side, seconds (ingress-nginx's keep-alive)
KEEPALIVE_REQUESTS = 1_000_000  # HAProxy and Caddy have no cap: none for the others either
UPSTREAM_POOL = 320  # ingress-nginx's upstream-keepalive-connections
UPSTREAM_IDLE = 60  # upstream-keepalive-timeout, seconds


@dataclass
class Env:
    """What every proxy shares in one run."""

    workdir: Path
    backend_port: int
    cert: Path
    key: Path
    pem: Path  # cert + key (HAProxy)
    htpasswd: Path  # bench:bench, bcrypt
    cores: int
    portico_bin: Path


class Proxy:
    name = "?"
    command = "?"  # must be on PATH (or exist) for the proxy to be available

    def __init__(self, env: Env, label: str | None = None):
        self.env = env
        self.label = label or self.name
        self.proc = None
        self.dir = env.workdir / self.label
        self.http_port = self.https_port = 0

    def available(self) -> bool:
        return shutil.which(self.command) is not None

    def start(self, site: Site) -> None:
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.http_port, self.https_port = proc.free_port(), proc.free_port()
        self.site = site
        self._start(site)
        proc.wait_port(self.http_port, self.proc)
        if site.tls:
            proc.wait_port(self.https_port, self.proc)

    def reload(self, site: Site) -> None:
        self.site = site
        self._reload(site)

    def stop(self) -> None:
        if self.proc is not None:
            proc.stop(self.proc)
            self.proc = None

    def pids(self) -> list[int]:
        return proc.descendants(self.proc.pid) if self.proc else []

    def log_path(self) -> Path:
        return self.dir / "access.log"

    def _start(self, site: Site) -> None:
        raise NotImplementedError

    def _reload(self, site: Site) -> None:
        raise NotImplementedError


def write_if_changed(path: Path, text: str) -> None:
    """Atomic replace (write + rename), as kubectl-style tooling does; untouched if equal."""
    if path.exists() and path.read_text() == text:
        return
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


# === Portico ===


class Portico(Proxy):
    """Standalone mode on a generated manifests directory; reloads are file changes."""

    name = "portico"

    @property
    def command(self) -> str:  # type: ignore[override]
        return str(self.env.portico_bin)

    def available(self) -> bool:
        return self.env.portico_bin.is_file()

    def _manifests(self, site: Site) -> dict[str, str]:
        e = self.env
        files = {
            "svc.yaml": (
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: up\n  namespace: default\n"
                "spec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n---\n"
                "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: up-1\n"
                "  namespace: default\n  labels:\n    kubernetes.io/service-name: up\n"
                f"addressType: IPv4\nports:\n- name: http\n  port: {e.backend_port}\n"
                "  protocol: TCP\nendpoints:\n- addresses: [\"127.0.0.1\"]\n"
                "  conditions:\n    ready: true\n"
            ),
            # Client keep-alive as for the other proxies (the default caps at 1000 requests).
            "configmap.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico-bench\n"
                f"  namespace: default\ndata:\n  keep-alive: \"{KEEPALIVE_TIMEOUT}\"\n"
                f"  keep-alive-requests: \"{KEEPALIVE_REQUESTS}\"\n"
                f"  upstream-keepalive-connections: \"{UPSTREAM_POOL}\"\n"
                f"  upstream-keepalive-timeout: \"{UPSTREAM_IDLE}\"\n"
            ),
        }
        if site.tls:
            files["tls.yaml"] = secret(
                "bench-tls",
                "kubernetes.io/tls",
                {"tls.crt": e.cert.read_text(), "tls.key": e.key.read_text()},
            )
        if any(r.basic_auth for r in site.routes):
            files["auth.yaml"] = secret("bench-auth", None, {"auth": e.htpasswd.read_text()})
        docs = [self._ingress(i, r, site) for i, r in enumerate(site.routes)]
        files["routes.yaml"] = "---\n".join(docs)
        if site.generation:
            files["churn.yaml"] = self._ingress(0, Route(host=f"c{site.generation}.{DOMAIN}"), site, "churn")
        return files

    def _ingress(self, i: int, r: Route, site: Site, name: str | None = None) -> str:
        ann = {}
        if r.regex:
            ann["use-regex"] = "true"
        if r.basic_auth:
            ann.update({"auth-type": "basic", "auth-secret": "bench-auth", "auth-realm": "bench"})
        if r.filters:
            ann.update(
                {
                    "allowlist-source-range": "127.0.0.0/8",
                    "limit-rps": "1000000",
                    "enable-cors": "true",
                }
            )
        if r.body_unlimited:
            ann["proxy-body-size"] = "0"
        if site.generation and r.host == MAIN_HOST:
            ann["proxy-read-timeout"] = str(60 + site.generation % 2)  # a change on the loaded route
        lines = ["apiVersion: networking.k8s.io/v1", "kind: Ingress", "metadata:"]
        lines += [f"  name: {name or f'r{i}'}", "  namespace: default"]
        if ann:
            lines.append("  annotations:")
            lines += [f"    nginx.ingress.kubernetes.io/{k}: {json.dumps(v)}" for k, v in ann.items()]
        lines += ["spec:", "  ingressClassName: portico"]
        if site.tls:
            lines += ["  tls:", "  - hosts:", f"    - {json.dumps(r.host)}", "    secretName: bench-tls"]
        lines += ["  rules:", f"  - host: {json.dumps(r.host)}", "    http:", "      paths:"]
        kind = "ImplementationSpecific" if r.regex else "Prefix"
        for p in r.paths:
            lines += [
                f"      - path: {json.dumps(p)}",
                f"        pathType: {kind}",
                "        backend:",
                "          service:",
                "            name: up",
                "            port:",
                "              number: 80",
            ]
        return "\n".join(lines) + "\n"

    def _write(self, site: Site) -> None:
        mdir = self.dir / "manifests"
        mdir.mkdir(exist_ok=True)
        files = self._manifests(site)
        for name, text in files.items():
            write_if_changed(mdir / name, text)
        for old in mdir.glob("*.yaml"):
            if old.name not in files:
                old.unlink()

    def _start(self, site: Site) -> None:
        self._write(site)
        self.admin_port = proc.free_port()
        argv = [
            str(self.env.portico_bin), "serve",
            "--manifests", str(self.dir / "manifests"),
            "--http-addr", f"127.0.0.1:{self.http_port}",
            "--https-addr", f"127.0.0.1:{self.https_port}",
            "--admin-addr", f"127.0.0.1:{self.admin_port}",
            "--configmap", "default/portico-bench",
        ]  # fmt: skip
        if site.tls:
            argv += ["--default-ssl-certificate", "default/bench-tls"]
        # No ConfigMap key turns Portico's access log off: it is the tracing target
        # portico::access, so the filter does (RUST_LOG). On: the lines go to a file, as for
        # the other proxies (stderr is redirected to access.log; other log lines land there too).
        log_filter = "info" if site.access_log else "info,portico::access=off"
        out = self.log_path() if site.access_log else self.dir / "portico.log"
        self.proc = proc.spawn(argv, out, env={"RUST_LOG": log_filter})
        proc.wait_port(self.admin_port, self.proc)
        deadline = time.monotonic() + 60
        while proc.http_status(f"http://127.0.0.1:{self.admin_port}/readyz") != 200:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"portico not ready (see {out})")
            time.sleep(0.1)

    def _reload(self, site: Site) -> None:
        self._write(site)


def secret(name: str, type_: str | None, data: dict[str, str]) -> str:
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}", "  namespace: default"]
    if type_:
        lines.append(f"type: {type_}")
    lines.append("data:")
    lines += [f"  {k}: {base64.b64encode(v.encode()).decode()}" for k, v in data.items()]
    return "\n".join(lines) + "\n"


# === nginx ===


class Nginx(Proxy):
    """nginx as ingress-nginx configures it (the parts that matter here); reload = SIGHUP."""

    name = "nginx"
    command = "nginx"

    def _conf(self, site: Site) -> str:
        e = self.env
        log = f"access_log {self.log_path()};" if site.access_log else "access_log off;"
        out = [
            f"worker_processes {e.cores};",
            "worker_rlimit_nofile 20000;",
            f"pid {self.dir}/nginx.pid;",
            f"error_log {self.dir}/error.log warn;",
            "events { worker_connections 19000; }",
            "http {",
            f"  {log}",
            f"  client_body_temp_path {self.dir}/body; proxy_temp_path {self.dir}/proxy;",
            f"  fastcgi_temp_path {self.dir}/fcgi; uwsgi_temp_path {self.dir}/uwsgi;",
            f"  scgi_temp_path {self.dir}/scgi;",
            f"  keepalive_timeout {KEEPALIVE_TIMEOUT}s; keepalive_requests {KEEPALIVE_REQUESTS};",
            "  server_names_hash_max_size 65536; server_names_hash_bucket_size 128;",
            "  ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:SSL:10m;",
            "  ssl_session_tickets off;",
            f"  ssl_certificate {e.cert}; ssl_certificate_key {e.key};",
            "  proxy_http_version 1.1; proxy_buffering off;",
            '  proxy_set_header Connection ""; proxy_set_header Host $host;',
            "  proxy_set_header X-Real-IP $remote_addr;",
            "  proxy_set_header X-Forwarded-For $remote_addr;",
            "  proxy_set_header X-Forwarded-Host $host;",
            "  proxy_set_header X-Forwarded-Proto $scheme;",
            "  proxy_set_header X-Request-ID $request_id;",
            "  upstream up {",
            f"    server 127.0.0.1:{e.backend_port};",
            f"    keepalive {UPSTREAM_POOL}; keepalive_timeout {UPSTREAM_IDLE}s;",
            "    keepalive_requests 10000;",
            "  }",
            "  server {",
            f"    listen 127.0.0.1:{self.http_port} default_server;",
            f"    listen 127.0.0.1:{self.https_port} ssl http2 default_server;",
            "    server_name _; return 404;",
            "  }",
        ]
        for r in site.all_routes():
            out += ["  server {", f"    listen 127.0.0.1:{self.http_port};"]
            if site.tls:
                out.append(f"    listen 127.0.0.1:{self.https_port} ssl http2;")
            out.append(f"    server_name {r.host};")
            if site.generation and r.host == MAIN_HOST:
                out.append(f"    proxy_read_timeout {60 + site.generation % 2}s;")
            for p in r.paths:
                loc = f'location ~* "^{p}"' if r.regex else f"location {p}"
                body = ["proxy_pass http://up;"]
                if r.basic_auth:
                    body.append(f'auth_basic "bench"; auth_basic_user_file {e.htpasswd};')
                if r.body_unlimited:
                    body.append("client_max_body_size 0; proxy_request_buffering off;")
                out.append(f"    {loc} {{ {' '.join(body)} }}")
            out.append("  }")
        out.append("}")
        return "\n".join(out) + "\n"

    def _start(self, site: Site) -> None:
        conf = self.dir / "nginx.conf"
        conf.write_text(self._conf(site))
        argv = ["nginx", "-p", str(self.dir), "-c", str(conf), "-g", "daemon off;"]
        self.proc = proc.spawn(argv, self.dir / "stdout.log")

    def _reload(self, site: Site) -> None:
        write_if_changed(self.dir / "nginx.conf", self._conf(site))  # a reload in progress
        os.kill(self.proc.pid, signal.SIGHUP)  # nginx -s reload


# === HAProxy ===


class HAProxy(Proxy):
    """Master-worker mode (reload = SIGUSR2 to the master), one worker with `cores` threads."""

    name = "haproxy"
    command = "haproxy"

    def _conf(self, site: Site) -> str:
        e = self.env
        glob = [
            "global",
            f"  nbthread {e.cores}",
            # HAProxy wants 2 x maxconn descriptors, more than a 20000 hard limit gives:
            # no strict-limits lets it run (with a warning) with maxconn above 10,000 idle clients.
            "  maxconn 12000",
            "  no strict-limits",
            "  ssl-default-bind-options ssl-min-ver TLSv1.2",
            "  tune.ssl.default-dh-param 2048",
        ]
        if site.access_log:
            glob.append("  log stdout format raw local0")  # stdout is access.log
        out = glob + [
            "defaults",
            "  mode http",
            *(["  log global", "  option httplog"] if site.access_log else []),
            "  timeout connect 5s",
            f"  timeout client {KEEPALIVE_TIMEOUT}s",
            "  timeout server 60s",
            f"  timeout http-keep-alive {KEEPALIVE_TIMEOUT}s",
            "  timeout http-request 60s",
            "  option http-keep-alive",
            "  option forwardfor",
            "  http-reuse safe",
            "  maxconn 12000",
            "userlist users",
            f"  user bench password {e.htpasswd.read_text().strip().split(':', 1)[1]}",
            "frontend fe",
            f"  bind 127.0.0.1:{self.http_port}",
        ]
        if site.tls:
            out.append(f"  bind 127.0.0.1:{self.https_port} ssl crt {e.pem} alpn h2,http/1.1")
        out += [
            "  http-request set-header X-Forwarded-Proto https if { ssl_fc }",
            "  http-request set-header X-Forwarded-Proto http if !{ ssl_fc }",
            "  http-request set-header X-Request-ID %[uuid]",
            "  http-request set-var(txn.host) req.hdr(host),field(1,:),lower",
        ]
        mapped = []
        for r in site.all_routes():
            be = "be_auth" if r.basic_auth else "be_up"
            if r.regex:
                for p in r.paths:
                    out.append(f"  use_backend {be} if {{ var(txn.host) -m str {r.host} }} {{ path_reg -i ^{p} }}")
            else:
                mapped.append(f"{r.host} {be}")
        write_if_changed(self.dir / "hosts.map", "\n".join(mapped) + "\n")
        out += [
            f"  use_backend %[var(txn.host),map_str({self.dir}/hosts.map,be_404)]",
            "backend be_up",
            f"  server up 127.0.0.1:{e.backend_port} pool-max-conn {UPSTREAM_POOL} pool-purge-delay {UPSTREAM_IDLE}s",
            "backend be_auth",
            '  http-request auth realm bench unless { http_auth(users) }',
            f"  server up 127.0.0.1:{e.backend_port} pool-max-conn {UPSTREAM_POOL} pool-purge-delay {UPSTREAM_IDLE}s",
            "backend be_404",
            "  http-request return status 404",
        ]
        if site.generation:
            out.insert(out.index("backend be_up"), f"  # generation {site.generation}")
            out.insert(out.index("backend be_auth"), f"  timeout server {60 + site.generation % 2}s")
        return "\n".join(out) + "\n"

    def _start(self, site: Site) -> None:
        conf = self.dir / "haproxy.cfg"
        conf.write_text(self._conf(site))
        out = self.log_path() if site.access_log else self.dir / "stdout.log"
        self.proc = proc.spawn(["haproxy", "-W", "-db", "-f", str(conf)], out)

    def _reload(self, site: Site) -> None:
        write_if_changed(self.dir / "haproxy.cfg", self._conf(site))  # never half-written
        os.kill(self.proc.pid, signal.SIGUSR2)


# === Caddy ===


class Caddy(Proxy):
    """Caddyfile; reload = POST /load to the admin endpoint (what `caddy reload` does)."""

    name = "caddy"
    command = "caddy"

    def _conf(self, site: Site) -> str:
        e = self.env
        out = [
            "{",
            f"  admin 127.0.0.1:{self.admin_port}",
            "  auto_https off",
            f"  default_sni {MAIN_HOST}",
            "  servers {\n    protocols h1 h2\n  }",
            "  log {\n    level ERROR\n  }",
            "}",
        ]
        upstream = (
            f"reverse_proxy 127.0.0.1:{e.backend_port} {{\n"
            f"    header_up X-Request-ID {{http.request.uuid}}\n"
            "    flush_interval -1\n"
            f"    transport http {{\n      keepalive {UPSTREAM_IDLE}s\n"
            f"      keepalive_idle_conns {UPSTREAM_POOL}\n"
            f"      keepalive_idle_conns_per_host {UPSTREAM_POOL}\n    }}\n  }}"
        )
        hashed = e.htpasswd.read_text().strip().split(":", 1)[1]
        hashed_b64 = base64.b64encode(hashed.encode()).decode()

        def body(r: Route) -> list[str]:
            lines = ["  bind 127.0.0.1"]
            if site.access_log:
                lines.append(f"  log {{\n    output file {self.log_path()}\n    format json\n  }}")
            if r.basic_auth:
                lines.append(f"  basicauth {{\n    bench {hashed_b64}\n  }}")
            if r.regex:
                for i, p in enumerate(r.paths):
                    lines.append(f"  @p{i} path_regexp (?i)^{p}")
                    lines.append(f"  handle @p{i} {{\n  {upstream}\n  }}")
            else:
                lines.append(f"  {upstream}")
            if site.generation and r.host == MAIN_HOST:
                lines.append(f"  # generation {site.generation}")
            return lines

        # Routes with the same body share one site block (10,000 hosts: one block, one matcher).
        groups: dict[str, list[str]] = {}
        for r in site.all_routes():
            key = "\n".join(body(r))
            groups.setdefault(key, []).append(r.host)
        for key, hosts in groups.items():
            # HTTP and HTTPS addresses in separate blocks: a block with `tls` is HTTPS only.
            out.append(", ".join(f"http://{h}:{self.http_port}" for h in hosts) + " {")
            out += [key, "}"]
            if site.tls:
                out.append(", ".join(f"https://{h}:{self.https_port}" for h in hosts) + " {")
                out += [f"  tls {e.cert} {e.key}", key, "}"]
        return "\n".join(out) + "\n"

    def _start(self, site: Site) -> None:
        self.admin_port = proc.free_port()
        conf = self.dir / "Caddyfile"
        conf.write_text(self._conf(site))
        env = {
            "HOME": str(self.dir),
            "XDG_DATA_HOME": str(self.dir / "data"),
            "XDG_CONFIG_HOME": str(self.dir / "config"),
        }
        argv = ["caddy", "run", "--config", str(conf), "--adapter", "caddyfile"]
        self.proc = proc.spawn(argv, self.dir / "stdout.log", env=env)

    def _reload(self, site: Site) -> None:
        conf = self._conf(site)
        write_if_changed(self.dir / "Caddyfile", conf)
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.admin_port}/load",
            data=conf.encode(),
            headers={"Content-Type": "text/caddyfile"},
            method="POST",
        )
        urllib.request.urlopen(req, timeout=30).read()


PROXIES = {p.name: p for p in (Portico, Nginx, HAProxy, Caddy)}
