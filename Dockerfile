# syntax=docker/dockerfile:1
# The Portico image: a release build of the `portico` binary on a distroless runtime (glibc and CA
# certificates, no shell, no package manager), running as the non-root UID 65532.
#
#   docker build -t REGISTRY/portico:0.1.0 .
#
# See charts/portico/README.md ("Building the image") for pushing it and using it with the chart.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep the crates.io downloads and the build between builds; the binary is
# copied out in the same step because the target cache is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin portico \
    && cp target/release/portico /usr/local/bin/portico

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/portico /portico
USER 65532:65532
# Unprivileged ports, so no capability is needed: the HTTP and HTTPS listeners and the admin
# listener (/healthz, /readyz, /metrics). The chart maps Service ports 80/443 to 8080/8443.
EXPOSE 8080 8443 10254
ENTRYPOINT ["/portico"]
# `serve` alone would listen on 80/443 (ingress-nginx's defaults); the image listens where it
# EXPOSEs. The chart replaces these arguments with its own.
CMD ["serve", "--http-addr=0.0.0.0:8080", "--https-addr=0.0.0.0:8443"]
