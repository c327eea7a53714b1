#!/usr/bin/env bash
# Trust-layer interop and speed, side by side with the Python reference library
# (PyPI `vcon` 0.10.0):
#
#   bash bench/trust-interop.sh              # checks both directions, times, criterion subset
#   BENCH=0 bash bench/trust-interop.sh      # checks and Python/CLI timings only (no cargo bench)
#
# 1. creates a Python 3.12 virtualenv (bench/.venv-trust, gitignored; pyenv's
#    3.12.1) with vcon==0.10.0, unless already there;
# 2. builds the release `vcon` binary and generates a test PKI with
#    `vcon keys generate` (RSA-2048, and P-256) under $OUT (target/trust-interop);
# 3. vconkit -> Python: `vcon sign` signs the small vCon (both header layouts,
#    plain and gzip payload, RS256 and ES256) and the library's `Vcon.verify`
#    must accept each; a tampered copy must be refused;
# 4. Python -> vconkit: the library signs the small vCon (`Vcon.sign`, with a
#    key of its own and with our leaf key) and `vcon verify --public-key` must
#    accept it (exit 0, with the R-39 warnings its shape earns), and so must
#    `vcon validate` (exit 0, R-39 warnings); without a key
#    (--trust only) and tampered, it must be refused (exit 1);
# 5. times the library's sign/verify (bench/trust_interop.py py-time: best of
#    ROUNDS rounds of N operations, in-process), the whole `vcon sign` and
#    `vcon verify` commands (hyperfine, process start included), and unless
#    BENCH=0 the library-level criterion benches of the same operations next to
#    the bare OpenSSL primitives (cargo bench -p vcon-trust --bench trust);
# 6. prints a summary; exits 1 if an interop check failed.
#
# Environment: VENV, PY312, OUT, ROUNDS (5), N (200), RUNS (20 hyperfine runs), BENCH (1),
# CLOCK (cpu: criterion measures the bench thread's on-CPU time; `wall` for wall-clock).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=${VENV:-$ROOT/bench/.venv-trust}
OUT=${OUT:-$ROOT/target/trust-interop}
ROUNDS=${ROUNDS:-5}
N=${N:-200}
RUNS=${RUNS:-20}
BENCH=${BENCH:-1}
CLOCK=${CLOCK:-cpu}
HELPER="$ROOT/bench/trust_interop.py"
if [[ -z "${PY312:-}" ]]; then
    if command -v pyenv >/dev/null 2>&1; then
        PY312="$(pyenv root)/versions/3.12.1/bin/python3"
    else
        PY312=python3.12
    fi
fi

say() { printf '\n== %s\n' "$*" >&2; }
failures=()
pass() { printf '  PASS  %s\n' "$*"; }
fail() { printf '  FAIL  %s\n' "$*"; failures+=("$*"); }
# expect CODE DESCRIPTION COMMAND...: runs COMMAND, compares its exit status.
expect() {
    local want=$1 what=$2 got
    shift 2
    set +e
    "$@" >"$OUT/last.out" 2>"$OUT/last.err"
    got=$?
    set -e
    if [[ $got == "$want" ]]; then pass "$what (exit $got)"; else
        fail "$what (exit $got, expected $want)"
        sed 's/^/        /' "$OUT/last.out" "$OUT/last.err" | head -n 20
    fi
}

say "Python virtualenv $VENV (vcon==0.10.0)"
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PY312" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("vcon") != "0.10.0")' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check vcon==0.10.0
fi
PY="$VENV/bin/python"
"$PY" --version >&2

say "Release build of vcon"
cargo build --release --quiet -p vcon --bin vcon
VCON="${CARGO_TARGET_DIR:-$ROOT/target}/release/vcon"

rm -rf "$OUT"
mkdir -p "$OUT"
"$VCON" keys generate --out-dir "$OUT/pki" >/dev/null 2>&1
"$VCON" keys generate --kind p256 --out-dir "$OUT/pki-ec" >/dev/null 2>&1
python3 "$HELPER" write-small "$OUT/small.vcon"
python3 "$HELPER" write-large "$OUT/large.vcon"

say "vconkit -> Python: vcon sign, then the library's Vcon.verify"
for pki in pki pki-ec; do
    for layout in rfc7515 draft-a6; do
        for gz in "" --gzip; do
            f="$OUT/ours-$pki-$layout${gz:+-gzip}.vcon"
            "$VCON" sign "$OUT/small.vcon" --key "$OUT/$pki/leaf.key" --cert "$OUT/$pki/chain.pem" \
                --layout "$layout" $gz -o "$f" >/dev/null
            alg=$(python3 -c 'import json,sys,base64;p=json.load(open(sys.argv[1]))["signatures"][0]["protected"];print(json.loads(base64.urlsafe_b64decode(p+"=="))["alg"])' "$f")
            expect 0 "Python verifies ours: $alg, layout $layout${gz:+, gzip payload}" \
                "$PY" "$HELPER" py-verify "$f" "$OUT/$pki/leaf.crt"
        done
    done
done
python3 - "$OUT/ours-pki-rfc7515.vcon" "$OUT/ours-tampered.vcon" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
p = v["payload"]
v["payload"] = p[:40] + ("A" if p[40] != "A" else "B") + p[41:]
json.dump(v, open(sys.argv[2], "w"))
EOF
expect 1 "Python refuses our signed vCon once tampered" \
    "$PY" "$HELPER" py-verify "$OUT/ours-tampered.vcon" "$OUT/pki/leaf.crt"
