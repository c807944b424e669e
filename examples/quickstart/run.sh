#!/usr/bin/env bash
# Runs Portico on this directory with a demo backend, no cluster needed:
#   portico echo   on 127.0.0.1:9001  (the Service's endpoint in hello.yaml)
#   portico serve  on 127.0.0.1:8080  (HTTP), 127.0.0.1:10254 (admin: /healthz /readyz /metrics)
# Then: curl -H 'Host: hello.localtest' http://127.0.0.1:8080/
# Edit hello.yaml while it runs: the change is live within a second, nothing restarts.
exec "$(dirname "$0")/../run-example.sh" "$(dirname "$0")" 9001 hello "$@"
