#!/bin/sh
# routing.sh — how many messages one shoald ultrapeer routes per second on
# one core, and in how much memory: shoald on loopback, loaded by
# bench/gnet-load with 300 leaves and 30 ultrapeers. Builds nothing: it
# runs the binaries of build-release, as `make bench` leaves them. Prints
# the figures against the targets; a missed target is reported, never an
# error. Exits non-zero only when it could not measure or shoald did not
# stop cleanly.
#
#   bench/routing.sh              (BUILD=dir to use another build)
#   GNET_LOAD_ARGS="--rate 4000" bench/routing.sh

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-release}
SHOALD=$BUILD/src/daemon/shoald
GNET_LOAD=$BUILD/bench/gnet-load
LEAVES=300
ULTRAPEERS=30
# Targets: routed messages per second on one core, peak RSS in MiB.
TARGET_ROUTED_PER_S=50000
TARGET_RSS_MIB=150
# shoald gives its peers a few seconds to take its BYE.
STOP_CAP_S=15
START_CAP_S=10

for binary in "$SHOALD" "$GNET_LOAD"; do
  if [ ! -x "$binary" ]; then
    echo "routing: $binary is missing: build it first (make bench)" >&2
    exit 1
  fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shoal-bench-routing-XXXXXX") || exit 1
SHOALD_PID=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  if [ -n "$SHOALD_PID" ] && kill -0 "$SHOALD_PID" 2>/dev/null; then
    kill -KILL "$SHOALD_PID" 2>/dev/null
    wait "$SHOALD_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One core each when there are two: the target's figure is then the one
# of a single core, and the generator never competes with it.
PIN_SHOALD=
PIN_LOAD=
if command -v taskset >/dev/null 2>&1 && [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ]; then
  PIN_SHOALD="taskset -c 0"
  PIN_LOAD="taskset -c 1"
fi

mkdir "$WORK/data"
# Port 0: shoald picks a free one and logs it. Debug logs would measure
# the logging.
# shellcheck disable=SC2086 # PIN_SHOALD is a command and its options
env -u G_MESSAGES_DEBUG $PIN_SHOALD "$SHOALD" --role ultrapeer --port 0 \
  --listen-address 127.0.0.1 --allow-private --no-default-bootstrap \
  --data-dir "$WORK/data" >"$WORK/shoald.log" 2>&1 &
SHOALD_PID=$!

PORT=
tries=0
while [ -z "$PORT" ] && [ "$tries" -lt $((START_CAP_S * 10)) ]; do
  if ! kill -0 "$SHOALD_PID" 2>/dev/null; then
    echo "routing: shoald exited at start:" >&2
    tail -n 5 "$WORK/shoald.log" >&2
    exit 1
  fi
  PORT=$(sed -n 's/.*listening on port \([0-9][0-9]*\).*/\1/p' "$WORK/shoald.log" | head -n 1)
  [ -n "$PORT" ] || sleep 0.1
  tries=$((tries + 1))
done
if [ -z "$PORT" ]; then
  echo "routing: shoald did not say its port within ${START_CAP_S} s" >&2
  exit 1
fi

rss_kib() {
  sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null
}

echo "routing: shoald (pid $SHOALD_PID) on 127.0.0.1:$PORT, RSS $(rss_kib "$SHOALD_PID") KiB before any link${PIN_SHOALD:+, pinned to CPU 0 (gnet-load to CPU 1)}"
# shellcheck disable=SC2086 # PIN_LOAD and GNET_LOAD_ARGS are lists of words
$PIN_LOAD "$GNET_LOAD" --target "127.0.0.1:$PORT" --leaves $LEAVES --ultrapeers $ULTRAPEERS \
  --pid "$SHOALD_PID" --json ${GNET_LOAD_ARGS:-} >"$WORK/figures.json"
LOAD_STATUS=$?

