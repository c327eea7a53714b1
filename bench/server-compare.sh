#!/usr/bin/env bash
# `vcon serve` and the Python conserver side by side, over HTTP (docs/BENCHMARKS.md, "Server"):
#
#   bash bench/server-compare.sh VCON_BIN OUTDIR
#
# vconkit rows: starts `VCON_BIN serve` (durability `full`, the default) on a fresh data
# directory with the chains of bench/server-chains.toml, then drives it with
# `VCON_BIN bench-server`, 8 clients:
#   ingest   durable ingest on the native API            (DUR s after WARM s of warm-up)
#   routes   durable ingest on the conserver routes (/api)
#   reads    GET of stored vCons (1,000 seeded first)
#   chain3   20,000 posts onto the tag+jq+sampler chain, until all are on its egress list
#   chain1   the same through the one-link (tag) chain
#   process  ingest on a second server with VCON_DURABILITY=process (acknowledged once in
#            the OS page cache)
# Conserver rows (c_ingest, c_reads, c_chain3, c_chain1; 3,000 posts per chain): only when
# CONSERVER_URL is set, e.g. http://127.0.0.1:8090/api. The conserver must already run, freshly
# started (empty Redis), with the same chains: this script neither installs nor starts it
# (BENCHMARKS.md, "Setting up the conserver", says how it was set up by hand).
#
# Writes one JSON report per row (`bench-server --format json`) and the server CPU per row
# (utime + stime of the server process) into OUTDIR, then prints a summary with the ratios.
# Removes the data directories at the end. Run it on an otherwise idle machine, e.g. with
# `nice -n -10`.
#
# Environment: ROWS (ingest,routes,reads,chain3,chain1,process), DUR (20), WARM (3),
# PORT (8070; PORT+1 for the process row), CONSERVER_URL, CONSERVER_TOKEN (bench-token),
# CONSERVER_PID (the conserver API's pid, for its CPU; found with pgrep if unset).
set -euo pipefail
BIN=${1:?usage: server-compare.sh VCON_BIN OUTDIR}
OUT=${2:?outdir}
ROWS=${ROWS:-ingest,routes,reads,chain3,chain1,process}
DUR=${DUR:-20}
WARM=${WARM:-3}
PORT=${PORT:-8070}
CHAINS="$(cd "$(dirname "$0")" && pwd)/server-chains.toml"
mkdir -p "$OUT"
: >"$OUT/cpu.txt"
DATA=$(mktemp -d /tmp/server-compare.XXXX)
SP=
trap '[[ -n "$SP" ]] && kill "$SP" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"' EXIT

has() { [[ ",$ROWS," == *",$1,"* ]]; }
start() { # PORT NAME [VAR=VALUE ...]
    local port=$1 name=$2
    shift 2
    env VCON_ADMIN_TOKEN=bench-token CONSERVER_API_TOKEN=bench-token VCON_LOG=warn "$@" \
        "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$DATA/$name" --config "$CHAINS" \
        >"$OUT/server-$name.log" 2>&1 &
    SP=$!
    for _ in $(seq 1 500); do curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && return; sleep 0.02; done
    echo "vcon serve on port $port did not start; see $OUT/server-$name.log" >&2
    exit 1
}
stop() { kill "$SP"; wait "$SP" 2>/dev/null || true; SP=; }
row() { # NAME PID TOKEN bench-server flags...
    local name=$1 pid=$2 token=$3
    shift 3
    local c0 c1
    c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    "$BIN" bench-server --token "$token" --concurrency 8 --no-progress --format json "$@" >"$OUT/$name.json"
    c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    echo "$name $((c1 - c0))" >>"$OUT/cpu.txt"
    echo "$name done" >&2
}
timed=(--duration "${DUR}s" --warmup "${WARM}s")
chain() { echo --chain-drain --ingress "bench_$1" --egress "bench_$1_out" --requests "$2"; }

uptime >"$OUT/load.txt"
if has ingest || has routes || has reads || has chain3 || has chain1; then
    start "$PORT" full
    url="http://127.0.0.1:$PORT"
    has ingest && row ingest "$SP" bench-token --url "$url" "${timed[@]}"
    has routes && row routes "$SP" bench-token --url "$url/api" --api conserver "${timed[@]}"
    has reads && row reads "$SP" bench-token --url "$url" --mode read --duration "${DUR}s"
    # shellcheck disable=SC2046 # chain prints separate words on purpose
    has chain3 && row chain3 "$SP" bench-token --url "$url" $(chain three 20000)
    # shellcheck disable=SC2046
    has chain1 && row chain1 "$SP" bench-token --url "$url" $(chain one 20000)
    stop
fi
if has process; then
    start "$((PORT + 1))" process VCON_DURABILITY=process
    row process "$SP" bench-token --url "http://127.0.0.1:$((PORT + 1))" "${timed[@]}"
    stop
fi
if [[ -n "${CONSERVER_URL:-}" ]]; then
    ctoken=${CONSERVER_TOKEN:-bench-token}
    cpid=${CONSERVER_PID:-$(pgrep -f 'uvicorn api:app' | head -1)}
    row c_ingest "$cpid" "$ctoken" --url "$CONSERVER_URL" --api conserver "${timed[@]}"
    row c_reads "$cpid" "$ctoken" --url "$CONSERVER_URL" --api conserver --mode read --duration "${DUR}s"
    # shellcheck disable=SC2046
    row c_chain3 "$cpid" "$ctoken" --url "$CONSERVER_URL" --api conserver $(chain three 3000)
    # shellcheck disable=SC2046
    row c_chain1 "$cpid" "$ctoken" --url "$CONSERVER_URL" --api conserver $(chain one 3000)
fi
uptime >>"$OUT/load.txt"

python3 - "$OUT" <<'PY'
import json, os, sys

out = sys.argv[1]
ticks = os.sysconf("SC_CLK_TCK")
cpu = dict(line.split() for line in open(os.path.join(out, "cpu.txt")))
rates = {}
print(f"{'row':9} {'rate':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} {'CPU/req':>9}  chain")
for name in ["ingest", "routes", "process", "reads", "chain3", "chain1",
             "c_ingest", "c_reads", "c_chain3", "c_chain1"]:
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        continue
    report = json.load(open(path))
    phase = report["phases"][-1]  # reads: the read phase after the seeding one
    lat, ok = phase["latency_ms"], phase["successes"]
    errors = sum(p["errors"] for p in report["phases"])
    us = int(cpu.get(name, 0)) * 1e6 / ticks / max(ok, 1)
    drain = report.get("drain")
    rate = drain["vcons_per_sec"] if drain else phase["throughput"]
    rates[name] = rate
    chain = ""
    if drain:
        chain = (f"{drain['vcons_per_sec']:,.0f} vCons/s end to end, "
                 f"{drain['egressed']}/{drain['queued']} on egress, "
                 f"{drain['dead_letters']} dead letters, complete={drain['complete']}")
    print(f"{name:9} {rate:>10,.0f} {lat['p50']:>7.2f} {lat['p99']:>7.2f} {lat['max']:>7.0f} "
          f"{errors:>6} {us:>7.0f}µs  {chain}")
pairs = [("ingest", "c_ingest"), ("routes", "c_ingest"), ("reads", "c_reads"),
         ("chain3", "c_chain3"), ("chain1", "c_chain1")]
for ours, theirs in pairs:
    if ours in rates and theirs in rates and rates[theirs]:
        print(f"ratio {ours} / {theirs}: {rates[ours] / rates[theirs]:.1f}x")
PY
