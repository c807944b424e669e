#!/usr/bin/env bash
# Runs Portico on this directory with TLS passthrough, no cluster needed:
#   openssl s_server on 127.0.0.1:9443 (secure.localtest's backend, its own certificate)
#   portico echo     on 127.0.0.1:9004 (hello.localtest's backend)
#   portico serve    on 127.0.0.1:8080 (HTTP), 127.0.0.1:8443 (HTTPS), 127.0.0.1:10254 (admin),
#                    with --enable-ssl-passthrough
# Then:
#   openssl s_client -connect 127.0.0.1:8443 -servername secure.localtest </dev/null | grep subject
#       (subject=CN = secure.localtest: the backend's own certificate, passed through)
#   curl -k --resolve secure.localtest:8443:127.0.0.1 https://secure.localtest:8443/
#       (s_server's status page, served by the backend over the passed-through TLS)
#   curl -k --resolve hello.localtest:8443:127.0.0.1 https://hello.localtest:8443/
#       (terminated by Portico, answered by the echo backend)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
certs="$(mktemp -d)"
openssl req -x509 -sha256 -nodes -days 30 -newkey rsa:2048 -keyout "$certs/tls.key" \
  -out "$certs/tls.crt" -subj "/CN=secure.localtest" \
  -addext "subjectAltName=DNS:secure.localtest" 2>/dev/null
openssl s_server -quiet -accept 127.0.0.1:9443 -cert "$certs/tls.crt" -key "$certs/tls.key" -www &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$certs"' EXIT
"$here/../run-example.sh" "$here" 9004 hello --enable-ssl-passthrough "$@"
