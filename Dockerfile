# profo in a container: Debian 12, the binary and every plugin, run as a
# non-root user. Build:  docker build -t profo .
# Run (SQLite in a volume, the panel on 8080):
#   docker run -p 8080:8080 -v profo-data:/var/lib/profo -e PROFO_SECRETS_KEY=<64 hex> profo
# Kubernetes: deploy/k8s; operating it: docs/operations.md.

FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN PROFO_BUILD_DIR=/build scripts/build.sh -DPROFO_BUILD_TESTS=OFF -DPROFO_BUILD_BENCH=OFF \
    -DCMAKE_INSTALL_PREFIX=/opt/profo \
 && cmake --install /build --component runtime --strip

FROM debian:12-slim
# The shared libraries the binary and the plugins link, nothing to build with.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates libsoci-core4.0 libsoci-sqlite3-4.0 libsoci-postgresql4.0 libyaml-cpp0.7 \
      libspdlog1.10 libfmt9 libssl3 libsqlite3-0 libpq5 libqrencode4 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/profo --create-home profo
COPY --from=build /opt/profo /opt/profo
USER profo
# config/profo.yaml as installed (/opt/profo/etc/profo/profo.yaml); its
# relative paths (data/profo.db, data/secret.key) land in this volume.
WORKDIR /var/lib/profo
VOLUME /var/lib/profo
ENV PROFO_HTTP_LISTEN=0.0.0.0:8080 PROFO_LOG_FORMAT=json
EXPOSE 8080
# SIGTERM (docker stop, a pod's termination) finishes the events in flight.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/profo/bin/profo"]
CMD ["serve"]
