//! Cost of the trust operations, next to the bare OpenSSL primitives measured
//! in the same process (the `primitive` group), so that the ratio holds even on
//! a noisy machine:
//!
//! ```text
//! cargo bench -p vcon-trust --bench trust                 # everything (~6 minutes)
//! VCON_BENCH_CLOCK=cpu cargo bench -p vcon-trust --bench trust   # on-CPU time, groups `*-cpu`
//! cargo bench -p vcon-trust --bench trust -- small/        # one group
//! python3 bench/trust_interop.py summary target/criterion  # rates and ratios
//! ```
//!
//! Groups (ids are `group/operation_variant`):
//!
//! * `primitive`: the OpenSSL operation alone on the same bytes as the
//!   small-vCon case — RSA-2048 PKCS#1 v1.5 / SHA-256 sign and verify of the
//!   JWS signing input, ECDSA P-256 / SHA-256, Ed25519; RSA verification
//!   with a key built per operation (`verify_rsa2048_fresh_key`, as an x5c
//!   certificate's key is); ECDH P-256 with and without the ephemeral key
//!   generation (`ecdh_p256_keygen_derive`, `ecdh_p256_derive`); RSA-OAEP
//!   (SHA-1) encryption of a 64-byte content key (`encrypt_rsa_oaep_cek`) and
//!   AES-256-CBC + HMAC-SHA-512 over the signed small vCon that
//!   `small/encrypt_RSA-OAEP+A256CBC-HS512` encrypts
//!   (`aes256cbc_hmacsha512_small`): together, that row's primitive;
//!   AES-256-GCM and AES-256-CBC + HMAC-SHA-512 over 1 MiB; SHA-256 over the
//!   1 MB signing input.
//! * `small` (a vCon of about 0.5 KB): [`vcon_trust::sign`] with an x5c chain
//!   (`sign_RS256_x5c`, `sign_ES256_x5c`, `sign_EdDSA_x5c`) or a bare key
//!   (`sign_RS256_bare`, what the PyPI `vcon` library does);
//!   [`vcon_trust::verify`] through a three-level v3 chain under the strict
//!   policy (`verify_RS256_chain`, `verify_ES256_chain`: x5c leaf + intermediate
//!   to the root anchor, a repeated signer whose chain the options' cache
//!   keeps; `*_chain_uncached`: the cache disabled, a first-seen signer), or of a signature without certificate (as the PyPI
//!   library writes) with a given public key (`verify_RS256_key`,
//!   `verify_ES256_key`, `verify_EdDSA_key`);
//!   [`vcon_trust::encrypt`] / [`vcon_trust::decrypt`] of the signed vCon to
//!   one recipient (`RSA-OAEP+A256CBC-HS512`, `ECDH-ES+A256KW+A256GCM`).
//! * `1MB`: the same on a vCon with a 1 MB text dialog (throughput in bytes of
//!   the unsigned vCon, or of the signed vCon for encrypt/decrypt).
//!
//! The small vCon is also what `bench/trust_interop.py` signs with the PyPI
//! library (keep the two in step).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

// The on-CPU clock of vcon-core's benches (one implementation for both crates).
#[path = "../../vcon-core/benches/support/cputime.rs"]
mod cputime;

use std::hint::black_box;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::measurement::{Measurement, WallTime};
use criterion::{Criterion, Throughput};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::symm::Cipher;
use serde_json::{Map, Value, json};
use vcon_trust::keys::{KeyKind, PrivateKey, TestPki, TestPkiOptions};
use vcon_trust::x509::ChainCache;
use vcon_trust::{
    ContentEnc, DecryptOptions, EncryptOptions, KeyAlg, Recipient, SignOptions, Signer,
    VerifyOptions, decrypt, encrypt, sign, verify,
};

/// The small vCon (also in bench/trust_interop.py).
fn small() -> Map<String, Value> {
    json!({
        "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
        "created_at": "2026-06-29T23:11:19Z",
        "parties": [{"tel": "+12345678901", "name": "Alice"}, {"mailto": "bob@example.com", "name": "Bob"}],
        "dialog": [{"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [0, 1],
                    "mediatype": "text/plain", "encoding": "none", "body": "Hello Bob, about your order."}]
    })
    .as_object()
    .unwrap()
    .clone()
}

/// The small vCon with a dialog body of 1,000,000 bytes of text.
fn large() -> Map<String, Value> {
    let mut v = small();
    let line = "Hello Bob, about your order. ";
    let body: String = line.repeat(1_000_000 / line.len() + 1)[..1_000_000].to_owned();
    v["dialog"][0]["body"] = Value::String(body);
    v
}

