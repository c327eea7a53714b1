//! Negative cases: each failure is refused with an error that names the
//! check, the signature or recipient, and the header member or certificate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Shape, UUID, issue, key_file, pki, unsigned};
use serde_json::{Map, Value, json};
use vcon_trust::keys::{KeyKind, PrivateKey};
use vcon_trust::x509::{ChainError, read_certificates};
use vcon_trust::{
    DecryptError, DecryptOptions, EncryptError, EncryptOptions, Recipient, SignError, SignOptions,
    Signer, VerifyError, VerifyOptions, decrypt, encrypt, sign, verify,
};

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn b64d(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn to_bytes(o: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(o).unwrap()
}

/// A vCon signed by a fresh P-256 key, and options trusting that key.
fn signed_by_key() -> (Map<String, Value>, VerifyOptions) {
    let key = PrivateKey::generate(KeyKind::P256).unwrap();
    let signed = sign(
        &unsigned(),
        &[Signer::new(key.clone())],
        &SignOptions::default(),
    )
    .unwrap();
    (
        signed.object,
        VerifyOptions::with_public_keys(vec![key.public_key().unwrap()]),
    )
}

#[test]
fn expired_intermediate_is_refused_naming_it() {
    let div_key = PrivateKey::from_bytes(&need!(key_file("expired_div.key"))).unwrap();
    let div = read_certificates(&need!(key_file("expired_div.crt")))
        .unwrap()
        .remove(0);
    let root = read_certificates(&need!(key_file("fake_ca_root.crt"))).unwrap();
    // A fresh leaf issued by the expired intermediate's key, then [leaf, expired_div].
    let leaf_key = PrivateKey::generate(KeyKind::RSA2048).unwrap();
    let leaf = issue(
        "leaf under expired_div",
        &leaf_key,
        Some((&div, &div_key)),
        Shape::default(),
    );
    let signed = sign(
        &unsigned(),
        &[Signer::with_chain(leaf_key, vec![leaf, div])],
        &SignOptions::default(),
    )
    .unwrap();
    let options = VerifyOptions {
        allow_v1_intermediates: true,
        ..VerifyOptions::with_anchors(root)
    };
    let e = verify(&signed.bytes, &options).unwrap_err();
    let VerifyError::Chain {
        index: 0,
        source:
            ChainError::Expired {
                index: 1,
                subject,
                not_after,
                ..
            },
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(subject.contains("CN=div.fakevcon.io"), "{subject}");
    assert_eq!(not_after.to_rfc3339(), "2022-05-30T21:39:31+00:00");
    assert!(
        e.to_string()
            .starts_with("/signatures/0/x5c: certificate 1 (C=US"),
        "{e}"
    );

    // Signed by expired_div itself as the leaf: certificate 0 is the expired one.
    let signed = sign(
        &unsigned(),
        &[Signer::with_chain(
            div_key,
            read_certificates(&need!(key_file("expired_div.crt"))).unwrap(),
        )],
        &SignOptions::default(),
    )
    .unwrap();
    let e = verify(&signed.bytes, &options).unwrap_err();
    assert!(
        matches!(
            e,
            VerifyError::Chain {
                source: ChainError::Expired { index: 0, .. },
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn wrong_root_is_refused() {
    let a = pki(KeyKind::P256);
    let b = pki(KeyKind::P256);
    let signed = sign(
        &unsigned(),
        &[Signer::with_chain(a.leaf_key.clone(), a.chain())],
        &SignOptions::default(),
    )
    .unwrap();
    let e = verify(
        &signed.bytes,
        &VerifyOptions::with_anchors(vec![b.root_cert.clone()]),
    )
    .unwrap_err();
    let VerifyError::Chain {
        source: ChainError::NotAnchored {
            index: 1, detail, ..
        },
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(
        detail.contains("has the issuer's name but its key did not sign it"),
        "{detail}"
    );
    // The draft's wrong root (same name, other key) is covered in draft_vectors.rs.
}

#[test]
fn header_uuid_that_differs_from_the_payload_is_refused() {
    let (mut o, options) = signed_by_key();
    o["signatures"][0]["header"]["uuid"] = json!("00000000-0000-8000-8000-000000000000");
    let e = verify(&to_bytes(&o), &options).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "/signatures/0/header/uuid: `00000000-0000-8000-8000-000000000000` differs from the payload vCon's uuid `{UUID}` (R-39)"
        )
    );
}

#[test]
fn wrong_public_key_is_refused() {
    let (o, _) = signed_by_key();
    let other = PrivateKey::generate(KeyKind::P256)
        .unwrap()
        .public_key()
        .unwrap();
    let e = verify(&to_bytes(&o), &VerifyOptions::with_public_keys(vec![other])).unwrap_err();
    assert!(
        matches!(e, VerifyError::BadSignature { index: 0, .. }),
        "{e:?}"
    );
    let rsa = PrivateKey::generate(KeyKind::RSA2048)
        .unwrap()
        .public_key()
        .unwrap();
    let e = verify(&to_bytes(&o), &VerifyOptions::with_public_keys(vec![rsa])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/signatures/0: none of the 1 given public key(s) fits alg ES256"
    );
    let e = verify(&to_bytes(&o), &VerifyOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("has neither x5c nor x5u (R-39), and no public key was given"),
        "{e}"
    );
}

fn with_protected(o: &mut Map<String, Value>, header: Value) {
    o["signatures"][0]["protected"] = Value::String(b64(&serde_json::to_vec(&header).unwrap()));
}

#[test]
fn unsupported_or_forbidden_algorithms_and_crit_are_refused() {
    let (mut o, options) = signed_by_key();
    for alg in ["HS256", "none", "RS512", "es256"] {
        with_protected(&mut o, json!({"alg": alg}));
        let e = verify(&to_bytes(&o), &options).unwrap_err();
        assert_eq!(
            e,
            VerifyError::UnsupportedAlg {
                index: 0,
                alg: alg.into(),
                location: "protected"
            },
            "{alg}"
        );
    }
    with_protected(
        &mut o,
        json!({"alg": "ES256", "crit": ["b64"], "b64": false}),
    );
    let e = verify(&to_bytes(&o), &options).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/signatures/0: crit names header parameter(s) this verifier does not understand: b64"
    );
    with_protected(&mut o, json!({"alg": "ES256"}));
    o["signatures"][0]["header"]["alg"] = json!("RS256");
    let e = verify(&to_bytes(&o), &options).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/signatures/0/header/alg: differs from /signatures/0/protected/alg"),
        "{e}"
    );
    let mut only = options.clone();
    only.allowed_algs = vec![vcon_trust::SignAlg::RS256];
    let (o, _) = signed_by_key();
    assert!(matches!(
        verify(
            &to_bytes(&o),
            &VerifyOptions {
                public_keys: options.public_keys.clone(),
                ..only
            }
        )
        .unwrap_err(),
        VerifyError::AlgNotAllowed { .. }
    ));
}

#[test]
fn malformed_envelopes_name_the_member() {
    let (o, options) = signed_by_key();
    type Edit = Box<dyn Fn(&mut Map<String, Value>)>;
    let cases: [(&str, Edit); 5] = [
        (
            "/signatures: must not be empty (R-39)",
            Box::new(|o| o["signatures"] = json!([])),
        ),
        (
            "/signatures/0/protected: is missing",
            Box::new(|o| {
                o["signatures"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("protected");
            }),
        ),
        (
            "/signatures/0/signature: not unpadded base64url",
            Box::new(|o| o["signatures"][0]["signature"] = json!("ab==")),
        ),
        (
            "/payload: must be a string (R-39)",
            Box::new(|o| o["payload"] = json!(5)),
        ),
        (
            "/signatures/0/protected: decoded header is not a JSON object",
            Box::new(|o| o["signatures"][0]["protected"] = json!(b64(b"[1]"))),
        ),
    ];
    for (want, edit) in cases {
        let mut bad = o.clone();
        edit(&mut bad);
        let e = verify(&to_bytes(&bad), &options).unwrap_err().to_string();
        assert!(e.starts_with(want), "{e} / {want}");
    }
    let e = verify(br#"{"parties":[]}"#, &options)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "not a signed vCon (JWS General JSON with payload and signatures): the input is unsigned"
    );
    let mut not_vcon = o.clone();
    not_vcon["payload"] = json!(b64(br#"{"text":"hi"}"#));
    let e = verify(&to_bytes(&not_vcon), &options).unwrap_err();
    assert!(
        matches!(e, VerifyError::BadSignature { .. }),
        "the signature is checked before the payload is read: {e}"
    );
}

#[test]
fn signing_and_encrypting_refuse_the_wrong_form() {
    let key = PrivateKey::generate(KeyKind::P256).unwrap();
    let signed = sign(
        &unsigned(),
        &[Signer::new(key.clone())],
        &SignOptions::default(),
    )
    .unwrap();
    let e = sign(
        &signed.object,
        &[Signer::new(key.clone())],
        &SignOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        SignError::NotUnsigned {
            found: Some(vcon_core::Form::Signed)
        }
    );
    let mut no_uuid = unsigned();
    no_uuid.remove("uuid");
    assert_eq!(
        sign(&no_uuid, &[Signer::new(key)], &SignOptions::default()).unwrap_err(),
        SignError::MissingUuid
    );

    let rsa = PrivateKey::generate(KeyKind::RSA2048).unwrap();
    let r = [Recipient::new(rsa.public_key().unwrap())];
    let e = encrypt(&to_bytes(&unsigned()), &r, &EncryptOptions::default()).unwrap_err();
    assert_eq!(
        e,
        EncryptError::NotSigned {
            found: Some(vcon_core::Form::Unsigned)
        }
    );
    assert!(e.to_string().contains("sign first"), "{e}");
    let ed = PrivateKey::generate(KeyKind::Ed25519).unwrap();
    let e = encrypt(
        &signed.bytes,
        &[Recipient::new(ed.public_key().unwrap())],
        &EncryptOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, EncryptError::KeyAlgMismatch { recipient: 0, .. }),
        "{e}"
    );
}

fn encrypted() -> (Map<String, Value>, PrivateKey) {
    let (o, _) = signed_by_key();
    let key = PrivateKey::generate(KeyKind::RSA2048).unwrap();
    let e = encrypt(
        &to_bytes(&o),
        &[Recipient::new(key.public_key().unwrap())],
        &EncryptOptions::default(),
    )
    .unwrap();
    (e.into_object(), key)
}

#[test]
fn truncated_or_altered_ciphertext_is_refused() {
    let (o, key) = encrypted();
    let ct = b64d(o["ciphertext"].as_str().unwrap());
    for cut in [16, 1, ct.len()] {
        let mut bad = o.clone();
        bad["ciphertext"] = json!(b64(&ct[..ct.len() - cut]));
        let e = decrypt(&to_bytes(&bad), &key, &DecryptOptions::default()).unwrap_err();
        assert!(
            matches!(e, DecryptError::Content { .. }),
            "cut {cut}: {e:?}"
        );
        assert!(
            e.to_string()
                .starts_with("/ciphertext: A256CBC-HS512 decryption failed"),
            "{e}"
        );
    }
    let mut bad = o.clone();
    bad["tag"] = json!(b64(&b64d(o["tag"].as_str().unwrap())[..16]));
    assert!(matches!(
        decrypt(&to_bytes(&bad), &key, &DecryptOptions::default()).unwrap_err(),
        DecryptError::Content { .. }
    ));
    let mut bad = o.clone();
    bad.remove("iv");
    assert_eq!(
        decrypt(&to_bytes(&bad), &key, &DecryptOptions::default())
            .unwrap_err()
            .to_string(),
        "/iv: is missing (R-41)"
    );
}

#[test]
fn decrypt_checks_uuid_algorithms_and_form() {
    let (o, key) = encrypted();
    let mut bad = o.clone();
    bad["unprotected"]["uuid"] = json!("00000000-0000-8000-8000-000000000000");
    let e = decrypt(&to_bytes(&bad), &key, &DecryptOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "/unprotected/uuid: `00000000-0000-8000-8000-000000000000` differs from the decrypted vCon's uuid `{UUID}` at /signatures/0/header/uuid (R-41)"
        )
    );
    let mut bad = o.clone();
    bad["recipients"][0]["header"] = json!({"alg": "RSA1_5"});
    bad["protected"] = json!(b64(br#"{"enc":"A256CBC-HS512"}"#));
    let e = decrypt(&to_bytes(&bad), &key, &DecryptOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/recipients/0/header/alg: alg `RSA1_5` is not supported"),
        "{e}"
    );
    let mut bad = o.clone();
    bad["unprotected"]["enc"] = json!("A128GCM");
    let e = decrypt(&to_bytes(&bad), &key, &DecryptOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/unprotected/enc: differs from /protected/enc"),
        "{e}"
    );

    // An encrypted unsigned vCon (made by hand: `encrypt` refuses to) is refused after decryption.
    let plain = to_bytes(&unsigned());
    let rsa = key.public_key().unwrap();
    let spki = rsa.spki_der().unwrap();
    let enc = josekit::jwe::RSA_OAEP.encrypter_from_der(&spki).unwrap();
    let mut header = josekit::jwe::JweHeader::new();
    header.set_content_encryption("A256CBC-HS512");
    let compact = josekit::jwe::serialize_compact(&plain, &header, &enc).unwrap();
    let parts: Vec<&str> = compact.split('.').collect();
    let jwe = json!({"protected": parts[0], "unprotected": {"uuid": UUID, "cty": "application/vcon"},
        "recipients": [{"encrypted_key": parts[1]}], "iv": parts[2], "ciphertext": parts[3], "tag": parts[4]});
    let e = decrypt(
        &serde_json::to_vec(&jwe).unwrap(),
        &key,
        &DecryptOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the decrypted plaintext is not a signed vCon: it is unsigned (R-41)"
    );
    let lax = DecryptOptions {
        require_signed: false,
        ..DecryptOptions::default()
    };
    let d = decrypt(&serde_json::to_vec(&jwe).unwrap(), &key, &lax).unwrap();
    assert_eq!(d.signed_bytes, plain);
    assert!(
        d.warnings
            .iter()
            .any(|w| w.message.contains("not a signed vCon"))
    );
}

/// Under the strict policy webpki checks the certificate signatures; when
/// it refuses one, the link checks name the certificate: here the leaf of
/// one PKI under the (same-named) intermediate of another.
#[test]
fn a_certificate_not_signed_by_its_issuer_is_named() {
    let a = pki(KeyKind::P256);
    let b = pki(KeyKind::P256);
    let chain = vec![a.leaf_cert.clone(), b.intermediate_cert.clone()];
    let signed = sign(
        &unsigned(),
        &[Signer::with_chain(a.leaf_key.clone(), chain)],
        &SignOptions::default(),
    )
    .unwrap();
    let e = verify(
        &signed.bytes,
        &VerifyOptions::with_anchors(vec![b.root_cert.clone()]),
    )
    .unwrap_err();
    let VerifyError::Chain {
        source:
            ChainError::BadSignature {
                index: 0,
                issuer_index: 1,
                ..
            },
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(e.to_string().contains("certificate 0"), "{e}");
}
