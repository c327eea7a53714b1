//! Cost of the trust operations on a small vCon (about 0.5 KB):
//!
//! ```text
//! cargo bench -p vcon-trust --bench trust
//! ```
//!
//! * `sign/RS256`, `sign/ES256`: [`vcon_trust::sign`] with an x5c chain
//!   (includes setting `updated_at` and serialising);
//! * `verify/RS256_strict_chain`: [`vcon_trust::verify`] of an RS256 signature
//!   through a three-level v3 chain (webpki + link checks);
//! * `verify/ES256_public_key`: verification with a bare public key;
//! * `encrypt/RSA-OAEP+A256CBC-HS512`, `decrypt/RSA-OAEP+A256CBC-HS512`:
//!   one recipient; `encrypt/ECDH-ES+A256KW+A256GCM`,
//!   `decrypt/ECDH-ES+A256KW+A256GCM` likewise.
//!
//! Not measured yet; no numbers are claimed.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use vcon_trust::keys::{KeyKind, PrivateKey, TestPki, TestPkiOptions};
use vcon_trust::{
    ContentEnc, DecryptOptions, EncryptOptions, KeyAlg, Recipient, SignOptions, Signer,
    VerifyOptions, decrypt, encrypt, sign, verify,
};

fn unsigned() -> serde_json::Map<String, serde_json::Value> {
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

fn pki(kind: KeyKind) -> TestPki {
    TestPki::generate(&TestPkiOptions {
        key_kind: kind,
        ..TestPkiOptions::default()
    })
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let vcon = unsigned();
    let rsa = pki(KeyKind::RSA2048);
    let ec = pki(KeyKind::P256);
    let rsa_signer = [Signer::with_chain(rsa.leaf_key.clone(), rsa.chain())];
    let ec_signer = [Signer::with_chain(ec.leaf_key.clone(), ec.chain())];
    let options = SignOptions::default();

    let mut g = c.benchmark_group("sign");
    g.bench_function("RS256", |b| {
        b.iter(|| sign(black_box(&vcon), &rsa_signer, &options).unwrap())
    });
    g.bench_function("ES256", |b| {
        b.iter(|| sign(black_box(&vcon), &ec_signer, &options).unwrap())
    });
    g.finish();

    let rs_signed = sign(&vcon, &rsa_signer, &options).unwrap().bytes;
    let es_signed = sign(&vcon, &ec_signer, &options).unwrap().bytes;
    let by_chain = VerifyOptions::with_anchors(vec![rsa.root_cert.clone()]);
    let by_key = VerifyOptions::with_public_keys(vec![ec.leaf_key.public_key().unwrap()]);
    let mut g = c.benchmark_group("verify");
    g.bench_function("RS256_strict_chain", |b| {
        b.iter(|| verify(black_box(&rs_signed), &by_chain).unwrap())
    });
    g.bench_function("ES256_public_key", |b| {
        b.iter(|| verify(black_box(&es_signed), &by_key).unwrap())
    });
    g.finish();

    let rsa_rcpt = PrivateKey::generate(KeyKind::RSA2048).unwrap();
    let ec_rcpt = PrivateKey::generate(KeyKind::P256).unwrap();
    let cases = [
        (
            "RSA-OAEP+A256CBC-HS512",
            &rsa_rcpt,
            KeyAlg::RsaOaep,
            ContentEnc::A256CbcHs512,
        ),
        (
            "ECDH-ES+A256KW+A256GCM",
            &ec_rcpt,
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
        c.bench_function(&format!("encrypt/{name}"), |b| {
            b.iter(|| encrypt(black_box(&rs_signed), &to, &eo).unwrap())
        });
        let sealed = encrypt(&rs_signed, &to, &eo).unwrap().bytes;
        let d = DecryptOptions::default();
        c.bench_function(&format!("decrypt/{name}"), |b| {
            b.iter(|| decrypt(black_box(&sealed), key, &d).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
