#!/usr/bin/env python3
"""Time the reference Python library (PyPI `vcon`) validating vCons held in memory.

Reads every *.vcon file of DIR into memory as text first, then times
`vcon.Vcon.validate_json(text)` (json.loads + Vcon(...) + is_valid()) over all
of them, ROUNDS times, and reports the best round. The library logs every call
at INFO level; logging is disabled (logging.disable) so that its cost, which
depends on the handler, is not counted: this is Python's best case.

Prints one JSON object: {"files", "bytes", "valid", "invalid", "best_seconds",
"rounds_seconds", "rate", "cpu_rounds_seconds", "cpu_rate", "python", "vcon_version"}:
`rate` is files per wall-clock second of the best round, `cpu_rate` files per
CPU second (user + system, time.process_time) of the round that used the least.

Usage: python py_validate.py DIR [ROUNDS]
"""

import glob
import json
import logging
import os
import platform
import sys
import time
import warnings


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    directory = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)
    from importlib.metadata import version

    from vcon import Vcon

    paths = sorted(glob.glob(os.path.join(directory, "*.vcon")))
    if not paths:
        sys.exit(f"no *.vcon files in {directory}")
    texts = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            texts.append(f.read())
    valid = sum(1 for t in texts if Vcon.validate_json(t)[0])  # also a warm-up round
    times = []
    cpu_times = []
    for _ in range(rounds):
        c0 = time.process_time()
        t0 = time.perf_counter()
        for t in texts:
            Vcon.validate_json(t)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    best = min(times)
    print(
        json.dumps(
            {
                "files": len(texts),
                "bytes": sum(len(t.encode("utf-8")) for t in texts),
                "valid": valid,
                "invalid": len(texts) - valid,
                "best_seconds": best,
                "rounds_seconds": times,
                "rate": len(texts) / best,
                "cpu_rounds_seconds": cpu_times,
                "cpu_rate": len(texts) / min(cpu_times),
                "python": platform.python_version(),
                "vcon_version": version("vcon"),
            }
        )
    )


if __name__ == "__main__":
    main()
