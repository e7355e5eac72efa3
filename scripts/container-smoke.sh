#!/usr/bin/env bash
# What CI can test of the container image without a Docker engine: the runtime stage's files
# (package.json, production node_modules from a clean `npm ci --omit=dev`, dist/, schemas/,
# data/alerts/) in a fresh folder owned by root, the image's entry command
# `node dist/src/server.js` run as an unprivileged user (nobody) with the folder mounted
# read-only when the kernel lets us, then: /healthz 200, /readyz 200, the compiled replay job
# publishes one file, SIGTERM, exit 0 within 25 s. Prints what it does.
#
#   bash scripts/container-smoke.sh            (after `npm run build`; as root)
#   KAFKA_BROKERS=host:port bash scripts/container-smoke.sh   to use a running Kafka
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

say () { printf 'container-smoke: %s\n' "$*"; }
fail () { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root: it drops to the user nobody the way the image's USER does"
[ -f dist/src/server.js ] || { say "dist/ missing: npm run build"; npm run build; }
[ -f dist/scripts/replay.js ] || fail "dist/scripts/replay.js missing: the build must compile scripts/ (tsconfig.build.json)"

work="$(mktemp -d /tmp/fink-gateway-smoke.XXXXXX)"
server_pid=""
started_kafka=0
cleanup () {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  if [ "$started_kafka" = 1 ]; then say "stopping the local Kafka it started"; npm run --silent kafka -- stop || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- the image's runtime stage, file for file (see Dockerfile) ---------------------------------
app="$work/app"
mkdir -p "$app"
say "copying package.json, package-lock.json, dist/, schemas/, data/alerts/ to $app"
cp package.json package-lock.json "$app/"
cp -r dist schemas "$app/"
mkdir -p "$app/data" && cp -r data/alerts "$app/data/alerts"
find "$app/dist" -name '*.map' -delete
say "npm ci --omit=dev (production dependencies only, node-rdkafka built from source)"
started=$(date +%s)
# serial: node-rdkafka's gyp build of librdkafka breaks under make -j (config.h race); it takes minutes
(cd "$app" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
say "npm ci took $(( $(date +%s) - started )) s; node_modules: $(du -sh "$app/node_modules" | cut -f1)"
for dev in typescript tsx esbuild eslint c8; do
  [ ! -e "$app/node_modules/$dev" ] || fail "dev dependency $dev is in the production install"
done
chown -R 0:0 "$app" && chmod -R a+rX,go-w "$app" && chmod 755 "$work"

# --- Kafka -------------------------------------------------------------------------------------
brokers="${KAFKA_BROKERS:-}"
if [ -z "$brokers" ]; then
  brokers=127.0.0.1:9092
  if ! (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null; then
    say "no Kafka on $brokers: npm run kafka -- start"
    npm run --silent kafka -- start
    started_kafka=1
  fi
fi
say "Kafka: $brokers"

# --- run as the image does ---------------------------------------------------------------------
port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --no-new-privs)
run_env=(env -i PATH="$PATH" HOME=/nonexistent NODE_ENV=production UV_THREADPOOL_SIZE=64 PORT="$port" HOST=127.0.0.1
  KAFKA_BROKERS="$brokers" LOG_LEVEL=info SHUTDOWN_GRACE_SECONDS=20)

# A read-only view of the app folder (like readOnlyRootFilesystem) in a private mount namespace.
readonly_view=()
if unshare -m sh -c "mount --bind '$app' '$app' && mount -o remount,bind,ro '$app' '$app'" 2>/dev/null; then
  readonly_view=(unshare -m sh -c "mount --bind '$app' '$app' && mount -o remount,bind,ro '$app' '$app' && exec \"\$0\" \"\$@\"")
  say "the app folder is mounted read-only for the server"
else
  say "no mount namespace here: the app folder is root-owned and not writable by nobody instead"
fi

log="$work/server.log"
say "starting: node dist/src/server.js as $(getent passwd nobody | cut -d: -f1) on 127.0.0.1:$port"
(cd "$app" && exec "${readonly_view[@]}" "${as_nobody[@]}" "${run_env[@]}" node dist/src/server.js) >"$log" 2>&1 &
server_pid=$!

status () { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$1" || true; }
wait_for () {
  local path="$1" want="$2" seconds="$3" code=""
  for _ in $(seq 1 $((seconds * 5))); do
    code="$(status "$path")"
    [ "$code" = "$want" ] && { say "GET $path -> $code"; return 0; }
    kill -0 "$server_pid" 2>/dev/null || { cat "$log"; fail "the server exited while waiting for $path"; }
    sleep 0.2
  done
  cat "$log"; fail "GET $path answered ${code:-nothing}, wanted $want within ${seconds}s"
}
wait_for /healthz 200 30
wait_for /readyz 200 15
say "readiness: $(curl -s "http://127.0.0.1:$port/readyz")"
[ "$(status /docs/json)" = 200 ] || fail "/docs/json"
curl -s "http://127.0.0.1:$port/metrics" | grep -q '^fink_gateway_process_start_time_seconds ' || fail "/metrics has no process metrics"
say "GET /docs/json -> 200, /metrics has fink_gateway_ metrics"

# The compose replay job: the compiled script, same user, same read-only files.
topic="ftest_container_smoke_$$_$(date +%s)"
say "replay job: node dist/scripts/replay.js --topic $topic data/alerts/ZTF19acihgng.avro"
(cd "$app" && "${readonly_view[@]}" "${as_nobody[@]}" "${run_env[@]}" node dist/scripts/replay.js \
  --topic "$topic" --brokers "$brokers" data/alerts/ZTF19acihgng.avro) || fail "replay job"

# --- graceful shutdown -------------------------------------------------------------------------
say "SIGTERM"
started=$(date +%s)
kill -TERM "$server_pid"
code=0
for _ in $(seq 1 125); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if kill -0 "$server_pid" 2>/dev/null; then cat "$log"; fail "still running 25 s after SIGTERM"; fi
wait "$server_pid" || code=$?
server_pid=""
say "exit code $code after $(( $(date +%s) - started )) s"
grep -q '"msg":"shutdown complete"' "$log" || { cat "$log"; fail "no 'shutdown complete' in the log"; }
[ "$code" = 0 ] || { cat "$log"; fail "exit code $code"; }
if grep -v '^{' "$log" | grep -q .; then say "non-JSON output:"; grep -v '^{' "$log"; fi
say "OK: non-root, production dependencies only$([ ${#readonly_view[@]} -gt 0 ] && echo ', read-only app folder'), probes, replay, SIGTERM -> exit 0"
