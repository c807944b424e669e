"""What a scenario asks every proxy to serve, in proxy-neutral terms.

A `Site` is a list of `Route`s plus a few switches; each proxy adapter (`proxies.py`) renders it
into its own configuration. Keeping the description in one place is what makes the settings
equal: a feature is added here once and then rendered for every proxy (or the proxy is marked as
not supporting it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DOMAIN = "bench.test"
MAIN_HOST = DOMAIN
USER, PASSWORD = "bench", "bench"
ORIGIN = "https://origin.bench.test"


@dataclass
class Route:
    host: str
    # Prefix paths, or (regex=True) case-insensitive regexes anchored at the start, in order.
    paths: list[str] = field(default_factory=lambda: ["/"])
    regex: bool = False
    basic_auth: bool = False  # bcrypt user USER:PASSWORD (htpasswd -B)
    # allow-list 127.0.0.0/8 + a rate limit that never rejects + CORS (Portico only).
    filters: bool = False
    body_unlimited: bool = False  # no request-body size limit, request buffering off


@dataclass
class Site:
    routes: list[Route]
    tls: bool = False  # serve the routes' hosts over HTTPS too (self-signed RSA-2048)
    access_log: bool = False
    # Churn: each increment is one configuration change (an extra route c<N>.bench.test and a
    # changed setting on the main route); 0 = never changed.
    generation: int = 0

    def with_generation(self, generation: int) -> "Site":
        return Site(self.routes, self.tls, self.access_log, generation)

    def all_routes(self) -> list[Route]:
        if self.generation == 0:
            return self.routes
        return self.routes + [Route(host=f"c{self.generation}.{DOMAIN}")]
