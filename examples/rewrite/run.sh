#!/usr/bin/env bash
# Runs Portico on this directory with a demo backend, no cluster needed:
#   portico echo   on 127.0.0.1:9002  (the Service's endpoint in backend.yaml)
#   portico serve  on 127.0.0.1:8080  (HTTP), 127.0.0.1:10254 (admin)
# Then try the commands listed in examples/README.md ("rewrite").
exec "$(dirname "$0")/../run-example.sh" "$(dirname "$0")" 9002 http-svc "$@"
