#!/usr/bin/env python3
"""Helper of bench/trust-interop.sh: the Python side of the trust-layer interop
checks against the reference library (PyPI `vcon` 0.10.0), its timings, and a
summary of the criterion results of `cargo bench -p vcon-trust --bench trust`.

  python3 trust_interop.py write-small OUT.vcon       # the small vCon, for `vcon sign`
  python3 trust_interop.py write-large OUT.vcon       # the 1 MB vCon
  python trust_interop.py py-sign OUT_DIR [KEY_PEM]    # the library signs the small and 1 MB vCons
  python trust_interop.py py-verify SIGNED PUB_OR_CERT # the library verifies (exit 0/1)
  python trust_interop.py py-time ROUNDS N             # its sign/verify speed, JSON
  python3 trust_interop.py summary CRITERION_DIR [PY_TIME_JSON] [--cpu]  # no library needed

The library's API (read from its source, vcon/vcon.py): `Vcon.build_from_json`,
`Vcon.sign(private_key)` writes `signatures = [{"protected", "signature"}]` and
`payload` beside the unsigned members (RS256, protected {"alg","typ":"JWS"}, no
`header`, no x5c); `Vcon.verify(public_key)` checks `signatures[0]` as the
compact JWS `protected.payload.signature` with authlib and returns a bool;
`Vcon.generate_key_pair()` makes an RSA-2048 key pair.
"""

import contextlib
import io
import json
import logging
import os
import sys
import time
import warnings

# The small vCon of crates/vcon-trust/benches/trust.rs (keep the two in step).
SMALL = {
    "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
    "created_at": "2026-06-29T23:11:19Z",
    "parties": [
        {"tel": "+12345678901", "name": "Alice"},
        {"mailto": "bob@example.com", "name": "Bob"},
    ],
    "dialog": [
        {
            "type": "text",
            "start": "2026-06-29T23:11:19Z",
            "parties": [0, 1],
            "mediatype": "text/plain",
            "encoding": "none",
            "body": "Hello Bob, about your order.",
        }
    ],
}


