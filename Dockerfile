# syntax=docker/dockerfile:1
# onconet: the registry's one binary, with the Debian PostgreSQL server binaries beside it so
# that the embedded mode (no DATABASE_URL) works in the container too. docker-compose.yml uses
# an external PostgreSQL instead. Not built by CI (no Docker engine on our machines).

FROM rust:1-bookworm AS builder
WORKDIR /src
# The whole workspace: migrations/ is embedded at compile time and tests/api is a declared
# target of crates/test_support. .dockerignore keeps target/ and .onconet/ out.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin onconet \
    && install -m 0755 target/release/onconet /usr/local/bin/onconet

FROM debian:bookworm-slim
# PostgreSQL without the package's default cluster (the way the official postgres image does it):
# onconet creates its own under the data dir.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-common; \
    sed -ri 's/#(create_main_cluster) .*$/\1 = false/' /etc/postgresql-common/createcluster.conf; \
    apt-get install -y --no-install-recommends postgresql; \
    rm -rf /var/lib/apt/lists/*; \
    useradd --system --create-home --home-dir /var/lib/onconet --shell /usr/sbin/nologin onconet
COPY --from=builder /usr/local/bin/onconet /usr/local/bin/onconet

# Not root: the embedded PostgreSQL then runs as this user, in /var/lib/onconet/{pg,run,log}.
USER onconet
WORKDIR /var/lib/onconet
ENV ONCONET_BIND=0.0.0.0:8080 \
    ONCONET_DATA_DIR=/var/lib/onconet
# The embedded cluster and the development signing key.
VOLUME ["/var/lib/onconet"]
EXPOSE 8080
# `onconet serve` exits cleanly on SIGTERM and stops the PostgreSQL it started. With the
# embedded cluster, `docker run --init` also reaps the postmaster once it has stopped.
ENTRYPOINT ["onconet"]
CMD ["serve"]
