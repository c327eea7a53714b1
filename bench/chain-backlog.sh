#!/usr/bin/env bash
# The chain alone, draining a backlog (docs/BENCHMARKS.md, Server, "Chain round 3"):
#
#   bash bench/chain-backlog.sh VCON_BIN PORT CONFIG [N] [LABEL]
#
# 1. Seeds, once per list and N, a data directory ($SEEDS/seed-$INGRESS-N): `vcon serve` without any chain,
#    N vCons posted with `vcon bench-server --ingress $INGRESS --requests N` (8 clients,
#    generated 2.2 KB call vCons), then a clean stop. The seed is made by VCON_BIN the first
#    time; later runs copy it, so every binary drains the very same backlog.
# 2. Copies the seed to $RUNS/LABEL and starts `VCON_BIN serve --config CONFIG` on it.
# 3. Times from the start of the server (opening the store included) until
#    `GET /stats/queue?list_name=$EGRESS` shows a depth of N, then reads the server's CPU
#    time: all threads (exited ones too) from /proc/PID/stat, and per thread from
#    /proc/PID/task/*/schedstat (nanoseconds on CPU; `perf stat -p` would miss the threads
#    started after it attached), then stops the server.
# 4. Prints one line: label, vCons/s, seconds, server CPU per vCon (all threads; the
#    writer, the vcon-serve threads (tokio workers, blocking pool) and the syncer apart), the load average before and after,
#    and the dead letters of the ingress list (must be 0).
#
# CONFIG must define a chain reading $INGRESS (default bench_three) and writing $EGRESS
# (default bench_three_out), e.g. the tag + jq + sampler chain of docs/BENCHMARKS.md.
# The seed's ingress list must match: delete $SEEDS to re-seed after changing it.
# A seed made by an older schema is migrated by a newer binary at open (counted in the
# time); a newer schema cannot be opened by an older binary: seed with the oldest binary.
#
# Environment: SEEDS (/tmp/chain-bench/seeds), RUNS (/tmp/chain-bench/runs), INGRESS,
# EGRESS, TOKEN (bench-token), TIMEOUT (seconds, 300), KEEP=1 to keep the run's data dir.
set -euo pipefail

BIN=${1:?usage: chain-backlog.sh VCON_BIN PORT CONFIG [N] [LABEL]}
PORT=${2:?port}
CONFIG=${3:?config}
N=${4:-30000}
LABEL=${5:-run-$(date +%H%M%S)}
SEEDS=${SEEDS:-/tmp/chain-bench/seeds}
RUNS=${RUNS:-/tmp/chain-bench/runs}
INGRESS=${INGRESS:-bench_three}
EGRESS=${EGRESS:-bench_three_out}
TOKEN=${TOKEN:-bench-token}
TIMEOUT=${TIMEOUT:-300}
URL="http://127.0.0.1:$PORT"
SEED="$SEEDS/seed-$INGRESS-$N"
DATA="$RUNS/$LABEL"
mkdir -p "$SEEDS" "$RUNS"

# serve DIR [ARGS...]: starts the server in the background, sets SERVER_PID, waits for /health.
serve() {
    local dir=$1
    shift
    VCON_ADMIN_TOKEN=$TOKEN VCON_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" \
        --data-dir "$dir" "$@" 2>>"$dir.log" &
    SERVER_PID=$!
    for _ in $(seq 1 2000); do
        curl -fsS -o /dev/null "$URL/health" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited; see $dir.log" >&2; exit 1; }
        sleep 0.005
    done
    echo "server did not answer /health" >&2
    exit 1
}
stop() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
depth() {
    curl -fsS "$URL/stats/queue?list_name=$1" | jq -r .depth
}

if [[ ! -d $SEED ]]; then
    mkdir -p "$SEED.tmp"
    serve "$SEED.tmp"
    "$BIN" bench-server --url "$URL" --token "$TOKEN" --no-progress --format json \
        --ingress "$INGRESS" --requests "$N" >"$SEED.tmp.json"
    queued=$(depth "$INGRESS")
    stop
    [[ $queued == "$N" ]] || { echo "seed: $queued queued, wanted $N" >&2; exit 1; }
    mv "$SEED.tmp" "$SEED"
fi

rm -rf "$DATA" "$DATA.log"
cp -a "$SEED" "$DATA"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s.%N)
VCON_ADMIN_TOKEN=$TOKEN VCON_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" \
    --data-dir "$DATA" --config "$CONFIG" 2>>"$DATA.log" &
SERVER_PID=$!
end=""
deadline=$(($(date +%s) + TIMEOUT))
while (($(date +%s) < deadline)); do
    d=$(curl -fsS "$URL/stats/queue?list_name=$EGRESS" 2>/dev/null | jq -r .depth 2>/dev/null || true)
    if [[ $d == "$N" ]]; then
        end=$(date +%s.%N)
        break
    fi
    sleep 0.01
done
# Per thread: "comm ns-on-cpu"; then the whole process in clock ticks (utime + stime).
for t in /proc/"$SERVER_PID"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$t/comm")" "$(cut -d' ' -f1 "$t/schedstat")"
done >"$DATA.cpu" 2>/dev/null || true
ticks=$(sed 's/.*) //' /proc/"$SERVER_PID"/stat | awk '{print $12 + $13}')
dead=$(depth "DLQ:$INGRESS" || echo "?")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
stop
[[ -n $end ]] || { echo "$LABEL: not drained within ${TIMEOUT}s" >&2; exit 1; }
awk -v n="$N" -v label="$LABEL" -v secs="$(echo "$end - $start" | bc -l)" \
    -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" \
    -v lb="$load_before" -v la="$load_after" -v dead="$dead" '
    {
        if ($1 ~ /^vcon-store-writ/) w += $2
        else if ($1 ~ /^vcon-store-sync/) s += $2
        else if ($1 ~ /^vcon-serve/) t += $2
        else o += $2
    }
    END {
        us = 1e-3 / n
        printf "%s: %.0f vCons/s (%.2f s), server CPU %.1f us/vCon (writer %.1f, vcon-serve %.1f, syncer %.1f, other %.1f), load %s -> %s, dead letters %s\n",
            label, n / secs, secs, ticks / hz * 1e6 / n, w * us, t * us, s * us, o * us, lb, la, dead
    }' "$DATA.cpu"
[[ ${KEEP:-0} == 1 ]] || rm -rf "$DATA"
