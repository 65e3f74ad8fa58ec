#!/usr/bin/env bash
# Start or stop the local Détente stack: Kafka broker, topics, stream worker and API.
#
#   bash deploy/local/stack.sh up|down|status|reset
#
# reset stops everything and deletes the stack's data (the broker's log, the worker's tables),
# so the next `up` starts empty: each article is handled once, so a demo run again after a
# new model would otherwise still show the stances the earlier model gave.
#
# Processes run in the background with pid files under .run/ and logs under .run/logs/.
# Environment: DETENTE_API_PORT (8000), DETENTE_WORKER_WEB_PORT (6066),
# DETENTE_WORKER_METRICS_PORT (9102), and any DETENTE_* setting of the services.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
RUN="${DETENTE_RUN_DIR:-$ROOT/.run}"
BIN="$ROOT/.venv/bin"
API_PORT="${DETENTE_API_PORT:-8000}"
WORKER_WEB_PORT="${DETENTE_WORKER_WEB_PORT:-6066}"
WORKER_METRICS_PORT="${DETENTE_WORKER_METRICS_PORT:-9102}"
mkdir -p "$RUN/logs"

say() { printf 'stack: %s\n' "$*"; }

running() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_process() {  # name, command...
  local name=$1; shift
  local pidfile="$RUN/$name.pid"
  if running "$pidfile"; then say "$name already running (pid $(cat "$pidfile"))"; return; fi
  # Monitor mode puts the job in its own process group (pgid = pid), so `down` can stop
  # it and anything it spawned with one signal; nohup execs, so $! is the program itself.
  set -m
  (cd "$ROOT" && exec nohup "$@" >>"$RUN/logs/$name.log" 2>&1 </dev/null) &
  echo $! >"$pidfile"
  set +m
  say "$name started (pid $(cat "$pidfile")), log: $RUN/logs/$name.log"
}

stop_process() {  # name
  local pidfile="$RUN/$1.pid"
  if running "$pidfile"; then
    local pid; pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    say "$1 stopped"
  fi
  rm -f "$pidfile"
}

wait_http() {  # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS "$1" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then return 1; fi
    sleep 1
  done
}

case "${1:-}" in
  up)
    bash "$ROOT/deploy/local/kafka/kafka.sh" start
    "$BIN/detente-topics"
    start_process worker env DETENTE_WEB_PORT="$WORKER_WEB_PORT" \
      DETENTE_METRICS_PORT="$WORKER_METRICS_PORT" DETENTE_DATA_DIR="$RUN/worker" \
      "$BIN/detente-worker"
    start_process api env DETENTE_PORT="$API_PORT" "$BIN/detente-api"
    wait_http "http://127.0.0.1:$API_PORT/healthz" 60 || { say "API did not start"; tail -20 "$RUN/logs/api.log"; exit 1; }
    say "API on http://127.0.0.1:$API_PORT (docs: /docs, metrics: /metrics)"
    ;;
  down)
    stop_process api
    stop_process worker
    bash "$ROOT/deploy/local/kafka/kafka.sh" stop
    ;;
  reset)
    stop_process api
    stop_process worker
    bash "$ROOT/deploy/local/kafka/kafka.sh" reset
    rm -rf "$RUN/worker"
    say "deleted the worker's tables in $RUN/worker"
    ;;
  status)
    for name in worker api; do
      if running "$RUN/$name.pid"; then say "$name running"; else say "$name stopped"; fi
    done
    bash "$ROOT/deploy/local/kafka/kafka.sh" status || true
    ;;
  *)
    echo "usage: $0 up|down|status|reset" >&2; exit 2 ;;
esac
