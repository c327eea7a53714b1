#!/usr/bin/env bash
# Side-by-side speed of `vcon validate DIR` and the reference Python library
# (PyPI `vcon` 0.10.0, `Vcon.validate_json`) on the same generated corpus.
#
#   bash bench/compare.sh            # 30,000 realistic vCons, seed 1
#   COUNT=5000 RUNS=3 bash bench/compare.sh
#
# In one run it:
#   1. creates a Python 3.12 virtualenv (bench/.venv, gitignored; pyenv's 3.12.1)
#      and installs vcon==0.10.0 into it, unless already there;
#   2. builds the release `vcon` binary and the gen_corpus example;
#   3. generates COUNT realistic vCons (one file each) into bench/corpus/realistic
#      (gitignored) with gen_corpus --seed SEED;
#   4. times the Python library validating the same texts held in memory
#      (bench/py_validate.py: best of PY_ROUNDS rounds, logging disabled);
#   5. times the whole `vcon validate DIR` command (process start, directory
#      walk, file reading, parsing, validation, output to /dev/null) with
#      hyperfine (RUNS runs after one warm-up, so the page cache is warm), with
#      the default parallelism and with --jobs 1;
#   6. prints the rates and the ratios (target: vcon validate >= 30x Python):
#      wall-clock (mean and fastest run) and per CPU-second (user + system of the
#      vcon process, all threads; process_time of Python), the latter being the
#      fair comparison when other jobs share the machine.
#
# Environment: COUNT (30000), SEED (1), RUNS (5), PY_ROUNDS (3), SKIP_BUILD (unset;
# set it to time the binaries already built instead of rebuilding), BASELINE (unset;
# the path of another `vcon` binary, say an older build, timed in the same run),
# VENV (bench/.venv), CORPUS (bench/corpus/realistic), PY312 (pyenv's 3.12.1),
# OUT ($CARGO_TARGET_DIR or target, then /bench-compare: hyperfine and python JSON
# results). The binaries are taken from $CARGO_TARGET_DIR/release when it is set.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
COUNT=${COUNT:-30000}
SEED=${SEED:-1}
RUNS=${RUNS:-5}
PY_ROUNDS=${PY_ROUNDS:-3}
VENV=${VENV:-$ROOT/bench/.venv}
CORPUS=${CORPUS:-$ROOT/bench/corpus/realistic}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${OUT:-$TARGET/bench-compare}
if [[ -z "${PY312:-}" ]]; then
    if command -v pyenv >/dev/null 2>&1; then
        PY312="$(pyenv root)/versions/3.12.1/bin/python3"
    else
        PY312=python3.12
    fi
fi
mkdir -p "$OUT"

say() { printf '\n== %s   [%s]\n' "$*" "$(uptime | sed 's/.*load average/load average/')" >&2; }

say "Python virtualenv $VENV (vcon==0.10.0)"
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PY312" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("vcon") != "0.10.0")' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check vcon==0.10.0
fi
"$VENV/bin/python" --version >&2

say "Release build of vcon and gen_corpus"
if [[ -z "${SKIP_BUILD:-}" ]]; then
    cargo build --release --quiet -p vcon --bin vcon
    cargo build --release --quiet -p vcon-core --example gen_corpus
else
    echo "SKIP_BUILD set: using the binaries already in $TARGET/release" >&2
fi
VCON="$TARGET/release/vcon"
GEN="$TARGET/release/examples/gen_corpus"

say "Corpus: $COUNT realistic vCons, seed $SEED -> $CORPUS"
rm -rf "$CORPUS"
"$GEN" --out "$CORPUS" --count "$COUNT" --seed "$SEED"

say "vcon validate -q (once, for the verdicts)"
set +e
"$VCON" validate -q "$CORPUS" >"$OUT/vcon-validate.txt" 2>&1
status=$?
set -e
tail -n 3 "$OUT/vcon-validate.txt" >&2
echo "exit status $status" >&2