expect 1 "Python refuses ours with another key" \
    "$PY" "$HELPER" py-verify "$OUT/ours-pki-rfc7515.vcon" "$OUT/pki-ec/leaf.crt"
"$VCON" sign "$OUT/large.vcon" --key "$OUT/pki/leaf.key" --cert "$OUT/pki/chain.pem" -o "$OUT/ours-1MB.vcon" >/dev/null
# Known limit of the library (authlib refuses compact JWS over 256,000 bytes): expected to fail.
expect 1 "Python cannot verify our 1 MB signed vCon (authlib: 'Serialization is too long'; a limit of the library)" \
    "$PY" "$HELPER" py-verify "$OUT/ours-1MB.vcon" "$OUT/pki/leaf.crt"

say "Python -> vconkit: the library's Vcon.sign, then vcon verify"
"$PY" "$HELPER" py-sign "$OUT/py" "$OUT/pki/leaf.key" >/dev/null
expect 1 "the library cannot verify its own 1 MB signed vCon (authlib limit)" \
    "$PY" "$HELPER" py-verify "$OUT/py/py-signed-1MB.vcon" "$OUT/py/py-signed.pub.pem"
expect 0 "vcon verifies the library's output with its public key" \
    "$VCON" verify "$OUT/py/py-signed.vcon" --public-key "$OUT/py/py-signed.pub.pem"
sed 's/^/        /' "$OUT/last.out"
"$VCON" verify --format json "$OUT/py/py-signed.vcon" --public-key "$OUT/py/py-signed.pub.pem" \
    >"$OUT/py-verify.json" || true
expect 0 "vcon verifies the library's output made with our leaf key (--public-key leaf.crt)" \
    "$VCON" verify "$OUT/py/py-signed-leafkey.vcon" --public-key "$OUT/pki/leaf.crt"
expect 0 "vcon verifies the library's 1 MB signed vCon (which the library itself cannot verify)" \
    "$VCON" verify "$OUT/py/py-signed-1MB.vcon" --public-key "$OUT/py/py-signed.pub.pem"
expect 1 "vcon refuses the library's output with --trust only (no x5c: nothing to trust it by)" \
    "$VCON" verify "$OUT/py/py-signed.vcon" --trust "$OUT/pki/root.crt"
expect 1 "vcon refuses the library's output with another key" \
    "$VCON" verify "$OUT/py/py-signed.vcon" --public-key "$OUT/pki/leaf.crt"
python3 - "$OUT/py/py-signed.vcon" "$OUT/py/py-tampered.vcon" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
p = v["payload"]
v["payload"] = p[:40] + ("A" if p[40] != "A" else "B") + p[41:]
json.dump(v, open(sys.argv[2], "w"))
EOF
expect 1 "vcon refuses the library's output once tampered" \
    "$VCON" verify "$OUT/py/py-tampered.vcon" --public-key "$OUT/py/py-signed.pub.pem"
expect 0 "vcon validate accepts the library's output, with R-39 warnings (no header, members beside the JWS)" \
    "$VCON" validate "$OUT/py/py-signed.vcon"

say "How vcon validate sees the library's signed output (for the record)"
"$VCON" validate --profile strict "$OUT/py/py-signed.vcon" 2>&1 | sed 's/^/        /' || true

say "Speed: the library in-process (best of $ROUNDS rounds of $N)"
"$PY" "$HELPER" py-time "$ROUNDS" "$N" >"$OUT/python-time.json"
cat "$OUT/python-time.json" >&2

say "Speed: whole vcon commands (hyperfine, $RUNS runs, process start included)"
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 2 --runs "$RUNS" --style basic --export-json "$OUT/hyperfine.json" \
        -n "vcon sign (RS256, x5c)" \
        "$VCON sign $OUT/small.vcon --key $OUT/pki/leaf.key --cert $OUT/pki/chain.pem -o $OUT/h.vcon" \
        -n "vcon verify (strict chain)" \
        "$VCON verify $OUT/ours-pki-rfc7515.vcon --trust $OUT/pki/root.crt" \
        -n "vcon verify (public key)" \
        "$VCON verify $OUT/py/py-signed.vcon --public-key $OUT/py/py-signed.pub.pem" >&2
else
    echo "hyperfine not found; skipped" >&2
fi

if [[ "$BENCH" != 0 ]]; then
    say "Speed: library criterion benches next to the bare OpenSSL primitives (uptime: $(uptime))"
    VCON_BENCH_CLOCK=$CLOCK cargo bench --quiet -p vcon-trust --bench trust -- \
        '^(primitive[-a-z]*/(sign|verify)_rsa2048|primitive[-a-z]*/sha256_1MB_signing_input|(small|1MB)[-a-z]*/(sign_RS256_bare|sign_RS256_x5c|verify_RS256_key|verify_RS256_chain))$' \
        >"$OUT/criterion.txt" 2>&1
    python3 "$HELPER" summary "${CARGO_TARGET_DIR:-$ROOT/target}/criterion" "$OUT/python-time.json" \
        $([[ $CLOCK == cpu ]] && echo --cpu)
fi

say "Summary"
if [[ ${#failures[@]} -eq 0 ]]; then
    echo "all interop checks passed (results in $OUT)"
else
    printf 'FAILED: %s\n' "${failures[@]}"
    exit 1
fi
