"""The scenario table. To add a scenario, add one `Scenario(...)` to SCENARIOS (see README.md)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from load import Load
from model import DOMAIN, MAIN_HOST, ORIGIN, PASSWORD, USER, Route, Site

MIB = 1 << 20


@dataclass
class Scenario:
    name: str
    what: str  # one line: what it measures
    site: Site
    load: Load
    # rps: requests/s | mibps: request-body throughput | idle: memory per idle connection |
    # churn: errors while the configuration changes under load
    kind: str = "rps"
    # (label, proxy, site) rows instead of one row per selected proxy; `baseline` is the label
    # the ratio column divides by.
    variants: list[tuple[str, str, Site]] | None = None
    baseline: str = "nginx"
    idle_connections: int = 10_000
    min_seconds: float = 0  # measured seconds at least this (full runs): few, long requests
    changes: dict = field(default_factory=lambda: {"quick": 100, "full": 1000})


def one(**route) -> Site:
    return Site([Route(host=MAIN_HOST, **route)])


def tls(**route) -> Site:
    return Site([Route(host=MAIN_HOST, **route)], tls=True)


AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
REGEX_PATHS = [f"/svc{i}/[a-z]+/[0-9]+" for i in range(50)]

SCENARIOS = [
    Scenario("http1", "HTTP/1.1 keep-alive, one route, small response", one(), Load()),
    Scenario(
        "http1-log",
        "as http1 with the access log on (to a file): the access-log pair",
        Site([Route(host=MAIN_HOST)], access_log=True),
        Load(),
    ),
    Scenario("https", "HTTPS keep-alive (TLS 1.3, RSA-2048)", tls(), Load(scheme="https")),
    Scenario(
        "tls-handshake",
        "a new TLS connection per request (Connection: close, full handshake)",
        tls(),
        Load(scheme="https", close=True, connections=32),
    ),
    Scenario(
        "h2",
        "HTTP/2 over TLS (h2load, 16 connections x 8 streams)",
        tls(),
        Load(tool="h2load", scheme="https", connections=16, streams=8),
    ),
    Scenario(
        "routes-10k",
        "10,000 hosts (one Ingress each) to one backend, requests spread at random",
        Site([Route(host=f"h{i}.{DOMAIN}") for i in range(10_000)]),
        Load(host=f"h0.{DOMAIN}", spread_hosts=10_000),
    ),
    Scenario(
        "regex-50",
        "use-regex host with 50 regex paths, the last one requested",
        one(paths=REGEX_PATHS, regex=True),
        Load(path="/svc49/items/12345"),
    ),
    Scenario(
        "basic-auth",
        "basic auth, bcrypt (htpasswd -B), right credentials on every request",
        one(basic_auth=True),
        Load(headers={"Authorization": AUTH}),
    ),
    Scenario(
        "body-1m",
        "POST 1 MiB bodies (16 connections), upstream reads and discards them",
        one(body_unlimited=True),
        Load(method="POST", path="/upload", body_bytes=MIB, connections=16),
        kind="mibps",
    ),
    Scenario(
        "body-100m",
        "POST 100 MiB bodies (4 connections), upstream reads and discards them",
        one(body_unlimited=True),
        Load(method="POST", path="/upload", body_bytes=100 * MIB, connections=4),
        kind="mibps",
        min_seconds=30,
    ),
    Scenario(
        "idle-10k",
        "10,000 idle keep-alive connections (one request each): memory per connection",
        one(),
        Load(tool="idle"),
        kind="idle",
    ),
    Scenario(
        "churn",
        "configuration changes under load (Portico: manifest files; nginx/HAProxy: reload; "
        "Caddy: /load): errors must be 0",
        one(),
        Load(),
        kind="churn",
    ),
    Scenario(
        "filters",
        "Portico: allow-list 127.0.0.0/8 + limit-rps 1000000 + CORS vs the same route without "
        "(Origin sent on both)",
        one(),
        Load(headers={"Origin": ORIGIN}),
        variants=[
            ("portico", "portico", one()),
            ("portico+filters", "portico", one(filters=True)),
        ],
        baseline="portico",
    ),
]

BY_NAME = {s.name: s for s in SCENARIOS}
