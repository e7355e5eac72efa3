# syntax=docker/dockerfile:1
# fink-gateway: build with the toolchain node-rdkafka needs, run with only what runs.
#   docker build -t fink-gateway .
#   docker run --read-only --tmpfs /tmp -p 8080:8080 -e KAFKA_BROKERS=host:9092 fink-gateway
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile librdkafka (node-rdkafka), TypeScript and the dashboard -------------------
FROM ${NODE_IMAGE} AS build
# node-rdkafka builds librdkafka from source: a C/C++ toolchain and python3 for node-gyp;
# OpenSSL and zlib headers for SASL/SCRAM, TLS and compression.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 libssl-dev zlib1g-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# serial on purpose: node-rdkafka's gyp build of librdkafka breaks under make -j
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
COPY schemas ./schemas
COPY data/alerts ./data/alerts
# dist/src (the server), dist/scripts (replay, for the compose replay job), dist/web (dashboard);
# then drop dev dependencies and librdkafka's build intermediates.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/node-rdkafka/build/Release/obj.target node_modules/node-rdkafka/build/deps/*.a \
    node_modules/node-rdkafka/deps/librdkafka \
 && find dist -name '*.map' -delete

# --- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# librdkafka links libssl3/libcrypto3 at run time; ca-certificates verifies brokers with sasl_ssl.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Owned by root and not writable by the service user: the app never writes to its own files.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schemas ./schemas
# The shipped alerts: the compose replay job runs from this same image.
COPY --from=build /app/data/alerts ./data/alerts

# UV_THREADPOOL_SIZE: every node-rdkafka consume/commit/metadata call runs on libuv's thread
# pool (4 threads by default), and a waiting consume call holds its thread up to 100 ms. With
# a few hundred sessions, 4 threads queue everything behind Kafka waits and starve DNS, zlib
# and file reads. 64 threads serve ~64 waiting sessions at once for a few MB of resident
# memory (thread stacks are mostly virtual); raise it with MAX_SESSIONS and watch
# fink_gateway_nodejs_eventloop_lag_seconds and request latency.
# MALLOC_*: librdkafka's fetch buffers are freed from many threads; with glibc's defaults the
# freed memory stays in per-thread arenas and RSS grows after a broker outage (+31 to +49 %
# with a flat JS heap, RELIABILITY.md). Two arenas and mmap for large blocks give it back.
ENV NODE_ENV=production \
    UV_THREADPOOL_SIZE=64 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    PORT=8080 \
    HOST=0.0.0.0

# A numeric non-root user (no entry in /etc/passwd needed), so Kubernetes runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8080
# Liveness only: /readyz (Kafka reachable) is for load balancers, not for restarting the container.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# node directly (not npm) so SIGTERM reaches the server and its graceful shutdown.
CMD ["node", "dist/src/server.js"]