fn pki(kind: KeyKind) -> TestPki {
    TestPki::generate(&TestPkiOptions {
        key_kind: kind,
        ..TestPkiOptions::default()
    })
    .unwrap()
}

/// What a JWS signs for this vCon with an RS256-style protected header.
fn signing_input(vcon: &Map<String, Value>) -> Vec<u8> {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(vcon).unwrap());
    format!("eyJhbGciOiJSUzI1NiJ9.{payload}").into_bytes()
}

fn pkey(key: &PrivateKey) -> PKey<Private> {
    PKey::private_key_from_pem(&key.to_pem().unwrap()).unwrap()
}

/// The bare OpenSSL operations.
fn primitives<M: Measurement>(c: &mut Criterion<M>, keys: &Keys, suffix: &str) {
    let input = signing_input(&small());
    let mut g = c.benchmark_group(format!("primitive{suffix}"));
    for (name, key, md) in [
        ("rsa2048", &keys.rsa, MessageDigest::sha256()),
        ("ecdsap256", &keys.ec, MessageDigest::sha256()),
    ] {
        let k = pkey(&key.leaf_key);
        let sig = {
            let mut s = openssl::sign::Signer::new(md, &k).unwrap();
            s.sign_oneshot_to_vec(&input).unwrap()
        };
        g.bench_function(format!("sign_{name}"), |b| {
            b.iter(|| {
                let mut s = openssl::sign::Signer::new(md, &k).unwrap();
                s.sign_oneshot_to_vec(black_box(&input)).unwrap()
            })
        });
        g.bench_function(format!("verify_{name}"), |b| {
            b.iter(|| {
                let mut v = openssl::sign::Verifier::new(md, &k).unwrap();
                assert!(v.verify_oneshot(black_box(&sig), &input).unwrap());
            })
        });
    }
    let k = pkey(&keys.ed.leaf_key);
    let sig = openssl::sign::Signer::new_without_digest(&k)
        .unwrap()
        .sign_oneshot_to_vec(&input)
        .unwrap();
    g.bench_function("sign_ed25519", |b| {
        b.iter(|| {
            let mut s = openssl::sign::Signer::new_without_digest(&k).unwrap();
            s.sign_oneshot_to_vec(black_box(&input)).unwrap()
        })
    });
    g.bench_function("verify_ed25519", |b| {
        b.iter(|| {
            let mut v = openssl::sign::Verifier::new_without_digest(&k).unwrap();
            assert!(v.verify_oneshot(black_box(&sig), &input).unwrap());
        })
    });

    // RSA verification with a key built from the modulus and exponent for
    // each operation, as a key arriving in an x5c certificate is (OpenSSL
    // then sets up its Montgomery constants on first use).
    let rsa = pkey(&keys.rsa.leaf_key).rsa().unwrap();
    let (n, e) = (rsa.n().to_vec(), rsa.e().to_vec());
    let k = pkey(&keys.rsa.leaf_key);
    let sig = openssl::sign::Signer::new(MessageDigest::sha256(), &k)
        .unwrap()
        .sign_oneshot_to_vec(&input)
        .unwrap();
    g.bench_function("verify_rsa2048_fresh_key", |b| {
        b.iter(|| {
            let key = openssl::rsa::Rsa::from_public_components(
                openssl::bn::BigNum::from_slice(&n).unwrap(),
                openssl::bn::BigNum::from_slice(&e).unwrap(),
            )
            .and_then(PKey::from_rsa)
            .unwrap();
            let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &key).unwrap();
            assert!(v.verify_oneshot(black_box(&sig), &input).unwrap());
        })
    });

    // ECDH on P-256: the shared secret alone (what `openssl speed ecdhp256`
    // times), and with the ephemeral key ECDH-ES generates per message. The
    // peer key is not validated again (`set_peer` would add OpenSSL 3.0's
    // order check, a second scalar multiplication; `openssl speed` sets the
    // peer once, outside the timed loop).
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let peer = pkey(&keys.ec.leaf_key);
    let ours = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
    g.bench_function("ecdh_p256_derive", |b| {
        b.iter(|| {
            let mut d = openssl::derive::Deriver::new(&ours).unwrap();
            d.set_peer_ex(black_box(&peer), false).unwrap();
            d.derive_to_vec().unwrap()
        })
    });
    g.bench_function("ecdh_p256_keygen_derive", |b| {
        b.iter(|| {
            let eph = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
            let mut d = openssl::derive::Deriver::new(&eph).unwrap();
            d.set_peer_ex(black_box(&peer), false).unwrap();
            d.derive_to_vec().unwrap()
        })
    });

    // RSA-OAEP encryption's own primitives (`openssl speed` 3.0 has no RSA
    // encryption row): OpenSSL's OAEP (SHA-1) of a 64-byte content key with
    // a context made per operation, as the other primitives, and the
    // A256CBC-HS512 content encryption's AES-256-CBC + HMAC-SHA-512 over the
    // very bytes `small/encrypt_RSA-OAEP+A256CBC-HS512` encrypts (the small
    // vCon signed RS256 with its x5c chain, ~3.6 KB).
    let rsa_public =
        PKey::public_key_from_der(&pkey(&keys.rsa.leaf_key).public_key_to_der().unwrap()).unwrap();
    let cek = [3_u8; 64];
    g.bench_function("encrypt_rsa_oaep_cek", |b| {
        b.iter(|| {
            let mut e = openssl::encrypt::Encrypter::new(&rsa_public).unwrap();
            e.set_rsa_padding(openssl::rsa::Padding::PKCS1_OAEP)
                .unwrap();
            let mut out = vec![0; e.encrypt_len(&cek).unwrap()];
            let n = e.encrypt(black_box(&cek), &mut out).unwrap();
            out.truncate(n);
            out
        })
    });
    let signed_small = sign(
        &small(),
        &[Signer::with_chain(
            keys.rsa.leaf_key.clone(),
            keys.rsa.chain(),
        )],
        &SignOptions::default(),
    )
    .unwrap()
    .bytes;
    let key = [7_u8; 32];
    let mac_key = PKey::hmac(&[9_u8; 32]).unwrap();
    // The cipher fetched from the provider once (as vcon-trust does; OpenSSL
    // 3.0 looks a built-in `EVP_aes_256_cbc()` up on every init, which is
    // not the cipher's cost), a fresh context per operation.
    let cbc = openssl::cipher::Cipher::fetch(None, "AES-256-CBC", None).unwrap();
    let cbc_hmac = |plaintext: &[u8]| {
        let mut ctx = openssl::cipher_ctx::CipherCtx::new().unwrap();
        ctx.encrypt_init(Some(&cbc), Some(&key), Some(&[1; 16]))
            .unwrap();
        let mut ct = Vec::with_capacity(plaintext.len() + 16);
        ctx.cipher_update_vec(plaintext, &mut ct).unwrap();
        ctx.cipher_final_vec(&mut ct).unwrap();
        let mut s = openssl::sign::Signer::new(MessageDigest::sha512(), &mac_key).unwrap();
        s.update(&ct).unwrap();
        s.sign_to_vec().unwrap()
    };
    g.bench_function("aes256cbc_hmacsha512_small", |b| {
        b.iter(|| cbc_hmac(black_box(&signed_small)))
    });

    let mib = vec![0x5a_u8; 1 << 20];
    g.throughput(Throughput::Bytes(mib.len() as u64));
    g.bench_function("aes256gcm_1MiB", |b| {
        b.iter(|| {
            let mut tag = [0_u8; 16];
            openssl::symm::encrypt_aead(
                Cipher::aes_256_gcm(),
                &key,
                Some(&[1; 12]),
                b"aad",
                black_box(&mib),
                &mut tag,
            )
            .unwrap()
        })
    });
    g.bench_function("aes256cbc_hmacsha512_1MiB", |b| {
        b.iter(|| cbc_hmac(black_box(&mib)))
    });
    let large_input = signing_input(&large());
    g.throughput(Throughput::Bytes(large_input.len() as u64));
    g.bench_function("sha256_1MB_signing_input", |b| {
        b.iter(|| openssl::sha::sha256(black_box(&large_input)))
    });
    g.finish();
}

