//! Round trips: every signature algorithm, every key-management ×
//! content-encryption pair, several signatures, several recipients, gzip,
//! nesting, header layouts. No shared files needed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{UUID, issue, kind_for, pki, unsigned};
use serde_json::Value;
use vcon_trust::keys::{KeyKind, PrivateKey};
use vcon_trust::x509::ChainPolicy;
use vcon_trust::{
    ContentEnc, DecryptOptions, EncryptOptions, HeaderLayout, KeyAlg, Recipient, SignAlg,
    SignOptions, Signer, SignerTrust, UpdatedAt, VerifyError, VerifyOptions, add_signatures,
    decrypt, encrypt, sign, verify, wrap,
};

fn b64d(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn protected_of(signed: &serde_json::Map<String, Value>, i: usize) -> Value {
    serde_json::from_slice(&b64d(
        signed["signatures"][i]["protected"].as_str().unwrap(),
    ))
    .unwrap()
}

#[test]
fn every_signature_algorithm_signs_and_verifies_through_a_strict_chain() {
    for alg in SignAlg::ALL {
        let pki = pki(kind_for(alg));
        let signer = Signer::with_chain(pki.leaf_key.clone(), pki.chain()).alg(alg);
        let signed = sign(&unsigned(), &[signer], &SignOptions::default()).unwrap();
        assert_eq!(
            protected_of(&signed.object, 0),
            serde_json::json!({"alg": alg.name()}),
            "{alg}"
        );
        let header = &signed.object["signatures"][0]["header"];
        assert_eq!(header["uuid"], UUID);
        assert_eq!(header["x5c"].as_array().unwrap().len(), 2);

        let v = verify(
            &signed.bytes,
            &VerifyOptions::with_anchors(vec![pki.root_cert.clone()]),
        )
        .unwrap();
        let s = &v.layers[0].signers[0];
        assert_eq!(s.alg, alg);
        assert!(
            matches!(
                &s.trust,
                SignerTrust::Chain {
                    policy: ChainPolicy::Strict,
                    ..
                }
            ),
            "{alg}"
        );
        assert!(s.leaf_subject().unwrap().contains("CN=signer.vcon.example"));
        assert!(v.warnings.is_empty(), "{alg}: {:?}", v.warnings);
        let mut expected = unsigned();
        expected.insert("updated_at".into(), v.vcon()["updated_at"].clone());
        assert_eq!(v.vcon(), &expected);
        assert_eq!(
            serde_json::from_slice::<Value>(&v.vcon_bytes).unwrap(),
            Value::Object(expected)
        );
    }
}

#[test]
fn a_key_that_does_not_fit_the_alg_is_refused_when_signing() {
    let key = PrivateKey::generate(KeyKind::P256).unwrap();
    let e = sign(
        &unsigned(),
        &[Signer::new(key).alg(SignAlg::RS256)],
        &SignOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "signer 0: a EC P-256 key cannot sign with RS256"
    );
}

/// The leaf must certify the signing key, for every key type, also once
/// both keys' thumbprints are kept (the comparison is made on them).
#[test]
fn a_chain_for_another_key_is_refused_when_signing() {
    for kind in [
        KeyKind::RSA2048,
        KeyKind::P256,
        KeyKind::P384,
        KeyKind::Ed25519,
    ] {
        let pki = pki(kind);
        let other = PrivateKey::generate(kind).unwrap();
        let ours = [Signer::with_chain(pki.leaf_key.clone(), pki.chain())];
        let theirs = [Signer::with_chain(other, pki.chain())];
        for _ in 0..2 {
            sign(&unsigned(), &ours, &SignOptions::default()).unwrap();
            let e = sign(&unsigned(), &theirs, &SignOptions::default()).unwrap_err();
            assert!(
                e.to_string().contains("does not certify the signing key"),
                "{kind}: {e}"
            );
        }
    }
}

#[test]
fn updated_at_is_set_before_signing() {
    let key = PrivateKey::generate(KeyKind::P256).unwrap();
    let pubkey = key.public_key().unwrap();
    let at = "2026-07-01T10:00:00+02:00".parse().unwrap();
    let options = SignOptions {
        updated_at: UpdatedAt::At(at),
        ..SignOptions::default()
    };
    let signed = sign(&unsigned(), &[Signer::new(key.clone())], &options).unwrap();
    let v = verify(
        &signed.bytes,
        &VerifyOptions::with_public_keys(vec![pubkey.clone()]),
    )
    .unwrap();
    assert_eq!(v.vcon()["updated_at"], "2026-07-01T08:00:00.000Z");
    let keys: Vec<&str> = v.vcon().keys().map(String::as_str).collect();
    assert_eq!(
        &keys[..3],
        ["uuid", "created_at", "updated_at"],
        "placed after created_at"
    );

    let options = SignOptions {
        updated_at: UpdatedAt::Keep,
        ..SignOptions::default()
    };
    let signed = sign(&unsigned(), &[Signer::new(key.clone())], &options).unwrap();
    let v = verify(
        &signed.bytes,
        &VerifyOptions::with_public_keys(vec![pubkey.clone()]),
    )
    .unwrap();
    assert!(!v.vcon().contains_key("updated_at"));

    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let signed = sign(&unsigned(), &[Signer::new(key)], &SignOptions::default()).unwrap();
    let v = verify(
        &signed.bytes,
        &VerifyOptions::with_public_keys(vec![pubkey]),
    )
    .unwrap();
    let stamp: chrono::DateTime<chrono::Utc> =
        v.vcon()["updated_at"].as_str().unwrap().parse().unwrap();
    assert!(stamp >= before, "now, RFC 3339");
}

#[test]
fn several_signatures_at_once_and_by_co_signing_all_verify() {
    let rsa = pki(KeyKind::RSA2048);
    let ed = PrivateKey::generate(KeyKind::Ed25519).unwrap();
    let signers = [
        Signer::with_chain(rsa.leaf_key.clone(), rsa.chain()),
        Signer::new(ed.clone()),
    ];
    let signed = sign(&unsigned(), &signers, &SignOptions::default()).unwrap();
    let options = VerifyOptions {
        public_keys: vec![ed.public_key().unwrap()],
        ..VerifyOptions::with_anchors(vec![rsa.root_cert.clone()])
    };
    let v = verify(&signed.bytes, &options).unwrap();
    let signers = &v.layers[0].signers;
    assert_eq!(signers.len(), 2);
    assert!(matches!(signers[0].trust, SignerTrust::Chain { .. }));
    assert!(matches!(
        signers[1].trust,
        SignerTrust::PublicKey { key_index: 0, .. }
    ));
    assert_eq!(signers[1].alg, SignAlg::EdDSA);

    // Co-sign: a third signature over the same payload, existing ones untouched.
    let p384 = pki(KeyKind::P384);
    let cosigned = add_signatures(
        &signed.bytes,
        &[Signer::with_chain(p384.leaf_key.clone(), p384.chain())],
        &SignOptions::default(),
    )
    .unwrap();
    assert_eq!(cosigned.object["payload"], signed.object["payload"]);
    assert_eq!(
        cosigned.object["signatures"][0],
        signed.object["signatures"][0]
    );
    let mut options = options;
    options.anchors.push(p384.root_cert.clone());
    let v = verify(&cosigned.bytes, &options).unwrap();
    assert_eq!(v.layers[0].signers.len(), 3);
    assert_eq!(v.layers[0].signers[2].alg, SignAlg::ES384);

    // Every signature must verify: without the Ed25519 key, signature 1 has no trust.
    options.public_keys.clear();
    let e = verify(&cosigned.bytes, &options).unwrap_err();
    assert!(matches!(e, VerifyError::NoTrust { index: 1, .. }), "{e}");
}

#[test]
fn gzip_payloads_and_nested_layers_unwrap() {
    let key = PrivateKey::generate(KeyKind::P256).unwrap();
    let options = VerifyOptions::with_public_keys(vec![key.public_key().unwrap()]);
    let gz = SignOptions {
        gzip: true,
        ..SignOptions::default()
    };
    let signed = sign(&unsigned(), &[Signer::new(key.clone())], &gz).unwrap();
    assert_eq!(
        &b64d(signed.object["payload"].as_str().unwrap())[..2],
        [0x1f, 0x8b]
    );
    let v = verify(&signed.bytes, &options).unwrap();
    assert!(v.layers[0].gzipped);
    assert_eq!(v.uuid.as_deref(), Some(UUID));

    // Long-term re-signing: the signed vCon becomes the payload of a new JWS.
    let outer = wrap(
        &signed.bytes,
        &[Signer::new(key.clone())],
        &SignOptions::default(),
    )
    .unwrap();
    assert_eq!(outer.object["signatures"][0]["header"]["uuid"], UUID);
    let v = verify(&outer.bytes, &options).unwrap();
    assert_eq!(v.layers.len(), 2);
    assert!(!v.layers[0].gzipped && v.layers[1].gzipped);
    assert_eq!(v.vcon()["uuid"], UUID);

    let twice = wrap(&outer.bytes, &[Signer::new(key)], &SignOptions::default()).unwrap();
    let shallow = VerifyOptions {
        max_nesting: 2,
        ..options
    };
    assert_eq!(
        verify(&twice.bytes, &shallow).unwrap_err(),
        VerifyError::TooDeep { max: 2 }
    );
}

#[test]
fn draft_a6_layout_repeats_members_and_still_verifies() {
    let pki = pki(KeyKind::RSA2048);
    let options = SignOptions {
        layout: HeaderLayout::DraftA6,
        ..SignOptions::default()
    };
    let signed = sign(
        &unsigned(),
        &[Signer::with_chain(pki.leaf_key.clone(), pki.chain())],
        &options,
    )
    .unwrap();
    let protected = protected_of(&signed.object, 0);
    assert_eq!(protected["typ"], "JWT");
    assert_eq!(
        protected["x5c"],
        signed.object["signatures"][0]["header"]["x5c"]
    );
    assert_eq!(signed.object["signatures"][0]["header"]["alg"], "RS256");
    let v = verify(
        &signed.bytes,
        &VerifyOptions::with_anchors(vec![pki.root_cert.clone()]),
    )
    .unwrap();
    assert_eq!(
        v.warnings.len(),
        2,
        "alg and x5c repeated: {:?}",
        v.warnings
    );
}

#[test]
fn the_default_layout_is_accepted_by_josekit_as_is_and_the_a6_layout_is_not() {
    use josekit::jws::{JwsContext, RS256};
    let pki = pki(KeyKind::RSA2048);
    let spki = pki.leaf_key.public_key().unwrap().spki_der().unwrap();
    let verifier = RS256.verifier_from_der(&spki).unwrap();
    let signer = Signer::with_chain(pki.leaf_key.clone(), pki.chain());
    let signed = sign(
        &unsigned(),
        std::slice::from_ref(&signer),
        &SignOptions::default(),
    )
    .unwrap();
    let (payload, _) = JwsContext::new()
        .deserialize_json(&signed.bytes, &verifier)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&payload).unwrap()["uuid"],
        UUID
    );

    // What the PyPI `vcon` library does: signatures[0] as a compact JWS.
    let s = &signed.object["signatures"][0];
    let compact = format!(
        "{}.{}.{}",
        s["protected"].as_str().unwrap(),
        signed.object["payload"].as_str().unwrap(),
        s["signature"].as_str().unwrap()
    );
    assert!(josekit::jws::deserialize_compact(&compact, &verifier).is_ok());

    let a6 = SignOptions {
        layout: HeaderLayout::DraftA6,
        ..SignOptions::default()
    };
    let signed = sign(&unsigned(), &[signer], &a6).unwrap();
    let e = JwsContext::new()
        .deserialize_json(&signed.bytes, &verifier)
        .unwrap_err();
    assert!(e.to_string().contains("duplicate"), "{e}");
}

