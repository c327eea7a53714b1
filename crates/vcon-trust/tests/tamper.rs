//! Changing any single byte of what a signature or a tag covers makes
//! verification or decryption fail: every position of the payload, the
//! protected header and the signature (as base64url text, and as decoded
//! bytes), and of the JWE's protected header, encrypted key, iv, ciphertext
//! and tag.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{key_file, unsigned, vector};
use serde_json::{Map, Value};
use vcon_trust::keys::{KeyKind, PrivateKey};
use vcon_trust::{
    DecryptOptions, EncryptOptions, Recipient, SignAlg, SignOptions, Signer, VerifyOptions,
    decrypt, encrypt, sign, verify,
};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

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

/// Every variant of `s` with one character replaced by another base64url character.
fn char_flips(s: &str) -> impl Iterator<Item = String> + '_ {
    (0..s.len()).map(move |i| {
        let mut b = s.as_bytes().to_vec();
        let at = ALPHABET.iter().position(|c| *c == b[i]).unwrap_or(0);
        b[i] = ALPHABET[(at + 1) % ALPHABET.len()];
        String::from_utf8(b).unwrap()
    })
}

/// Every variant of the decoded bytes of `s` with one byte's low bit flipped, re-encoded.
fn byte_flips(s: &str) -> impl Iterator<Item = String> {
    let bytes = b64d(s);
    (0..bytes.len()).map(move |i| {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        b64(&b)
    })
}

/// Applies `edit` to the string at `path` of `object` for each variant.
fn each_variant(
    object: &Map<String, Value>,
    path: &[&str],
    variants: impl Iterator<Item = String>,
    mut check: impl FnMut(usize, Vec<u8>),
) -> usize {
    let mut n = 0;
    for (i, v) in variants.enumerate() {
        let mut o = Value::Object(object.clone());
        let mut at = &mut o;
        for p in path {
            at = match p.parse::<usize>() {
                Ok(k) => &mut at[k],
                Err(_) => &mut at[*p],
            };
        }
        *at = Value::String(v);
        check(i, serde_json::to_vec(&o).unwrap());
        n += 1;
    }
    n
}

/// The string at `path` of `object`.
fn get(object: &Map<String, Value>, path: &[&str]) -> String {
    let root = Value::Object(object.clone());
    let mut at = &root;
    for p in path {
        at = match p.parse::<usize>() {
            Ok(k) => &at[k],
            Err(_) => &at[*p],
        };
    }
    at.as_str().unwrap().to_owned()
}

fn assert_every_flip_fails_verification(signed: &Map<String, Value>, options: &VerifyOptions) {
    assert!(
        verify(&serde_json::to_vec(signed).unwrap(), options).is_ok(),
        "untouched input verifies"
    );
    for path in [
        &["payload"][..],
        &["signatures", "0", "protected"],
        &["signatures", "0", "signature"],
    ] {
        let s = get(signed, path);
        let fail = |i: usize, bytes: Vec<u8>| {
            assert!(
                verify(&bytes, options).is_err(),
                "{path:?} position {i} still verifies"
            )
        };
        let chars = each_variant(signed, path, char_flips(&s), fail);
        let bytes = each_variant(signed, path, byte_flips(&s), fail);
        assert_eq!((chars, bytes), (s.len(), b64d(&s).len()));
    }
}

#[test]
fn any_single_byte_change_breaks_each_signature_algorithm() {
    for alg in [SignAlg::RS256, SignAlg::ES256, SignAlg::EdDSA] {
        let key = PrivateKey::generate(common::kind_for(alg)).unwrap();
        let signed = sign(
            &unsigned(),
            &[Signer::new(key.clone()).alg(alg)],
            &SignOptions::default(),
        )
        .unwrap();
        assert_every_flip_fails_verification(
            &signed.object,
            &VerifyOptions::with_public_keys(vec![key.public_key().unwrap()]),
        );
    }
}

#[test]
fn any_single_byte_change_breaks_the_draft_a6_signature() {
    let a6 = need!(vector("core03-A6-signed-jws-general.vcon"));
    let grp = vcon_trust::keys::PublicKey::from_bytes(&need!(key_file("fake_grp.crt"))).unwrap();
    let object: Map<String, Value> = serde_json::from_slice(&a6).unwrap();
    assert_every_flip_fails_verification(&object, &VerifyOptions::with_public_keys(vec![grp]));
}

#[test]
fn any_single_byte_change_breaks_decryption() {
    let signer = PrivateKey::generate(KeyKind::P256).unwrap();
    let signed = sign(&unsigned(), &[Signer::new(signer)], &SignOptions::default()).unwrap();
    let key = PrivateKey::generate(KeyKind::RSA2048).unwrap();
    let e = encrypt(
        &signed.bytes,
        &[Recipient::new(key.public_key().unwrap())],
        &EncryptOptions::default(),
    )
    .unwrap();
    let options = DecryptOptions::default();
    assert!(decrypt(&e.bytes, &key, &options).is_ok());
    for path in [
        &["protected"][..],
        &["recipients", "0", "encrypted_key"],
        &["iv"],
        &["ciphertext"],
        &["tag"],
    ] {
        let owned = get(e.object(), path);
        let fail = |i: usize, bytes: Vec<u8>| {
            assert!(
                decrypt(&bytes, &key, &options).is_err(),
                "{path:?} byte {i} still decrypts"
            )
        };
        // Decoded-byte flips everywhere; text flips on the short members.
        let n = each_variant(e.object(), path, byte_flips(&owned), fail);
        assert_eq!(n, b64d(&owned).len());
        if owned.len() < 400 {
            each_variant(e.object(), path, char_flips(&owned), fail);
        }
    }
}