say "Python: Vcon.validate_json on the texts in memory (best of $PY_ROUNDS)"
"$VENV/bin/python" "$ROOT/bench/py_validate.py" "$CORPUS" "$PY_ROUNDS" >"$OUT/python.json"
cat "$OUT/python.json" >&2

say "vcon validate DIR (whole command)"
if command -v hyperfine >/dev/null 2>&1; then
    # -N: no intermediate shell, so its start-up is not counted.
    hyperfine -N --warmup 1 --runs "$RUNS" --ignore-failure --style basic \
        --export-json "$OUT/hyperfine.json" \
        -n "vcon validate DIR" "$VCON validate $CORPUS" \
        -n "vcon validate --jobs 1 DIR" "$VCON validate --jobs 1 $CORPUS" \
        ${BASELINE:+-n "baseline: $BASELINE validate DIR" "$BASELINE validate $CORPUS"} \
        ${BASELINE:+-n "baseline: $BASELINE validate --jobs 1 DIR" "$BASELINE validate --jobs 1 $CORPUS"} >&2
else
    echo "hyperfine not found (apt-get install -y hyperfine); timing with date, mean of $RUNS runs" >&2
    "$VENV/bin/python" - "$VCON" "$CORPUS" "$RUNS" "$OUT/hyperfine.json" <<'EOF'
import json, subprocess, sys, time
vcon, corpus, runs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
results = []
for name, cmd in (("vcon validate DIR", [vcon, "validate", corpus]),
                  ("vcon validate --jobs 1 DIR", [vcon, "validate", "--jobs", "1", corpus])):
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    results.append({"command": name, "mean": sum(times) / len(times), "min": min(times), "times": times})
    print(f"{name}: mean {results[-1]['mean']:.3f} s, min {min(times):.3f} s", file=sys.stderr)
json.dump({"results": results}, open(out, "w"))
EOF
fi

say "Summary"
"$VENV/bin/python" - "$OUT/python.json" "$OUT/hyperfine.json" "$COUNT" <<'EOF'
import json, os, sys
py = json.load(open(sys.argv[1]))
hf = json.load(open(sys.argv[2]))
count = int(sys.argv[3])
print(f"corpus: {count} realistic vCons, {py['bytes']:,} bytes ({py['bytes'] // count} bytes average)")
print(f"cores: {os.cpu_count()}; load average now: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
print(f"python {py['python']} vcon {py['vcon_version']} Vcon.validate_json, texts in memory: "
      f"{py['rate']:,.0f} vCons/s wall (best of {len(py['rounds_seconds'])}: {py['best_seconds']:.3f} s), "
      f"{py['cpu_rate']:,.0f} vCons per CPU-second; "
      f"library verdicts: {py['valid']} valid, {py['invalid']} invalid")
for r in hf["results"]:
    rate, best = count / r["mean"], count / r["min"]
    cpu = (r.get("user") or 0) + (r.get("system") or 0)
    cpu_rate = count / cpu if cpu else float("nan")
    ratio, ratio_best, ratio_cpu = rate / py["rate"], best / py["rate"], cpu_rate / py["cpu_rate"]
    verdict = "MET" if ratio >= 30 else "MISSED"
    print(f"{r['command']}: mean {r['mean']:.3f} s (min {r['min']:.3f} s) -> {rate:,.0f} vCons/s "
          f"({rate * py['bytes'] / count / 1048576:,.1f} MiB/s), {ratio:.1f}x Python; "
          f"fastest run {best:,.0f} vCons/s, {ratio_best:.1f}x; "
          f"CPU {cpu:.3f} s (user+sys) -> {cpu_rate:,.0f} vCons per CPU-second, {ratio_cpu:.1f}x Python's"
          + (f"  [target >= 30x: {verdict}]" if r["command"] == "vcon validate DIR" else ""))
EOF