fn recipient_kind(alg: KeyAlg) -> KeyKind {
    match alg {
        KeyAlg::RsaOaep | KeyAlg::RsaOaep256 => KeyKind::RSA2048,
        KeyAlg::EcdhEsA256kw => KeyKind::P256,
    }
}

fn signed_bytes() -> (Vec<u8>, PrivateKey) {
    let key = PrivateKey::generate(KeyKind::P256).unwrap();
    let signed = sign(
        &unsigned(),
        &[Signer::new(key.clone())],
        &SignOptions::default(),
    )
    .unwrap();
    (signed.bytes, key)
}

#[test]
fn every_key_management_and_content_encryption_pair_round_trips() {
    let (signed, signing_key) = signed_bytes();
    for enc in ContentEnc::ALL {
        for alg in KeyAlg::ALL {
            for kind in [recipient_kind(alg), KeyKind::P384] {
                if !kind.fits_key_alg(alg) {
                    continue;
                }
                let key = PrivateKey::generate(kind).unwrap();
                let r = Recipient::new(key.public_key().unwrap()).alg(alg);
                let options = EncryptOptions {
                    enc,
                    ..EncryptOptions::default()
                };
                let e = encrypt(&signed, &[r], &options).unwrap();
                // Written straight from the parts, the text is still
                // serde_json's pretty layout of the object.
                assert_eq!(
                    e.bytes,
                    serde_json::to_vec_pretty(e.object()).unwrap(),
                    "{alg}/{enc}/{kind}"
                );
                let p: Value =
                    serde_json::from_slice(&b64d(e.object()["protected"].as_str().unwrap()))
                        .unwrap();
                assert_eq!(
                    p,
                    serde_json::json!({"alg": alg.name(), "enc": enc.name()}),
                    "{alg}/{enc}"
                );
                assert_eq!(
                    e.object()["unprotected"],
                    serde_json::json!({"uuid": UUID, "cty": "application/vcon"})
                );
                let d = decrypt(&e.bytes, &key, &DecryptOptions::default()).unwrap();
                assert_eq!(d.signed_bytes, signed, "{alg}/{enc}/{kind}");
                let want: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_slice(&signed).unwrap();
                assert_eq!(
                    d.signed(),
                    &want,
                    "{alg}/{enc}/{kind}: the plaintext as a map"
                );
                assert_eq!((d.alg, d.enc, d.uuid.as_deref()), (alg, enc, Some(UUID)));
                assert!(d.warnings.is_empty(), "{:?}", d.warnings);
                let v = verify(
                    &d.signed_bytes,
                    &VerifyOptions::with_public_keys(vec![signing_key.public_key().unwrap()]),
                )
                .unwrap();
                assert_eq!(v.uuid.as_deref(), Some(UUID));
            }
        }
    }
}

