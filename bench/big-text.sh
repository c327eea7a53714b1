#!/usr/bin/env bash
# Memory and index lag under vCons with long texts (docs/BENCHMARKS.md,
# "Index work bounded in bytes"):
#
#   bash bench/big-text.sh VCON_BIN PORT CORPUS_DIR [SECONDS]
#
# Starts `VCON_BIN serve` on a fresh data directory (durable, the defaults), posts the
# corpus (bench/big-text-corpus.py) with `vcon bench-server --corpus`, 8 clients, for
# SECONDS (20), printing the server's RSS and index backlog every 2 s; then times how
# long the index takes to catch up and prints the peak RSS (VmHWM). Removes the data
# directory at the end.
set -euo pipefail
BIN=${1:?usage: big-text.sh VCON_BIN PORT CORPUS_DIR [SECONDS]}
PORT=${2:?port}
CORPUS=${3:?corpus dir}
SECS=${4:-20}
URL="http://127.0.0.1:$PORT"
DATA=$(mktemp -d /tmp/big-text.XXXX)
trap 'kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"' EXIT
VCON_ADMIN_TOKEN=bench-token VCON_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" \
    --data-dir "$DATA/data" 2>"$DATA/log" &
PID=$!
for _ in $(seq 1 500); do curl -fsS -o /dev/null "$URL/health" 2>/dev/null && break; sleep 0.02; done
backlog() { curl -fsS "$URL/metrics" | awk '$1 == "vcon_store_index_backlog" {print $2}'; }
rss() { awk -v k="$1:" '$1 == k {print $2 / 1024 " MB"}' "/proc/$PID/status"; }
"$BIN" bench-server --url "$URL" --token bench-token --concurrency 8 --duration "${SECS}s" \
    --corpus "$CORPUS" --no-progress >"$DATA/out.txt" 2>&1 &
LOAD=$!
while kill -0 "$LOAD" 2>/dev/null; do
    sleep 2
    echo "rss $(rss VmRSS), index backlog $(backlog)"
done
wait "$LOAD" || true
grep -A2 '^ingest' "$DATA/out.txt"
START=$(date +%s.%N)
until [ "$(backlog)" = 0 ]; do sleep 0.2; done
echo "index caught up $(echo "$(date +%s.%N) - $START" | bc) s after the load; peak rss $(rss VmHWM)"
