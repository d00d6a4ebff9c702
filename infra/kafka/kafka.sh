#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft mode) from the official jars on the local JDK.
#   infra/kafka/kafka.sh start   fetch jars (Maven, cached), format storage once, start, wait until it answers
#   infra/kafka/kafka.sh stop    stop it cleanly (SIGTERM, then SIGKILL after a timeout)
#   infra/kafka/kafka.sh status  exit 0 when a broker answers on 127.0.0.1:$KAFKA_PORT
# Starting an already-running broker is a no-op; starting after a crash reuses (and recovers) the data.
# Environment: TOLLGATE_KAFKA_HOME (data, logs, pid; default .local/kafka), KAFKA_PORT (client
# listener, default 9092), KAFKA_CONTROLLER_PORT (KRaft controller, default 9093), KAFKA_HEAP_OPTS.
# A second, private broker (e.g. one a test stops and starts) needs its own home and both ports.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
home="${TOLLGATE_KAFKA_HOME:-$repo/.local/kafka}"
data="$home/data"
pidfile="$home/kafka.pid"
classpath_file="$home/classpath.txt"
host=127.0.0.1
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
start_timeout="${KAFKA_START_TIMEOUT_SECONDS:-90}"

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for value in "$port" "$controller_port"; do
  case "$value" in '' | *[!0-9]*) die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must be port numbers" ;; esac
done
[ "$port" != "$controller_port" ] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

port_open() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

# The broker's pid, if that process is alive (not a zombie) and still is our broker.
running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid state
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] || return 1
  state="$(ps -o stat= -p "$pid" 2>/dev/null)" || return 1
  case "$state" in Z* | "") return 1 ;; esac
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka" || return 1
  echo "$pid"
}

require_java() {
  command -v java >/dev/null 2>&1 || die "Java 17+ is required to run Kafka locally (install a JDK, e.g. openjdk-17-jre-headless), or set KAFKA_BROKERS to an existing broker."
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | awk -F= '/java.specification.version/ {gsub(/ /, "", $2); print $2}')"
  [ "${major%%.*}" -ge 17 ] 2>/dev/null || die "Kafka 4 needs Java 17 or newer; found java.specification.version=${major:-unknown}."
}

resolve_classpath() {
  if [ -s "$classpath_file" ] && [ "$classpath_file" -nt "$here/pom.xml" ]; then
    # The Maven cache can be cleaned behind our back: re-resolve when a jar went missing.
    local missing
    missing="$(tr ':' '\n' <"$classpath_file" | while read -r jar; do [ -f "$jar" ] || echo "$jar"; done | head -1)"
    [ -z "$missing" ] && return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "Maven is required to fetch the Kafka jars (install maven), or set KAFKA_BROKERS to an existing broker."
  log "resolving Apache Kafka jars with Maven (cached in the local Maven repository)"
  mkdir -p "$home"
  mvn -q -B -f "$here/pom.xml" dependency:build-classpath -Dmdep.includeScope=runtime \
    -Dmdep.outputFile="$classpath_file.tmp" >"$home/maven.log" 2>&1 \
    || die "Maven could not fetch the Kafka jars; see $home/maven.log"
  mv "$classpath_file.tmp" "$classpath_file"
}

run_java() {
  java -cp "$(cat "$classpath_file")" -Dlog4j2.configurationFile="$here/log4j2.properties" \
    -Dkafka.logs.dir="$home" "$@"
}

format_storage() {
  [ -f "$data/meta.properties" ] && return 0
  log "formatting KRaft storage in $data"
  mkdir -p "$data"
  local cluster_id
  cluster_id="$(run_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
  [ -n "$cluster_id" ] || die "could not generate a cluster id (java/kafka classpath problem)"
  run_java kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" -c "$home/server.properties" >"$home/format.log" 2>&1 \
    || die "formatting storage failed; see $home/format.log"
}

start() {
  if pid="$(running_pid)"; then
    log "already running (pid $pid)"
    log_offset=0
    wait_ready
    return 0
  fi
  if port_open; then
    log "a broker is already listening on $host:$port; using it"
    return 0
  fi
  require_java
  resolve_classpath
  mkdir -p "$home"
  # server.properties names the default ports; with the defaults the generated file is the template.
  {
    sed -e 's/127\.0\.0\.1:9092/@broker@/g' -e 's/127\.0\.0\.1:9093/@controller@/g' \
      -e "s/@broker@/$host:$port/g" -e "s/@controller@/$host:$controller_port/g" \
      "$here/server.properties"
    echo "log.dirs=$data"
  } >"$home/server.properties"
  format_storage
  log "starting broker on $host:$port (logs: $home/server.log)"
  log_offset="$(wc -l <"$home/server.log" 2>/dev/null || echo 0)"
  # setsid: the broker outlives the shell that started it and gets no terminal signals.
  setsid java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -cp "$(cat "$classpath_file")" \
    -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$home" \
    kafka.Kafka "$home/server.properties" >"$home/stdout.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_ready
}

wait_ready() {
  local deadline=$((SECONDS + start_timeout))
  until port_open && broker_answers; do
    if ! running_pid >/dev/null && ! port_open; then
      tail -n 30 "$home/stdout.log" "$home/server.log" 2>/dev/null >&2 || true
      die "broker exited during start-up; see $home/server.log"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "broker did not answer within ${start_timeout}s; see $home/server.log"
    sleep 0.5
  done
  log "ready on $host:$port"
}

# The port opens before the broker has registered with its controller; the log line is the signal
# that it will accept metadata and produce requests.
broker_answers() {
  [ -f "$home/server.log" ] || return 1
  awk -v from="${log_offset:-0}" 'NR > from && /Kafka Server started/ { found = 1 } END { exit !found }' "$home/server.log"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$pidfile"
    log "not running"
    return 0
  fi
  log "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; log "stopped"; return 0; }
    sleep 0.5
  done
  log "broker did not stop in 30s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

status() {
  if port_open; then log "listening on $host:$port"; return 0; fi
  log "not running"
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  reset) stop; rm -rf "$data"; log "data removed" ;;
  # Resolves the broker jars (Maven, cached) without starting anything; prints the classpath file.
  classpath) resolve_classpath; echo "$classpath_file" ;;
  *) echo "usage: $0 start|stop|restart|status|reset|classpath" >&2; exit 2 ;;
esac
