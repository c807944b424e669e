"""Load generators: wrk (HTTP/1.1), h2load (HTTP/2), and idle connections (asyncio).

Each returns a `Result`: requests done, seconds, latency percentiles, errors. wrk reports through
a Lua `done()` hook that prints one JSON line, so nothing depends on wrk's human-readable text.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Load:
    tool: str = "wrk"  # wrk | h2load | idle
    scheme: str = "http"
    host: str = "bench.test"
    path: str = "/"
    connections: int = 64
    headers: dict = field(default_factory=dict)
    method: str = "GET"
    body_bytes: int = 0
    close: bool = False  # Connection: close (a new connection, a new TLS handshake, per request)
    spread_hosts: int = 0  # requests spread over h0..h<N-1>.bench.test
    streams: int = 8  # h2load: concurrent streams per connection


@dataclass
class Result:
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


DONE_HOOK = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def lua_quote(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid Lua string literal for these values


def wrk_script(load: Load) -> str:
    headers = {"Host": load.host, **load.headers}
    if load.close:
        headers["Connection"] = "close"
    lines = [f"wrk.method = {lua_quote(load.method)}"]
    for k, v in headers.items():
        lines.append(f"wrk.headers[{lua_quote(k)}] = {lua_quote(v)}")
    if load.body_bytes:
        lines.append(f'wrk.body = string.rep("x", {load.body_bytes})')
    if load.spread_hosts:
        # Pre-formatted requests, one per host, picked at random: cheap for wrk itself.
        lines += [
            "local reqs = {}",
            "init = function(args)",
            f"  for i = 0, {load.spread_hosts - 1} do",
            '    wrk.headers["Host"] = "h" .. i .. ".bench.test"',
            f"    reqs[i + 1] = wrk.format(nil, {lua_quote(load.path)})",
            "  end",
            "end",
            f"request = function() return reqs[math.random({load.spread_hosts})] end",
        ]
    return "\n".join(lines) + "\n" + DONE_HOOK


def run_wrk(load: Load, port: int, seconds: float, workdir: Path) -> Result:
    script = workdir / "load.lua"
    script.write_text(wrk_script(load))
    url = f"{load.scheme}://127.0.0.1:{port}{load.path}"
    argv = ["wrk", "-t1", f"-c{load.connections}", f"-d{max(1, round(seconds))}s",
            "--latency", "--timeout", "30s", "-s", str(script), url]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    m = re.search(r"^BENCHJSON (.*)$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-500:]} {out.stderr[-500:]}")
    j = json.loads(m.group(1))
    errors = sum(j[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Result(
        requests=j["requests"],
        seconds=j["duration_us"] / 1e6,
        p50_ms=j["p50_us"] / 1000,
        p99_ms=j["p99_us"] / 1000,
        errors=errors,
        extra={k: j[k] for k in ("connect", "read", "write", "status", "timeout", "bytes")},
    )


def run_h2load(load: Load, port: int, seconds: float, workdir: Path) -> Result:
    log = workdir / "h2load.tsv"
    log.unlink(missing_ok=True)
    argv = ["h2load", "-t1", f"-c{load.connections}", f"-m{load.streams}",
            f"-D{max(1, round(seconds))}", f"--log-file={log}",
            f"--connect-to=127.0.0.1:{port}"]  # fmt: skip
    for k, v in load.headers.items():
        argv += ["-H", f"{k}: {v}"]
    argv.append(f"https://{load.host}:{port}{load.path}")
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    text = out.stdout
    (workdir / "h2load.out").write_text(text + out.stderr)
    fin = re.search(r"finished in ([\d.]+)(m?s)", text)
    req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                    r"(\d+) failed, (\d+) errored, (\d+) timeout", text)  # fmt: skip
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if out.returncode != 0 or not (fin and req and codes):
        raise RuntimeError(f"h2load failed ({out.returncode}): {text[-800:]} {out.stderr[-300:]}")
    secs = float(fin.group(1)) / (1000 if fin.group(2) == "ms" else 1)
    durations = []
    if log.exists():
        for line in log.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) >= 3:
                durations.append(int(parts[2]) / 1000)
    p50 = p99 = None
    if durations:
        q = statistics.quantiles(durations, n=100, method="inclusive")
        p50, p99 = q[49], q[98]
    ok_2xx = int(codes.group(1))
    done = int(req.group(3))
    return Result(
        requests=done,
        seconds=secs,
        p50_ms=p50,
        p99_ms=p99,
        # Streams cut at the end of -D can be counted in status codes but not in done.
        errors=max(0, done - ok_2xx - int(codes.group(2)))
        + int(req.group(5)) + int(req.group(6)) + int(req.group(7)),
    )


async def _idle(port: int, host: str, count: int, on_open, hold: float) -> dict:
    """Opens `count` keep-alive connections, one request each, then holds them idle."""
    sem = asyncio.Semaphore(200)
    conns = []
    failed = 0
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()

    async def one(i: int):
        nonlocal failed
        async with sem:
            try:
                # Many source addresses in 127.0.0.0/8: TIME_WAIT never exhausts ports.
                local = (f"127.0.{1 + i // 250 % 250}.{1 + i % 250}", 0)
                r, w = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port, local_addr=local), 10
                )
                w.write(request)
                head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 10)
                m = re.search(rb"content-length: *(\d+)", head, re.I)
                if m:
                    await asyncio.wait_for(r.readexactly(int(m.group(1))), 10)
                conns.append((r, w))
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                failed += 1

    await asyncio.gather(*(one(i) for i in range(count)))
    await asyncio.sleep(hold)
    measured = on_open()
    still_open = sum(1 for r, _ in conns if not r.at_eof())
    for _, w in conns:
        w.close()
    await asyncio.sleep(0.5)
    return {"opened": len(conns), "failed": failed, "still_open": still_open, **measured}


def run_idle(port: int, host: str, count: int, on_open, hold: float = 1.0) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 1000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 5000), hard))
    return asyncio.run(_idle(port, host, count, on_open, hold))
