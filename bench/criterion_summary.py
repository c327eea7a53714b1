#!/usr/bin/env python3
"""Summarise the criterion results of `cargo bench -p vcon-core --bench throughput`.

Reads target/criterion/<group>/<function>/new/{benchmark,estimates}.json and
prints, per group, the time per iteration, MiB/s, vCons/s and the ratio of each
rate to the `serde_json_value` baseline of the same group, then checks the
target "parse_validate >= 0.5 x serde_json_value".

Groups suffixed `-cpu` come from `VCON_BENCH_CLOCK=cpu cargo bench ...` and
hold on-CPU time of the benchmark thread instead of wall-clock time.

The time is criterion's typical estimate (the slope of the linear regression when
criterion computed one, else the mean), i.e. the middle number of its
`time: [low typical high]` line.

Usage: python3 bench/criterion_summary.py [TARGET_DIR] [--markdown]
"""

import json
import os
import re
import sys

# vCons per iteration, per group (see crates/vcon-core/benches/throughput.rs);
# groups suffixed `-cpu` were measured in on-CPU time (VCON_BENCH_CLOCK=cpu).
DOCS_PER_ITERATION = {"realistic": 1000}
GROUP = re.compile(r"^(realistic|inline_\d+mib)(-cpu)?$")
ORDER = [
    "serde_json_value",
    "serde_json_borrowed",
    "parse",
    "validate",
    "parse_validate",
    "serialize",
    "model_parse",
    "model_serialize",
    "migrate",
]
BASELINE = "serde_json_value"


def typical_ns(estimates):
    est = estimates.get("slope") or estimates["mean"]
    return est["point_estimate"], est["confidence_interval"]


def load(target):
    root = os.path.join(target, "criterion")
    groups = {}
    if not os.path.isdir(root):
        sys.exit(f"no criterion results under {root}: run `cargo bench -p vcon-core --bench throughput` first")
    for group in sorted(os.listdir(root)):
        gdir = os.path.join(root, group)
        if not os.path.isdir(gdir) or not GROUP.match(group):
            continue
        for func in os.listdir(gdir):
            new = os.path.join(gdir, func, "new")
            try:
                with open(os.path.join(new, "benchmark.json")) as f:
                    bench = json.load(f)
                with open(os.path.join(new, "estimates.json")) as f:
                    est = json.load(f)
            except OSError:
                continue
            ns, ci = typical_ns(est)
            nbytes = (bench.get("throughput") or {}).get("Bytes")
            groups.setdefault(group, {})[func] = {
                "ns": ns,
                "ci": (ci["lower_bound"], ci["upper_bound"]),
                "bytes": nbytes,
            }
    return groups


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    markdown = "--markdown" in sys.argv
    target = args[0] if args else os.environ.get("CARGO_TARGET_DIR", "target")
    groups = load(target)
    verdicts = []
    for group, funcs in groups.items():
        docs = DOCS_PER_ITERATION.get(GROUP.match(group).group(1), 1)
        base = funcs.get(BASELINE)
        base_rate = 1e9 / base["ns"] if base else None
        rows = []
        for func in sorted(funcs, key=lambda f: (ORDER.index(f) if f in ORDER else 99, f)):
            r = funcs[func]
            per_s = 1e9 / r["ns"]
            mib_s = (r["bytes"] or 0) * per_s / (1024 * 1024)
            ratio = per_s / base_rate if base_rate else float("nan")
            rows.append((func, fmt_time(r["ns"]), mib_s, per_s * docs, ratio))
        title = f"{group} ({docs} vCon{'s' if docs > 1 else ''} per iteration, {(next(iter(funcs.values()))['bytes'] or 0):,} bytes)"
        if markdown:
            print(f"\n**{title}**\n")
            print("| function | time / iteration | MiB/s | vCons/s | × serde_json |")
            print("|---|---:|---:|---:|---:|")
            for func, t, mib, vps, ratio in rows:
                print(f"| `{func}` | {t} | {mib:,.0f} | {vps:,.0f} | {ratio:.2f} |")
        else:
            print(f"\n{title}")
            print(f"  {'function':<18} {'time/iter':>12} {'MiB/s':>10} {'vCons/s':>12} {'x serde_json':>13}")
            for func, t, mib, vps, ratio in rows:
                print(f"  {func:<18} {t:>12} {mib:>10,.0f} {vps:>12,.0f} {ratio:>13.2f}")
        if base and "parse_validate" in funcs:
            ratio = base["ns"] / funcs["parse_validate"]["ns"]
            verdicts.append((group, ratio))
    print()
    for group, ratio in verdicts:
        ok = "MET" if ratio >= 0.5 else "MISSED"
        print(f"target parse_validate >= 0.5 x serde_json_value [{group}]: {ratio:.2f} -> {ok}")


if __name__ == "__main__":
    main()
