//! The only module that calls josekit: JWS signature primitives, JWE key
//! management and content encryption. Inputs and outputs are plain bytes and
//! JSON maps; errors are plain strings that the callers wrap into typed
//! errors naming the signature or recipient.

use josekit::jwe::{JweContentEncryption, JweDecrypter, JweEncrypter, JweHeader};
use josekit::jws::{JwsSigner, JwsVerifier};
use serde_json::{Map, Value};

use crate::keys::{PrivateKey, PublicKey};
use crate::{ContentEnc, KeyAlg, SignAlg};

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Signs `message` (the JWS signing input) with `key`.
pub(crate) fn sign(alg: SignAlg, key: &PrivateKey, message: &[u8]) -> Result<Vec<u8>, String> {
    let der = key.pkcs8_der().map_err(text)?;
    let signer: Box<dyn JwsSigner> = match alg {
        SignAlg::RS256 => Box::new(josekit::jws::RS256.signer_from_der(&der).map_err(text)?),
        SignAlg::PS256 => Box::new(josekit::jws::PS256.signer_from_der(&der).map_err(text)?),
        SignAlg::ES256 => Box::new(josekit::jws::ES256.signer_from_der(&der).map_err(text)?),
        SignAlg::ES384 => Box::new(josekit::jws::ES384.signer_from_der(&der).map_err(text)?),
        SignAlg::EdDSA => Box::new(josekit::jws::EdDSA.signer_from_der(&der).map_err(text)?),
    };
    signer.sign(message).map_err(text)
}

/// Checks `signature` over `message` with `key`.
pub(crate) fn verify(
    alg: SignAlg,
    key: &PublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let der = key.spki_der().map_err(text)?;
    let verifier: Box<dyn JwsVerifier> = match alg {
        SignAlg::RS256 => Box::new(josekit::jws::RS256.verifier_from_der(&der).map_err(text)?),
        SignAlg::PS256 => Box::new(josekit::jws::PS256.verifier_from_der(&der).map_err(text)?),
        SignAlg::ES256 => Box::new(josekit::jws::ES256.verifier_from_der(&der).map_err(text)?),
        SignAlg::ES384 => Box::new(josekit::jws::ES384.verifier_from_der(&der).map_err(text)?),
        SignAlg::EdDSA => Box::new(josekit::jws::EdDSA.verifier_from_der(&der).map_err(text)?),
    };
    verifier.verify(message, signature).map_err(text)
}

fn content(enc: ContentEnc) -> &'static dyn JweContentEncryption {
    match enc {
        ContentEnc::A256CbcHs512 => &josekit::jwe::enc::A256CBC_HS512,
        ContentEnc::A256Gcm => &josekit::jwe::enc::A256GCM,
    }
}

/// Content-encryption key length in bytes.
pub(crate) fn key_len(enc: ContentEnc) -> usize {
    content(enc).key_len()
}

/// Initialisation vector length in bytes.
pub(crate) fn iv_len(enc: ContentEnc) -> usize {
    content(enc).iv_len()
}

/// Cryptographically random bytes.
pub(crate) fn random(len: usize) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; len];
    openssl::rand::rand_bytes(&mut out).map_err(text)?;
    Ok(out)
}

/// Encrypts the content-encryption key for one recipient. `merged` is the
/// union of the recipient's headers; members the algorithm adds (the
/// ephemeral `epk` of ECDH-ES) are added to `recipient_header`.
pub(crate) fn wrap_key(
    alg: KeyAlg,
    key: &PublicKey,
    cek: &[u8],
    merged: &Map<String, Value>,
    recipient_header: &mut Map<String, Value>,
) -> Result<Vec<u8>, String> {
    let spki = key.spki_der().map_err(text)?;
    let encrypter: Box<dyn JweEncrypter> = match alg {
        KeyAlg::RsaOaep => Box::new(
            josekit::jwe::RSA_OAEP
                .encrypter_from_der(&spki)
                .map_err(text)?,
        ),
        KeyAlg::RsaOaep256 => Box::new(
            josekit::jwe::RSA_OAEP_256
                .encrypter_from_der(&spki)
                .map_err(text)?,
        ),
        KeyAlg::EcdhEsA256kw => Box::new(
            josekit::jwe::ECDH_ES_A256KW
                .encrypter_from_der(&spki)
                .map_err(text)?,
        ),
    };
    let in_header = JweHeader::from_map(merged.clone()).map_err(text)?;
    let mut out_header = JweHeader::from_map(recipient_header.clone()).map_err(text)?;
    let encrypted = encrypter
        .encrypt(cek, &in_header, &mut out_header)
        .map_err(text)?;
    *recipient_header = out_header.claims_set().clone();
    encrypted.ok_or_else(|| format!("{alg} produced no encrypted key"))
}

/// Recovers the content-encryption key of one recipient.
pub(crate) fn unwrap_key(
    alg: KeyAlg,
    key: &PrivateKey,
    encrypted_key: &[u8],
    enc: ContentEnc,
    merged: &Map<String, Value>,
) -> Result<Vec<u8>, String> {
    let der = key.pkcs8_der().map_err(text)?;
    let decrypter: Box<dyn JweDecrypter> = match alg {
        KeyAlg::RsaOaep => Box::new(
            josekit::jwe::RSA_OAEP
                .decrypter_from_der(&der)
                .map_err(text)?,
        ),
        KeyAlg::RsaOaep256 => Box::new(
            josekit::jwe::RSA_OAEP_256
                .decrypter_from_der(&der)
                .map_err(text)?,
        ),
        KeyAlg::EcdhEsA256kw => Box::new(
            josekit::jwe::ECDH_ES_A256KW
                .decrypter_from_der(&der)
                .map_err(text)?,
        ),
    };
    let header = JweHeader::from_map(merged.clone()).map_err(text)?;
    let cek = decrypter
        .decrypt(Some(encrypted_key), content(enc), &header)
        .map_err(text)?;
    if cek.len() != key_len(enc) {
        return Err(format!(
            "the key is {} bytes, {enc} needs {}",
            cek.len(),
            key_len(enc)
        ));
    }
    Ok(cek.into_owned())
}

/// Encrypts `plaintext`; returns `(ciphertext, tag)`.
pub(crate) fn encrypt_content(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (ciphertext, tag) = content(enc)
        .encrypt(cek, Some(iv), plaintext, aad)
        .map_err(text)?;
    Ok((ciphertext, tag.unwrap_or_default()))
}

/// Decrypts and authenticates `ciphertext`.
pub(crate) fn decrypt_content(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
    aad: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, String> {
    if iv.len() != iv_len(enc) {
        return Err(format!(
            "iv is {} bytes, {enc} needs {}",
            iv.len(),
            iv_len(enc)
        ));
    }
    content(enc)
        .decrypt(cek, Some(iv), ciphertext, aad, Some(tag))
        .map_err(text)
}
