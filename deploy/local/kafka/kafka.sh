#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft) broker for development, tests and CI.
#
#   bash deploy/local/kafka/kafka.sh fetch|start|stop|restart|status|reset
#
# The jars come from Maven Central through pom.xml (no Docker, no tarball).
# Environment (all optional):
#   KAFKA_PORT             broker port                          (9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port                (9093)
#   DETENTE_RUN_DIR        state folder                         (<repo>/.run)
#   KAFKA_HEAP             JVM heap flags                       (-Xms128m -Xmx512m)
#   KAFKA_JVM_OPTS         extra JVM flags                      (none)
#   KAFKA_START_TIMEOUT    seconds to wait for readiness        (60)
#   KAFKA_STOP_TIMEOUT     seconds before SIGKILL on stop       (30)
#   KAFKA_CLUSTER_ID       cluster id used to format storage    (fixed)
#   JAVA_HOME              JDK/JRE to use (else `java` on PATH)
# See README.md beside this file.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../../.." && pwd -P)"

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:--Xms128m -Xmx512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:-}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
# Any base64url-encoded 16-byte UUID; this one is "detente-local-01".
KAFKA_CLUSTER_ID="${KAFKA_CLUSTER_ID:-ZGV0ZW50ZS1sb2NhbC0wMQ}"

RUN_DIR="${DETENTE_RUN_DIR:-$REPO_ROOT/.run}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd -P)"   # absolute, whatever the caller's cwd

KAFKA_DIR="$RUN_DIR/kafka"
LIBS_DIR="$KAFKA_DIR/libs"
DATA_DIR="$KAFKA_DIR/data"
PROPS_FILE="$KAFKA_DIR/server.properties"
PID_FILE="$KAFKA_DIR/kafka.pid"
LOCK_FILE="$KAFKA_DIR/.lock"
LOG_DIR="$RUN_DIR/logs"
LOG_FILE="$LOG_DIR/kafka.log"
FETCH_LOG="$LOG_DIR/kafka-fetch.log"
STAMP_FILE="$LIBS_DIR/.pom.sha256"

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

