#!/usr/bin/env bash
# Makes sure the services Tollgate needs are up: PostgreSQL (5432), Redis (6379), Kafka (9092).
# Used by `npm start`, `npm test` and .ci/run.
#   infra/stack.sh up      install npm deps if needed, then ensure each service:
#                            1. an endpoint from env (DATABASE_URL, REDIS_URL, KAFKA_BROKERS) must answer;
#                            2. else a service already listening on the default local port is used;
#                            3. else it is started (Kafka from its Maven jars, Postgres/Redis from system binaries).
#   infra/stack.sh up --test-tools   the same, plus tools the integration tests drive (nginx and
#                            Caddy, which edge-auth's forward-auth tests put in front of it, chromium
#                            for admin-api's console browser tests, redis-server/redis-cli for the private
#                            Redis Clusters of the rate-limit tests), installed with apt-get when missing and root
#   infra/stack.sh up --bench-tools  the same, plus wrk for `npm run bench` (apt-get when missing and root)
#   infra/stack.sh down    stop what this script starts on demand (the local Kafka broker)
#   infra/stack.sh status  print what answers where
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() {
  local name=$1 host=$2 port=$3 seconds=${4:-30}
  for _ in $(seq 1 $((seconds * 2))); do
    port_open "$host" "$port" && return 0
    sleep 0.5
  done
  die "$name did not start listening on $host:$port within ${seconds}s"
}

# host and port of the first endpoint in a URL or host:port list
endpoint_host() { local e=${1%%,*}; e=${e#*://}; e=${e#*@}; e=${e%%/*}; echo "${e%%:*}"; }
endpoint_port() { local e=${1%%,*}; e=${e#*://}; e=${e#*@}; e=${e%%/*}; e=${e%%\?*}; [ "${e##*:}" != "$e" ] && echo "${e##*:}" || echo "$2"; }

ensure_node_modules() {
  command -v node >/dev/null 2>&1 || die "Node.js 20+ is required."
  if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund
  fi
}

ensure_from_env_or_local() {
  # $1 name, $2 env value, $3 default port, $4 start function
  local name=$1 value=$2 default_port=$3 starter=$4
  if [ -n "$value" ]; then
    local host port
    host="$(endpoint_host "$value")"
    port="$(endpoint_port "$value" "$default_port")"
    port_open "$host" "$port" || die "$name from the environment is not reachable at $host:$port"
    log "$name: using $host:$port (from environment)"
    return 0
  fi
  if port_open 127.0.0.1 "$default_port"; then
    log "$name: using 127.0.0.1:$default_port (already running)"
    return 0
  fi
  "$starter"
}

start_postgres() {
  log "postgres: not running; starting it from the system installation"
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    local version
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || die "pg_ctlcluster could not start PostgreSQL $version"
  else
    die "PostgreSQL is not running on 127.0.0.1:5432 and no system installation was found (install postgresql, or set DATABASE_URL)."
  fi
  wait_port postgres 127.0.0.1 5432 30
  if command -v psql >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1 \
      || psql -h 127.0.0.1 -U postgres -c 'create database test' >/dev/null \
      || log "postgres: could not create database 'test'; set DATABASE_URL to an existing database"
  fi
}

start_redis() {
  log "redis: not running; starting redis-server"
  command -v redis-server >/dev/null 2>&1 || die "Redis is not running on 127.0.0.1:6379 and redis-server is not installed (install redis-server, or set REDIS_URL)."
  local dir="$repo/.local/redis"
  mkdir -p "$dir"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log"
  wait_port redis 127.0.0.1 6379 15
}

start_kafka() {
  bash "$repo/infra/kafka/kafka.sh" start
}

# edge-auth's forward-auth test puts Debian's nginx (auth_request module) in front of it.
ensure_nginx() {
  if command -v nginx >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing nginx-light (apt-get) for the auth_request integration test"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; } >/dev/null \
      || die "could not install nginx-light with apt-get"
    # Installed for tests only: the package's own service is not wanted.
    command -v service >/dev/null 2>&1 && service nginx stop >/dev/null 2>&1 || true
    return 0
  fi
  die "nginx (with the auth_request module, e.g. Debian's nginx-light) is required by the tests; install it"
}

# edge-auth's forward-auth tests also run the shipped Caddyfile (forward_auth) with Debian's caddy.
ensure_caddy() {
  if command -v caddy >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing caddy (apt-get) for the forward_auth integration test"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy; } >/dev/null \
      || die "could not install caddy with apt-get"
    # Installed for tests only: the package's own service (on port 80) is not wanted.
    command -v service >/dev/null 2>&1 && service caddy stop >/dev/null 2>&1 || true
    return 0
  fi
  die "caddy (2.6 or later, e.g. Debian's caddy package) is required by the tests; install it"
}

# The rate-limit tests start private Redis Clusters (three redis-server masters joined by redis-cli).
ensure_redis_tools() {
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing redis-server and redis-tools (apt-get) for the Redis Cluster tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools; } >/dev/null \
      || die "could not install redis-server/redis-tools with apt-get"
    return 0
  fi
  die "redis-server and redis-cli (Redis 7) are required by the Redis Cluster tests; install them"
}

# admin-api's console tests drive Debian's chromium through playwright-core (no browser download).
ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then return 0; fi
  if command -v chromium >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing chromium (apt-get) for the admin console browser tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null \
      || die "could not install chromium with apt-get"
    return 0
  fi
  die "chromium is required by the console browser tests; install Debian's chromium package or set CHROMIUM_PATH"
}

# `npm run bench` measures with wrk (a C load generator in its own process) when it is installed.
ensure_wrk() {
  if command -v wrk >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing wrk (apt-get) for the benchmarks"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >/dev/null \
      || log "could not install wrk with apt-get; the benchmarks fall back to autocannon"
    return 0
  fi
  log "wrk is not installed; the benchmarks fall back to autocannon (install Debian's wrk package for figures comparable to a user's)"
}

case "${1:-up}" in
  up)
    ensure_node_modules
    ensure_from_env_or_local postgres "${DATABASE_URL:-}" 5432 start_postgres
    ensure_from_env_or_local redis "${REDIS_URL:-}" 6379 start_redis
    ensure_from_env_or_local kafka "${KAFKA_BROKERS:-}" 9092 start_kafka
    if [ "${2:-}" = "--test-tools" ]; then
      ensure_nginx
      ensure_caddy
      ensure_chromium
      ensure_redis_tools
    fi
    if [ "${2:-}" = "--bench-tools" ]; then
      ensure_wrk
    fi
    log "stack is up"
    ;;
  down)
    bash "$repo/infra/kafka/kafka.sh" stop
    ;;
  status)
    for pair in postgres:5432 redis:6379 kafka:9092; do
      if port_open 127.0.0.1 "${pair#*:}"; then log "${pair%%:*}: listening on 127.0.0.1:${pair#*:}"; else log "${pair%%:*}: not running"; fi
    done
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