def large():
    """The 1 MB vCon of the Rust bench: SMALL with a 1,000,000-byte dialog body."""
    v = json.loads(json.dumps(SMALL))
    line = "Hello Bob, about your order. "
    v["dialog"][0]["body"] = (line * (1_000_000 // len(line) + 1))[:1_000_000]
    return v


def library():
    """Imports the library quietly (it logs every call, and authlib forces its
    deprecation warning on, so standard error is muted while importing)."""
    logging.disable(logging.CRITICAL)
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from vcon import Vcon  # noqa: PLC0415

    return Vcon


def public_pem(path):
    """SPKI PEM of a public key, certificate or private key file."""
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    data = open(path, "rb").read()
    if b"CERTIFICATE" in data:
        key = x509.load_pem_x509_certificate(data).public_key()
    elif b"PRIVATE KEY" in data:
        key = serialization.load_pem_private_key(data, password=None).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def py_sign(out_dir, key_pem=None):
    """Signs SMALL with a fresh key (and with KEY_PEM when given); writes the files."""
    Vcon = library()
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    os.makedirs(out_dir, exist_ok=True)
    private, public = Vcon.generate_key_pair()
    v = Vcon.build_from_json(json.dumps(SMALL))
    v.sign(private)
    with open(os.path.join(out_dir, "py-signed.vcon"), "w") as f:
        json.dump(v.to_dict(), f, indent=2)
    with open(os.path.join(out_dir, "py-signed.pub.pem"), "wb") as f:
        f.write(
            public.public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )
    written = ["py-signed.vcon", "py-signed.pub.pem"]
    v = Vcon.build_from_json(json.dumps(large()))
    v.sign(private)
    with open(os.path.join(out_dir, "py-signed-1MB.vcon"), "w") as f:
        json.dump(v.to_dict(), f)
    written.append("py-signed-1MB.vcon")
    if key_pem:
        v = Vcon.build_from_json(json.dumps(SMALL))
        v.sign(open(key_pem, "rb").read())
        with open(os.path.join(out_dir, "py-signed-leafkey.vcon"), "w") as f:
            json.dump(v.to_dict(), f, indent=2)
        written.append("py-signed-leafkey.vcon")
    print(json.dumps({"written": written}))


def py_verify(signed, key):
    """Verifies SIGNED with the library; prints the verdict, exits 0 if it holds."""
    Vcon = library()
    v = Vcon.build_from_json(open(signed).read())
    ok = bool(v.verify(public_pem(key)))
    print(json.dumps({"file": signed, "verified": ok}))
    sys.exit(0 if ok else 1)


def best_per_op(rounds, n, op, make_args):
    """Best (lowest) seconds per operation over ROUNDS rounds of N operations."""
    best = float("inf")
    for _ in range(rounds):
        args = [make_args(i) for i in range(n)]
        t0 = time.perf_counter()
        for a in args:
            op(a)
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def py_time(rounds, n):
    """Times Vcon.sign and Vcon.verify on SMALL and on the 1 MB vCon."""
    Vcon = library()
    private, public = Vcon.generate_key_pair()
    out = {"python": sys.version.split()[0], "rounds": rounds, "n": n}
    for name, doc, count in [("small", SMALL, n), ("1MB", large(), max(1, n // 50))]:
        text = json.dumps(doc)
        # A fresh Vcon per signature: sign() adds payload/signatures to the object.
        sign_s = best_per_op(
            rounds, count, lambda v: v.sign(private), lambda _: Vcon.build_from_json(text)
        )
        out[name] = {"bytes": len(text), "sign_us": sign_s * 1e6, "sign_per_s": 1 / sign_s}
        signed = Vcon.build_from_json(text)
        signed.sign(private)
        if signed.verify(public):
            verify_s = best_per_op(rounds, count, lambda v: v.verify(public), lambda _: signed)
            out[name].update({"verify_us": verify_s * 1e6, "verify_per_s": 1 / verify_s})
        else:
            # authlib refuses a compact JWS segment over 256,000 bytes.
            out[name]["verify_error"] = "Vcon.verify returns False (authlib: payload too long)"
    print(json.dumps(out))


def typical_ns(path):
    """Criterion's typical time per iteration (slope, else mean), in ns."""
    est = json.load(open(path))
    return (est.get("slope") or est["mean"])["point_estimate"]


def summary(criterion_dir, py_json=None, suffix=""):
    """Prints a Markdown table: vconkit vs the bare primitive (and vs Python).
    `suffix` is "-cpu" for the groups of VCON_BENCH_CLOCK=cpu."""

    def t(group, bench):
        p = os.path.join(criterion_dir, group + suffix, bench, "new", "estimates.json")
        return typical_ns(p) if os.path.exists(p) else None

    def nbytes(group, bench):
        """The throughput (bytes per iteration) criterion recorded, if any."""
        p = os.path.join(criterion_dir, group + suffix, bench, "new", "benchmark.json")
        if not os.path.exists(p):
            return None
        th = json.load(open(p)).get("throughput") or {}
        return th.get("Bytes") or th.get("BytesDecimal")

    def composite(prim):
        """Time of a primitive such as `2*a+b` (sums of benches, with counts)."""
        total = 0.0
        for term in prim.split("+"):
            k, _, name = term.rpartition("*")
            one = t("primitive", name)
            if one is None:
                return None
            total += (int(k) if k else 1) * one
        return total

    py = json.load(open(py_json)) if py_json else None
    rows = [
        # (group, bench, primitive bench, python key)
        ("small", "sign_RS256_x5c", "sign_rsa2048", "sign"),
        ("small", "sign_RS256_bare", "sign_rsa2048", "sign"),
        ("small", "sign_ES256_x5c", "sign_ecdsap256", None),
        ("small", "sign_EdDSA_x5c", "sign_ed25519", None),
        ("small", "verify_RS256_key", "verify_rsa2048", "verify"),
        # A repeated signer: its validated chain is kept (VerifyOptions'
        # chain cache), so one verification with the leaf's kept key.
        ("small", "verify_RS256_chain", "verify_rsa2048", "verify"),
        # A first-seen signer (cache disabled): the leaf's and the
        # intermediate's keys arrive in the x5c (built per verification),
        # the root's is configured (kept).
        ("small", "verify_RS256_chain_uncached", "2*verify_rsa2048_fresh_key+verify_rsa2048", "verify"),
        ("small", "verify_ES256_key", "verify_ecdsap256", None),
        ("small", "verify_ES256_chain", "verify_ecdsap256", None),
        ("small", "verify_ES256_chain_uncached", "3*verify_ecdsap256", None),
        ("small", "verify_EdDSA_key", "verify_ed25519", None),
        # RSA-OAEP: the public (encrypt) and private (decrypt) RSA operation;
        # encryption also against its honest primitive: OpenSSL's OAEP of the
        # 64-byte content key + AES-256-CBC + HMAC-SHA-512 over the same
        # signed bytes (`openssl speed` 3.0 has no RSA encryption row).
        ("small", "encrypt_RSA-OAEP+A256CBC-HS512", "verify_rsa2048", None),
        ("small", "encrypt_RSA-OAEP+A256CBC-HS512", "encrypt_rsa_oaep_cek+aes256cbc_hmacsha512_small", None),
        ("small", "decrypt_RSA-OAEP+A256CBC-HS512", "sign_rsa2048", None),
        # ECDH-ES: an ephemeral key and ECDH (encrypt), ECDH alone (decrypt).
        ("small", "encrypt_ECDH-ES+A256KW+A256GCM", "ecdh_p256_keygen_derive", None),
        ("small", "decrypt_ECDH-ES+A256KW+A256GCM", "ecdh_p256_derive", None),
        ("1MB", "sign_RS256_x5c", "sha256_1MB_signing_input", "sign"),
        ("1MB", "sign_RS256_bare", "sha256_1MB_signing_input", "sign"),
        ("1MB", "verify_RS256_key", "sha256_1MB_signing_input", "verify"),
        ("1MB", "verify_RS256_chain", "sha256_1MB_signing_input", "verify"),
        ("1MB", "encrypt_RSA-OAEP+A256CBC-HS512", "aes256cbc_hmacsha512_1MiB", None),
        ("1MB", "decrypt_RSA-OAEP+A256CBC-HS512", "aes256cbc_hmacsha512_1MiB", None),
        ("1MB", "encrypt_ECDH-ES+A256KW+A256GCM", "aes256gcm_1MiB", None),
        ("1MB", "decrypt_ECDH-ES+A256KW+A256GCM", "aes256gcm_1MiB", None),
    ]
    print("| vCon | operation | vconkit | ops/s | bare primitive (same run) | ratio | PyPI vcon | vconkit / Python |")
    print("|---|---|---:|---:|---|---:|---:|---:|")
    for group, bench, prim, pykey in rows:
        ns = t(group, bench)
        if ns is None:
            continue
        cells = [group, bench, fmt_time(ns), f"{1e9 / ns:,.0f}"]
        pns = composite(prim) if prim else None
        if pns and group == "1MB" and prim.startswith("aes"):
            # Bulk: compare bytes per second (the primitive runs on 1 MiB).
            ours, theirs = nbytes(group, bench), nbytes("primitive", prim)
            rate = lambda b, t_ns: b / t_ns * 1e9 / 2**20  # noqa: E731
            cells += [
                f"{prim} {rate(theirs, pns):,.0f} MiB/s",
                f"{rate(ours, ns) / rate(theirs, pns):.2f} ({rate(ours, ns):,.0f} MiB/s)",
            ]
        elif pns:
            cells += [f"{prim} {fmt_time(pns)}", f"{pns / ns:.2f}"]
        else:
            cells += ["", ""]
        if py and pykey and f"{pykey}_us" in py.get(group, {}):
            py_ns = py[group][f"{pykey}_us"] * 1000
            cells += [fmt_time(py_ns), f"{py_ns / ns:.1f}x"]
        elif py and pykey and group in py:
            cells += ["cannot (authlib limit)", ""]
        else:
            cells += ["", ""]
        print("| " + " | ".join(cells) + " |")


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def main(argv):
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if cmd == "write-small" and len(args) == 1:
        with open(args[0], "w") as f:
            json.dump(SMALL, f, indent=2)
    elif cmd == "write-large" and len(args) == 1:
        with open(args[0], "w") as f:
            json.dump(large(), f)
    elif cmd == "py-sign" and len(args) in (1, 2):
        py_sign(*args)
    elif cmd == "py-verify" and len(args) == 2:
        py_verify(*args)
    elif cmd == "py-time" and len(args) == 2:
        py_time(int(args[0]), int(args[1]))
    elif cmd == "summary" and 1 <= len([a for a in args if a != "--cpu"]) <= 2:
        summary(*[a for a in args if a != "--cpu"], suffix="-cpu" if "--cpu" in args else "")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