log() { printf 'kafka.sh: %s\n' "$*"; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"; }

# Serialise start/stop/fetch/reset of the same run dir (e.g. make + pytest).
take_lock() {
  mkdir -p "$KAFKA_DIR" "$LOG_DIR"
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "timed out waiting for $LOCK_FILE"
}

# ---------------------------------------------------------------- fetch

libs_fresh() {
  [[ -f "$STAMP_FILE" ]] || return 1
  [[ "$(cat "$STAMP_FILE")" == "$(sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1)" ]] || return 1
  compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null
}

do_fetch() {
  if libs_fresh; then
    return 0
  fi
  need mvn "install Maven, e.g. apt-get install -y maven"
  local tmp="$KAFKA_DIR/libs.tmp"
  rm -rf "$tmp"
  log "fetching Kafka jars with Maven (pom.xml changed or jars missing) into $LIBS_DIR"
  if ! mvn -B -q -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" \
        dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" >"$FETCH_LOG" 2>&1; then
    tail -n 40 "$FETCH_LOG" >&2 || true
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed (full output: $FETCH_LOG)"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "no kafka_2.13 jar after fetch (see $FETCH_LOG)"
  sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1 >"$tmp/.pom.sha256"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars"
}

# ---------------------------------------------------------------- processes

# Is $1 a live broker JVM started by this script for this run dir?
is_our_broker() {
  local pid="$1" args=()
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  mapfile -d '' -t args 2>/dev/null <"/proc/$pid/cmdline" || return 1
  ((${#args[@]} >= 2)) || return 1
  [[ "${args[-2]}" == kafka.Kafka && "${args[-1]}" == "$PROPS_FILE" ]]
}


# All broker JVMs of this run dir (normally 0 or 1), found by their exact
# command line, so a lost pid file cannot leave one behind.
our_broker_pids() {
  local d pid
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    if is_our_broker "$pid"; then printf '%s\n' "$pid"; fi
  done
}

# The pid of this run dir's broker: from the pid file, else (pid file lost)
# from the process table. Fails when none is running.
broker_pid() {
  local pid=""
  if [[ -f "$PID_FILE" ]]; then
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    if is_our_broker "$pid"; then printf '%s\n' "$pid"; return 0; fi
  fi
  pid="$(our_broker_pids | head -n 1 || true)"
  [[ -n "$pid" ]] || return 1
  printf '%s\n' "$pid"
}

# Is anything listening on 127.0.0.1:$1?
port_in_use() {
  (exec 3<>"/dev/tcp/$KAFKA_HOST/$1") 2>/dev/null
}

# Does a Kafka broker answer a Metadata request on host:port and list at
# least one live broker? (Sockets only; the listener accepts connections
# only once the broker has finished starting.)
broker_answers() {
  local host="$1" port="$2"
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$host" "$port" <<'PY' >/dev/null 2>&1
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
client = b"detente-kafka-sh"
# MetadataRequest v1: api_key 3, version 1, correlation id, client id, topics=[] (none)
req = struct.pack(">hhih", 3, 1, 4242, len(client)) + client + struct.pack(">i", 0)
s = socket.create_connection((host, port), timeout=2)
s.settimeout(5)
s.sendall(struct.pack(">i", len(req)) + req)
def read(n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf
(size,) = struct.unpack(">i", read(4))
corr, brokers = struct.unpack(">ii", read(size)[:8])
sys.exit(0 if corr == 4242 and brokers > 0 else 1)
PY
  else
    # No python3: a TCP connect plus the broker's own "started" log line.
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null || return 1
    [[ -f "$LOG_FILE" ]] && tail -c "+${LOG_OFFSET:-0}" "$LOG_FILE" | grep -q 'Kafka Server started'
  fi
}

log_tail() {
  if [[ -f "$LOG_FILE" ]]; then
    printf -- '---- last lines of %s ----\n' "$LOG_FILE" >&2
    tail -c "+$(( ${LOG_OFFSET:-0} + 1 ))" "$LOG_FILE" | tail -n 40 >&2 || true
    printf -- '----\n' >&2
  fi
}

# Send SIGTERM, wait, then SIGKILL. Returns when the process is gone.
kill_and_wait() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < KAFKA_STOP_TIMEOUT * 4; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  log "pid $pid still alive after ${KAFKA_STOP_TIMEOUT}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# ---------------------------------------------------------------- config

write_props() {
  local listeners="PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT"
  sed \
    -e "s|^process.roles=.*|process.roles=broker,controller|" \
    -e "s|^controller.quorum.voters=.*|controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT|" \
    -e "s|^listeners=.*|listeners=$listeners|" \
    -e "s|^advertised.listeners=.*|advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT|" \
    -e "s|^log.dirs=.*|log.dirs=$DATA_DIR|" \
    "$SCRIPT_DIR/server.properties" >"$PROPS_FILE.tmp"
  grep -qx "log.dirs=$DATA_DIR" "$PROPS_FILE.tmp" || die "could not set log.dirs in $PROPS_FILE"
  grep -qx "listeners=$listeners" "$PROPS_FILE.tmp" || die "could not set listeners in $PROPS_FILE"
  mv "$PROPS_FILE.tmp" "$PROPS_FILE"
}

# JAVA_CMD=(java <flags> -cp <libs>/*): the classpath and JVM flags shared by
# the storage tool and the broker.
set_java_cmd() {
  # shellcheck disable=SC2206  # KAFKA_HEAP / KAFKA_JVM_OPTS are flag lists
  JAVA_CMD=(
    "$JAVA" $KAFKA_HEAP
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$SCRIPT_DIR/log4j.properties"
    "-Dkafka.logs.dir=$LOG_DIR"
    $KAFKA_JVM_OPTS
    -cp "$LIBS_DIR/*"
  )
}

format_storage() {
  [[ -f "$DATA_DIR/meta.properties" ]] && return 0
  log "formatting KRaft storage in $DATA_DIR (cluster id $KAFKA_CLUSTER_ID)"
  mkdir -p "$DATA_DIR"
  if ! "${JAVA_CMD[@]}" kafka.tools.StorageTool format --ignore-formatted \
        -t "$KAFKA_CLUSTER_ID" -c "$PROPS_FILE" >>"$LOG_FILE" 2>&1 </dev/null 9>&-; then
    log_tail
    die "storage format failed"
  fi
}

# ---------------------------------------------------------------- commands

cmd_fetch() {
  take_lock
  do_fetch
  log "jars ready in $LIBS_DIR"
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      log_tail
      die "broker process $pid exited during start-up"
    fi
    if broker_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
      return 0
    fi
    sleep 0.5
  done
  log_tail
  log "broker not ready after ${KAFKA_START_TIMEOUT}s; stopping it"
  kill_and_wait "$pid"
  rm -f "$PID_FILE"
  die "kafka did not become ready on $KAFKA_HOST:$KAFKA_PORT"
}

cmd_start() {
  take_lock
  local t0=$SECONDS pid
  if broker_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
    if pid="$(broker_pid)"; then
      log "kafka already running on $KAFKA_HOST:$KAFKA_PORT (pid $pid)"
      echo "$pid" >"$PID_FILE"
    else
      log "a Kafka broker already answers on $KAFKA_HOST:$KAFKA_PORT (not started from $RUN_DIR); leaving it"
    fi
    echo "kafka ready on $KAFKA_HOST:$KAFKA_PORT"
    return 0
  fi

  do_fetch
  [[ -x "$(command -v "$JAVA")" ]] || die "java not found (install a JRE >= 11, e.g. apt-get install -y openjdk-17-jre-headless, or set JAVA_HOME)"

  if pid="$(broker_pid)"; then
    log "broker pid $pid is up but not answering yet; waiting"
    echo "$pid" >"$PID_FILE"
  else
    local port
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
      if port_in_use "$port"; then
        die "port $KAFKA_HOST:$port is taken by another process (not a Kafka broker of $RUN_DIR); free it or set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
      fi
    done
    # Keep the log from growing without bound across many runs.
    if [[ -f "$LOG_FILE" ]] && (( $(stat -c %s "$LOG_FILE") > 20 * 1024 * 1024 )); then
      mv -f "$LOG_FILE" "$LOG_FILE.1"
    fi
    touch "$LOG_FILE"
    LOG_OFFSET="$(stat -c %s "$LOG_FILE")"
    printf '\n===== kafka.sh start %s port %s =====\n' "$(date -u +%FT%TZ)" "$KAFKA_PORT" >>"$LOG_FILE"
    write_props
    set_java_cmd
    format_storage
    # setsid: own session, so a Ctrl-C aimed at a test run does not hit the
    # broker; without -f it execs in place, so $! is the JVM's pid.
    # 9>&- keeps the JVM from inheriting (and holding) the lock.
    setsid nohup "${JAVA_CMD[@]}" kafka.Kafka "$PROPS_FILE" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$PID_FILE"
  fi

  wait_ready "$pid"
  log "started in $((SECONDS - t0))s (pid $pid, log $LOG_FILE)"
  echo "kafka ready on $KAFKA_HOST:$KAFKA_PORT"
}

cmd_stop() {
  take_lock
  local pids pid
  pids="$( { if [[ -f "$PID_FILE" ]]; then cat "$PID_FILE"; fi; our_broker_pids; } \
            | sort -u | while read -r pid; do is_our_broker "$pid" && echo "$pid"; done || true)"
  if [[ -z "$pids" ]]; then
    rm -f "$PID_FILE"
    log "kafka not running (run dir $RUN_DIR)"
    return 0
  fi
  for pid in $pids; do
    log "stopping kafka (pid $pid)"
    kill_and_wait "$pid"
  done
  rm -f "$PID_FILE"
  log "kafka stopped"
}

cmd_status() {
  local pid
  if pid="$(broker_pid)"; then
    if broker_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
      log "kafka running on $KAFKA_HOST:$KAFKA_PORT (pid $pid)"
      return 0
    fi
    log "kafka process $pid is up but $KAFKA_HOST:$KAFKA_PORT does not answer (starting or stuck)"
    return 1
  fi
  if broker_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
    log "a Kafka broker answers on $KAFKA_HOST:$KAFKA_PORT but was not started from $RUN_DIR"
    return 0
  fi
  log "kafka not running on $KAFKA_HOST:$KAFKA_PORT"
  return 1
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR" "$PROPS_FILE"
  log "deleted $DATA_DIR"
}

usage() {
  sed -n '2,19p' "$SCRIPT_DIR/kafka.sh" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
