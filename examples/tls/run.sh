#!/usr/bin/env bash
# Runs Portico on this directory with a demo backend, no cluster needed:
#   portico echo   on 127.0.0.1:9002  (the Service's endpoint in ingress.yaml)
#   portico serve  on 127.0.0.1:8080 (HTTP), 127.0.0.1:8443 (HTTPS), 127.0.0.1:10254 (admin)
# Then:
#   curl -k --resolve nginxsvc:8443:127.0.0.1 https://nginxsvc:8443/      (200, via TLS)
#   curl -i -H 'Host: nginxsvc' http://127.0.0.1:8080/                    (308 to https://nginxsvc)
# Run ./make-secret.sh while it runs: new handshakes get the new certificate within a second.
exec "$(dirname "$0")/../run-example.sh" "$(dirname "$0")" 9002 nginxsvc "$@"
