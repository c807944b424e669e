#!/usr/bin/env bash
# Shared by examples/*/run.sh: builds Portico (release), makes the example's Secret when it has a
# make-secret.sh and no secret.yaml yet, then runs a demo backend and `portico serve` on the
# example directory until either stops or this script gets SIGINT/SIGTERM (both are stopped).
# Usage: run-example.sh DIR ECHO_PORT ECHO_NAME [portico serve flags...]
set -euo pipefail
here="$(cd "$1" && pwd)"
echo_port="$2"
echo_name="$3"
shift 3
root="$(cd "$(dirname "$0")/.." && pwd)"
# The binary cargo built, wherever CARGO_TARGET_DIR (or the config) puts it.
bin="$(cargo build --release --manifest-path "$root/Cargo.toml" --bin portico \
  --message-format=json-render-diagnostics |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)"
if [ ! -x "$bin" ]; then
  echo "run-example.sh: cargo did not report the portico binary" >&2
  exit 1
fi
if [ -x "$here/make-secret.sh" ] && [ ! -e "$here/secret.yaml" ]; then
  "$here/make-secret.sh"
fi
pids=()
stop() {
  if [ "${#pids[@]}" -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$bin" echo --listen "127.0.0.1:$echo_port" --name "$echo_name" &
pids+=($!)
"$bin" serve --manifests "$here" \
  --http-addr 127.0.0.1:8080 --https-addr 127.0.0.1:8443 --admin-addr 127.0.0.1:10254 "$@" &
pids+=($!)
wait -n "${pids[@]}"