#[test]
fn several_recipients_each_decrypt_and_others_do_not() {
    let (signed, _) = signed_bytes();
    let rsa = PrivateKey::generate(KeyKind::RSA2048)
        .unwrap()
        .with_kid("rsa-1");
    let ec = PrivateKey::generate(KeyKind::P384).unwrap();
    let recipients = [
        Recipient::new(rsa.public_key().unwrap()),
        Recipient::new(ec.public_key().unwrap()),
    ];
    let e = encrypt(&signed, &recipients, &EncryptOptions::default()).unwrap();
    assert_eq!(e.bytes, serde_json::to_vec_pretty(e.object()).unwrap());
    let rs = e.object()["recipients"].as_array().unwrap();
    assert_eq!(
        rs[0]["header"],
        serde_json::json!({"alg": "RSA-OAEP", "kid": "rsa-1"}),
        "mixed algs go per recipient"
    );
    assert_eq!(rs[1]["header"]["alg"], "ECDH-ES+A256KW");
    assert!(rs[1]["header"]["epk"].is_object());
    assert_eq!(
        decrypt(&e.bytes, &rsa, &DecryptOptions::default())
            .unwrap()
            .recipient,
        0
    );
    assert_eq!(
        decrypt(&e.bytes, &ec, &DecryptOptions::default())
            .unwrap()
            .recipient,
        1
    );
    let stranger = PrivateKey::generate(KeyKind::RSA2048).unwrap();
    let err = decrypt(&e.bytes, &stranger, &DecryptOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("recipient 0: kid") || err.contains("recipient 0 (RSA-OAEP)"),
        "{err}"
    );
    assert!(
        err.contains("recipient 1: ECDH-ES+A256KW needs another key type"),
        "{err}"
    );

    // Same algorithm for all: alg moves to the protected header.
    let other = PrivateKey::generate(KeyKind::RSA2048).unwrap();
    let recipients = [
        Recipient::new(other.public_key().unwrap()),
        Recipient::new(stranger.public_key().unwrap()),
    ];
    let e = encrypt(&signed, &recipients, &EncryptOptions::default()).unwrap();
    let p: Value =
        serde_json::from_slice(&b64d(e.object()["protected"].as_str().unwrap())).unwrap();
    assert_eq!(p["alg"], "RSA-OAEP");
    assert!(e.object()["recipients"][0].get("header").is_none());
    assert_eq!(
        decrypt(&e.bytes, &stranger, &DecryptOptions::default())
            .unwrap()
            .recipient,
        1
    );
}

