#!/usr/bin/env python3
"""Writes vCons whose text dialog is long, for `vcon bench-server --corpus DIR`
(docs/BENCHMARKS.md, "Index work bounded in bytes").

    python3 bench/big-text-corpus.py DIR [--count 16] [--bytes 1000000] [--words natural|random]

natural: words of a 5,000-word vocabulary, Zipf-distributed (like speech);
random:  every word a new token (word + number), the worst case for FTS5.
Each vCon is valid under `vcon validate` (strict); bench-server gives each post a fresh uuid.
"""
import argparse
import json
import pathlib
import random

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("dir", type=pathlib.Path)
p.add_argument("--count", type=int, default=16)
p.add_argument("--bytes", type=int, default=1_000_000)
p.add_argument("--words", choices=["natural", "random"], default="natural")
a = p.parse_args()
a.dir.mkdir(parents=True, exist_ok=True)
rng = random.Random(1)
syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "po", "an", "el", "is", "or", "um"]
vocab = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(5000)]
weights = [1 / (i + 1) for i in range(len(vocab))]


def text(n):
    out, size = [], 0
    while size < n:
        if a.words == "natural":
            words = rng.choices(vocab, weights=weights, k=1000)
        else:
            words = [rng.choice(vocab) + str(rng.randint(0, 99999)) for _ in range(1000)]
        out.extend(words)
        size += sum(len(w) + 1 for w in words)
    return " ".join(out)[:n]


for i in range(a.count):
    vcon = {
        "vcon": "0.4.0",
        "uuid": "018f0d7e-4a7b-8c3d-9e2f-0a1b2c3d4e5f",
        "created_at": "2026-12-07T12:00:00Z",
        "subject": f"long chat {i}",
        "parties": [
            {"name": "Alice", "mailto": "alice@example.com", "validation": "none"},
            {"name": "Bob", "mailto": "bob@example.com", "validation": "none"},
        ],
        "dialog": [
            {
                "type": "text",
                "start": "2026-12-07T12:00:00Z",
                "parties": [0, 1],
                "mediatype": "text/plain",
                "encoding": "none",
                "body": text(a.bytes),
            }
        ],
    }
    (a.dir / f"long-{i:03}.vcon").write_text(json.dumps(vcon))