struct Keys {
    rsa: TestPki,
    ec: TestPki,
    ed: TestPki,
}

/// sign, verify, encrypt and decrypt of `vcon` in group `group`.
fn operations<M: Measurement>(
    c: &mut Criterion<M>,
    keys: &Keys,
    group: &str,
    vcon: &Map<String, Value>,
    full: bool,
) {
    let options = SignOptions::default();
    let with_chain = |p: &TestPki| [Signer::with_chain(p.leaf_key.clone(), p.chain())];
    let rsa = with_chain(&keys.rsa);
    let ec = with_chain(&keys.ec);
    let ed = with_chain(&keys.ed);
    let rsa_bare = [Signer::new(keys.rsa.leaf_key.clone())];
    let unsigned_len = serde_json::to_vec(vcon).unwrap().len() as u64;

    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes(unsigned_len));
    let mut signers: Vec<(&str, &[Signer])> = vec![("RS256_x5c", &rsa), ("RS256_bare", &rsa_bare)];
    if full {
        signers.extend([("ES256_x5c", &ec[..]), ("EdDSA_x5c", &ed[..])]);
    }
    for (name, signer) in &signers {
        g.bench_function(format!("sign_{name}"), |b| {
            b.iter(|| sign(black_box(vcon), signer, &options).unwrap())
        });
    }

    let signed = |s: &[Signer]| sign(vcon, s, &options).unwrap().bytes;
    let bare = |p: &TestPki| signed(&[Signer::new(p.leaf_key.clone())]);
    let (rs, es) = (signed(&rsa), signed(&ec));
    let (rs_bare, es_bare, ed_bare) = (bare(&keys.rsa), bare(&keys.ec), bare(&keys.ed));
    let chain = |p: &TestPki| VerifyOptions::with_anchors(vec![p.root_cert.clone()]);
    let key = |p: &TestPki| VerifyOptions::with_public_keys(vec![p.leaf_key.public_key().unwrap()]);
    // A first-seen signer: the x5c chain parsed and validated in full (the
    // `_chain` rows verify a repeated signer, whose chain the options keep).
    let uncached = |p: &TestPki| VerifyOptions {
        chain_cache: ChainCache::disabled(),
        ..chain(p)
    };
    let mut cases = vec![
        ("RS256_chain", &rs, chain(&keys.rsa)),
        ("RS256_chain_uncached", &rs, uncached(&keys.rsa)),
        ("RS256_key", &rs_bare, key(&keys.rsa)),
    ];
    if full {
        cases.extend([
            ("ES256_chain", &es, chain(&keys.ec)),
            ("ES256_chain_uncached", &es, uncached(&keys.ec)),
            ("ES256_key", &es_bare, key(&keys.ec)),
            ("EdDSA_key", &ed_bare, key(&keys.ed)),
        ]);
    }
    for (name, bytes, o) in &cases {
        g.bench_function(format!("verify_{name}"), |b| {
            b.iter(|| verify(black_box(bytes), o).unwrap())
        });
    }

    g.throughput(Throughput::Bytes(rs.len() as u64));
    let cases = [
        (
            "RSA-OAEP+A256CBC-HS512",
            &keys.rsa.leaf_key,
            KeyAlg::RsaOaep,
            ContentEnc::A256CbcHs512,
        ),
        (
            "ECDH-ES+A256KW+A256GCM",
            &keys.ec.leaf_key,
            KeyAlg::EcdhEsA256kw,
            ContentEnc::A256Gcm,
        ),
    ];
    for (name, key, alg, enc) in cases {
        let to = [Recipient::new(key.public_key().unwrap()).alg(alg)];
        let eo = EncryptOptions {
            enc,
            ..EncryptOptions::default()
        };
        g.bench_function(format!("encrypt_{name}"), |b| {
            b.iter(|| encrypt(black_box(&rs), &to, &eo).unwrap())
        });
        let sealed = encrypt(&rs, &to, &eo).unwrap().bytes;
        let d = DecryptOptions::default();
        g.bench_function(format!("decrypt_{name}"), |b| {
            b.iter(|| decrypt(black_box(&sealed), key, &d).unwrap())
        });
    }
    g.finish();
}

fn run<M: Measurement>(c: &mut Criterion<M>, suffix: &str) {
    let keys = Keys {
        rsa: pki(KeyKind::RSA2048),
        ec: pki(KeyKind::P256),
        ed: pki(KeyKind::Ed25519),
    };
    primitives(c, &keys, suffix);
    operations(c, &keys, &format!("small{suffix}"), &small(), true);
    operations(c, &keys, &format!("1MB{suffix}"), &large(), false);
}

/// Wall-clock time by default; with `VCON_BENCH_CLOCK=cpu`, the benchmark
/// thread's on-CPU time (vcon-core's `benches/support/cputime.rs`), in groups
/// suffixed `-cpu`: on a shared machine it leaves out the time spent waiting
/// for a core.
fn main() {
    let config = |c: Criterion<WallTime>| {
        c.sample_size(30)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
    };
    if std::env::var("VCON_BENCH_CLOCK").is_ok_and(|v| v == "cpu") {
        let mut c = config(Criterion::default())
            .with_measurement(cputime::CpuTime)
            .configure_from_args();
        run(&mut c, "-cpu");
        c.final_summary();
    } else {
        let mut c = config(Criterion::default()).configure_from_args();
        run(&mut c, "");
        c.final_summary();
    }
}