kill -TERM "$SHOALD_PID" 2>/dev/null
waited=0
while kill -0 "$SHOALD_PID" 2>/dev/null && [ "$waited" -lt $((STOP_CAP_S * 10)) ]; do
  # A zombie still answers kill -0: wait reaps it below.
  if [ "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$SHOALD_PID/status" 2>/dev/null)" = Z ]; then
    break
  fi
  sleep 0.1
  waited=$((waited + 1))
done
if kill -0 "$SHOALD_PID" 2>/dev/null && [ "$waited" -ge $((STOP_CAP_S * 10)) ]; then
  kill -KILL "$SHOALD_PID" 2>/dev/null
  STOP="killed after ${STOP_CAP_S} s"
fi
wait "$SHOALD_PID"
SHOALD_STATUS=$?
SHOALD_PID=
STOP=${STOP:-exit status $SHOALD_STATUS after SIGTERM}

if [ "$LOAD_STATUS" -ne 0 ] || [ ! -s "$WORK/figures.json" ]; then
  echo "routing: gnet-load measured nothing (status $LOAD_STATUS); shoald: $STOP" >&2
  tail -n 5 "$WORK/shoald.log" >&2
  exit 1
fi

# The first value of "name" in gnet-load's JSON (each name used once).
figure() {
  sed -n "s/^[[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\([^,]*\),\{0,1\}[[:space:]]*\$/\1/p" \
    "$WORK/figures.json" | head -n 1
}

verdict() { # value, target, "min" or "max"
  awk -v v="$1" -v t="$2" -v way="$3" 'BEGIN {
    if (v == "" || v == "null") { print "not measured"; exit }
    ok = (way == "min") ? v + 0 >= t + 0 : v + 0 <= t + 0
    print ok ? "met" : "MISSED"
  }'
}

ROUTED=$(figure routed_per_s)
HWM=$(figure hwm_mib)

printf '\nrouting: shoald with %s of %s leaves and %s of %s ultrapeers, %.1f s measured\n' \
  "$(figure leaves_up)" $LEAVES "$(figure ultrapeers_up)" $ULTRAPEERS "$(figure window_s)"
printf '  queries sent       %10.1f/s\n' "$(figure queries_sent_per_s)"
printf '  queries at leaves  %10.1f/s   %s of them to a leaf whose table does not match\n' \
  "$(figure leaf_queries_per_s)" "$(figure leaf_queries_misrouted)"
printf '  queries flooded    %10.1f/s   to the other ultrapeers\n' "$(figure ultrapeer_queries_per_s)"
printf '  query hits back    %10.1f/s\n' "$(figure hits_per_s)"
printf '  routed messages    %10.1f/s\n' "$ROUTED"
printf '  hit latency        p50 %.2f ms, p99 %.2f ms, max %.2f ms\n' "$(figure p50)" "$(figure p99)" "$(figure max)"
printf '  drops              %s: %s queries never reached their leaf, %s sends refused, %s links closed\n' \
  "$(figure total)" "$(figure undelivered)" "$(figure refused_sends)" "$(figure links_closed)"
if [ "$HWM" != "" ] && [ "$HWM" != null ]; then
  printf '  shoald             CPU %.1f%%, RSS %.1f MiB (peak %.1f MiB), %.1f KiB per link\n' \
    "$(figure cpu_percent)" "$(figure rss_mib)" "$HWM" "$(figure kib_per_link)"
fi
printf '  gnet-load          CPU %.1f%%\n' "$(figure self_cpu_percent)"
printf '  shoald stop        %s\n' "$STOP"
printf '\n  target: >= %s routed messages/s on one core: %s\n' \
  $TARGET_ROUTED_PER_S "$(verdict "$ROUTED" $TARGET_ROUTED_PER_S min)"
printf '  target: peak RSS <= %s MiB: %s\n' $TARGET_RSS_MIB "$(verdict "$HWM" $TARGET_RSS_MIB max)"
if [ "$SHOALD_STATUS" -ne 0 ]; then
  echo "  shoald did not stop cleanly; the end of its log:"
  tail -n 5 "$WORK/shoald.log" | sed 's/^/    /'
  exit 1
fi
exit 0