#[test]
fn a_gzip_signed_vcon_is_encrypted_with_the_gzip_cty() {
    let (signed, _) = signed_bytes();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &signed).unwrap();
    let gz = gz.finish().unwrap();
    let key = PrivateKey::generate(KeyKind::RSA2048).unwrap();
    let e = encrypt(
        &gz,
        &[Recipient::new(key.public_key().unwrap())],
        &EncryptOptions::default(),
    )
    .unwrap();
    assert_eq!(e.object()["unprotected"]["cty"], "application/vcon+gzip");
    let d = decrypt(&e.bytes, &key, &DecryptOptions::default()).unwrap();
    assert_eq!(d.signed_bytes, gz);
    assert_eq!(d.uuid.as_deref(), Some(UUID));
    // The map is the inflated plaintext, parsed on first use.
    let want: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&signed).unwrap();
    assert_eq!(d.signed(), &want);
    assert_eq!(d.clone().into_signed(), want);
}

#[test]
fn certificates_with_unusual_shapes_are_judged_by_the_policy() {
    // A generated v1 intermediate: strict refuses, the opt-in accepts with a warning.
    let root_key = PrivateKey::generate(KeyKind::P256).unwrap();
    let root = issue(
        "root",
        &root_key,
        None,
        common::Shape {
            ca: Some(true),
            ..Default::default()
        },
    );
    let int_key = PrivateKey::generate(KeyKind::P256).unwrap();
    let v1 = issue(
        "v1 intermediate",
        &int_key,
        Some((&root, &root_key)),
        common::Shape {
            v1: true,
            ..Default::default()
        },
    );
    let leaf_key = PrivateKey::generate(KeyKind::P256).unwrap();
    let leaf = issue(
        "leaf",
        &leaf_key,
        Some((&v1, &int_key)),
        common::Shape::default(),
    );
    let signed = sign(
        &unsigned(),
        &[Signer::with_chain(leaf_key.clone(), vec![leaf.clone(), v1])],
        &SignOptions::default(),
    )
    .unwrap();
    let strict = VerifyOptions::with_anchors(vec![root.clone()]);
    let e = verify(&signed.bytes, &strict).unwrap_err().to_string();
    assert!(
        e.contains("certificate 1 (CN=v1 intermediate) cannot act as a CA"),
        "{e}"
    );
    let lenient = VerifyOptions {
        allow_v1_intermediates: true,
        ..strict.clone()
    };
    let v = verify(&signed.bytes, &lenient).unwrap();
    assert!(v.warnings.iter().any(|w| {
        w.message
            .contains("accepted as a CA only because allow_v1_intermediates")
    }));

    // CA:FALSE intermediates are refused even by the opt-in policy.
    let not_ca = issue(
        "not a CA",
        &int_key,
        Some((&root, &root_key)),
        common::Shape {
            ca: Some(false),
            ..Default::default()
        },
    );
    let leaf = issue(
        "leaf",
        &leaf_key,
        Some((&not_ca, &int_key)),
        common::Shape::default(),
    );
    let signed = sign(
        &unsigned(),
        &[Signer::with_chain(leaf_key.clone(), vec![leaf, not_ca])],
        &SignOptions::default(),
    )
    .unwrap();
    let e = verify(&signed.bytes, &lenient).unwrap_err().to_string();
    assert!(
        e.contains(
            "certificate 1 (CN=not a CA) cannot act as a CA: basicConstraints says CA:FALSE"
        ),
        "{e}"
    );

    // A leaf whose keyUsage only allows certificate signing cannot sign vCons.
    let ca = issue(
        "int",
        &int_key,
        Some((&root, &root_key)),
        common::Shape {
            ca: Some(true),
            ..Default::default()
        },
    );
    let bad_leaf = issue(
        "cert-sign leaf",
        &leaf_key,
        Some((&ca, &int_key)),
        common::Shape {
            cert_sign_only: Some(true),
            ..Default::default()
        },
    );
    let signed = sign(
        &unsigned(),
        &[Signer::with_chain(leaf_key, vec![bad_leaf, ca])],
        &SignOptions::default(),
    )
    .unwrap();
    let e = verify(&signed.bytes, &strict).unwrap_err().to_string();
    assert!(
        e.contains("allows neither digitalSignature nor nonRepudiation"),
        "{e}"
    );
}
