#!/usr/bin/env bash
# Runs Portico on this directory with a demo backend, no cluster needed:
#   portico echo   on 127.0.0.1:9002  (the Service's endpoint in ingress.yaml)
#   portico serve  on 127.0.0.1:8080  (HTTP), 127.0.0.1:10254 (admin)
# Then:
#   curl -i -H 'Host: foo.localtest' http://127.0.0.1:8080/            → 401, realm in the challenge
#   curl -i -u foo:bar -H 'Host: foo.localtest' http://127.0.0.1:8080/ → 200
# Change the password while it runs (live within a second): ./make-secret.sh foo newpass
exec "$(dirname "$0")/../run-example.sh" "$(dirname "$0")" 9002 http-svc "$@"
