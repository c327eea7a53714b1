//! The cryptographic primitives: JWS signatures (OpenSSL, on the keys as
//! parsed), JWE key management (RSA-OAEP here, ECDH-ES+A256KW in
//! [`super::ecdh`]; OpenSSL) and content encryption ([`super::content`],
//! OpenSSL). Inputs and outputs are plain bytes and JSON maps; errors are
//! plain strings that the callers wrap into typed errors naming the
//! signature or recipient.

use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::md::Md;
use openssl::pkey_ctx::{PkeyCtx, PkeyCtxRef};
use openssl::rsa::Padding;
use openssl::sign::RsaPssSaltlen;
use serde_json::{Map, Value};

use crate::keys::{PrivateKey, PublicKey, ops};
use crate::{ContentEnc, KeyAlg, SignAlg};

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// `DigestInfo` of SHA-256 (RFC 8017 §9.2 note 1): the prefix of the hash
/// in a PKCS#1 v1.5 signature block.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The digest `alg` signs (EdDSA hashes internally: `None`). The `sha2`
/// crate (SHA-NI where the CPU has it): OpenSSL 3.0's one-shot `SHA256()`
/// looks the algorithm up in its provider tables on every call.
fn hash(alg: SignAlg, message: &[u8]) -> Option<Vec<u8>> {
    use sha2::Digest as _;
    match alg {
        SignAlg::RS256 | SignAlg::PS256 | SignAlg::ES256 => {
            Some(sha2::Sha256::digest(message).to_vec())
        }
        SignAlg::ES384 => Some(sha2::Sha384::digest(message).to_vec()),
        SignAlg::EdDSA => None,
    }
}

fn wrong_key(alg: SignAlg) -> String {
    format!("the key does not fit {alg}")
}

/// Signs `message` (the JWS signing input) with `key`.
///
/// OpenSSL is called on the key as already parsed, through what the key
/// keeps ready ([`crate::keys::ops`]): exporting and re-parsing it for each
/// signature (as josekit's `signer_from_der` does) costs OpenSSL 3.0's
/// decoders several times the signature itself, and setting up an `EVP`
/// context costs a tenth of an RSA verification.
pub(crate) fn sign(alg: SignAlg, key: &PrivateKey, message: &[u8]) -> Result<Vec<u8>, String> {
    let ops = key.ops();
    match (alg, hash(alg, message)) {
        (SignAlg::ES256 | SignAlg::ES384, Some(digest)) => {
            let ec = ops.ec.as_ref().ok_or_else(|| wrong_key(alg))?;
            let sig = EcdsaSig::sign(&digest, ec).map_err(text)?;
            let n = ec_len(alg).ok_or_else(|| wrong_key(alg))?;
            // JWS wants R || S, each left-padded to the curve size (RFC 7518 §3.4).
            let n = i32::try_from(n).map_err(text)?;
            let mut out = sig.r().to_vec_padded(n).map_err(text)?;
            out.extend(sig.s().to_vec_padded(n).map_err(text)?);
            Ok(out)
        }
        (SignAlg::RS256, Some(digest)) => {
            let rsa = ops.rsa.as_ref().ok_or_else(|| wrong_key(alg))?;
            let mut block = Vec::with_capacity(SHA256_DIGEST_INFO.len() + digest.len());
            block.extend_from_slice(&SHA256_DIGEST_INFO);
            block.extend_from_slice(&digest);
            let mut out = vec![0; rsa.size() as usize];
            let n = rsa
                .private_encrypt(&block, &mut out, Padding::PKCS1)
                .map_err(text)?;
            out.truncate(n);
            Ok(out)
        }
        (SignAlg::PS256, Some(digest)) => {
            let mut out = Vec::new();
            ops::with_context(
                &ops.pss,
                || {
                    let mut ctx = PkeyCtx::new(key.pkey())?;
                    ctx.sign_init()?;
                    pss_ctx(&mut ctx)?;
                    Ok(ctx)
                },
                |ctx| ctx.sign_to_vec(&digest, &mut out),
            )
            .map_err(text)?;
            Ok(out)
        }
        (SignAlg::EdDSA, None) => {
            let mut out = Vec::new();
            ops::with_context(
                &ops.ed,
                || ops::ed_sign_ctx(key.pkey()),
                |ctx| ctx.digest_sign_to_vec(message, &mut out),
            )
            .map_err(text)?;
            Ok(out)
        }
        _ => Err(wrong_key(alg)),
    }
}

/// Checks `signature` over `message` with `key`.
pub(crate) fn verify(
    alg: SignAlg,
    key: &PublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let ops = key.ops();
    let ok = match (alg, hash(alg, message)) {
        (SignAlg::ES256 | SignAlg::ES384, Some(digest)) => {
            let n = ec_len(alg).ok_or_else(|| wrong_key(alg))?;
            if signature.len() != 2 * n {
                return Err(format!(
                    "an {alg} signature is {} bytes (R || S), not {}",
                    2 * n,
                    signature.len()
                ));
            }
            let ec = ops.ec.as_ref().ok_or_else(|| wrong_key(alg))?;
            let r = BigNum::from_slice(&signature[..n]).map_err(text)?;
            let s = BigNum::from_slice(&signature[n..]).map_err(text)?;
            EcdsaSig::from_private_components(r, s)
                .and_then(|sig| sig.verify(&digest, ec))
                .map_err(text)?
        }
        (SignAlg::RS256, Some(digest)) => {
            let rsa = ops.rsa.as_ref().ok_or_else(|| wrong_key(alg))?;
            let size = rsa.size() as usize;
            if signature.len() != size {
                return Err(format!(
                    "an {alg} signature with this key is {size} bytes, not {}",
                    signature.len()
                ));
            }
            let mut block = vec![0; size];
            // A block without valid type-1 padding is a mismatch, not an error.
            match rsa.public_decrypt(signature, &mut block, Padding::PKCS1) {
                Ok(n) => {
                    block
                        .get(..n)
                        .and_then(|b| b.strip_prefix(&SHA256_DIGEST_INFO[..]))
                        == Some(&digest[..])
                }
                Err(_) => false,
            }
        }
        (SignAlg::PS256, Some(digest)) => ops::with_context(
            &ops.pss,
            || {
                let mut ctx = PkeyCtx::new(key.pkey())?;
                ctx.verify_init()?;
                pss_ctx(&mut ctx)?;
                Ok(ctx)
            },
            |ctx| ctx.verify(&digest, signature),
        )
        .unwrap_or(false),
        (SignAlg::EdDSA, None) => ops::with_context(
            &ops.ed,
            || ops::ed_verify_ctx(key.pkey()),
            |ctx| ctx.digest_verify(message, signature),
        )
        .unwrap_or(false),
        _ => return Err(wrong_key(alg)),
    };
    if ok {
        Ok(())
    } else {
        Err("the signature does not match".into())
    }
}

/// Size of R and of S in a JWS ECDSA signature.
fn ec_len(alg: SignAlg) -> Option<usize> {
    match alg {
        SignAlg::ES256 => Some(32),
        SignAlg::ES384 => Some(48),
        SignAlg::RS256 | SignAlg::PS256 | SignAlg::EdDSA => None,
    }
}

/// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt (RFC 7518 §3.5).
fn pss_ctx<T>(ctx: &mut PkeyCtxRef<T>) -> Result<(), openssl::error::ErrorStack> {
    ctx.set_rsa_padding(Padding::PKCS1_PSS)?;
    ctx.set_signature_md(Md::sha256())?;
    ctx.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
    ctx.set_rsa_mgf1_md(Md::sha256())
}

/// Content-encryption key length in bytes.
pub(crate) fn key_len(enc: ContentEnc) -> usize {
    super::content::key_len(enc)
}

/// Initialisation vector length in bytes.
pub(crate) fn iv_len(enc: ContentEnc) -> usize {
    super::content::iv_len(enc)
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
    if alg == KeyAlg::RsaOaep {
        // OpenSSL's OAEP on a context initialised once per key (kept in
        // `ops`): cheaper than `RSA_public_encrypt`, whose OAEP encoder in
        // OpenSSL 3.0 looks SHA-1 up again for every mask block, and than
        // setting a context up per call (callgrind, 2048-bit key: 334k
        // instructions per wrap against 364k and 374k).
        let mut out = Vec::new();
        let n = ops::with_context(
            &key.ops().oaep,
            || {
                let mut ctx = PkeyCtx::new(key.pkey())?;
                ctx.encrypt_init()?;
                oaep(&mut ctx, alg)?;
                Ok(ctx)
            },
            |ctx| {
                let len = ctx.encrypt(cek, None)?;
                out.resize(len, 0);
                ctx.encrypt(cek, Some(&mut out))
            },
        )
        .map_err(text)?;
        out.truncate(n);
        return Ok(out);
    }
    if alg != KeyAlg::EcdhEsA256kw {
        let mut out = Vec::new();
        PkeyCtx::new(key.pkey())
            .and_then(|mut ctx| {
                ctx.encrypt_init()?;
                oaep(&mut ctx, alg)?;
                ctx.encrypt_to_vec(cek, &mut out)
            })
            .map_err(text)?;
        return Ok(out);
    }
    super::ecdh::wrap(key, cek, merged, recipient_header)
}

/// Recovers the content-encryption key of one recipient.
pub(crate) fn unwrap_key(
    alg: KeyAlg,
    key: &PrivateKey,
    encrypted_key: &[u8],
    enc: ContentEnc,
    merged: &Map<String, Value>,
) -> Result<Vec<u8>, String> {
    let rsa = key.ops().rsa.as_ref().filter(|_| alg == KeyAlg::RsaOaep);
    let cek = if alg == KeyAlg::EcdhEsA256kw {
        super::ecdh::unwrap(key, encrypted_key, merged)?
    } else if let Some(rsa) = rsa {
        // As in `wrap_key`: SHA-1 OAEP on the key's kept `RSA`.
        let mut out = vec![0; rsa.size() as usize];
        let n = rsa
            .private_decrypt(encrypted_key, &mut out, Padding::PKCS1_OAEP)
            .map_err(text)?;
        out.truncate(n);
        out
    } else {
        let mut out = Vec::new();
        PkeyCtx::new(key.pkey())
            .and_then(|mut ctx| {
                ctx.decrypt_init()?;
                oaep(&mut ctx, alg)?;
                ctx.decrypt_to_vec(encrypted_key, &mut out)
            })
            .map_err(text)?;
        out
    };
    if cek.len() != key_len(enc) {
        return Err(format!(
            "the key is {} bytes, {enc} needs {}",
            cek.len(),
            key_len(enc)
        ));
    }
    Ok(cek)
}

/// An RSAES-OAEP context (RFC 7518 §4.3: SHA-1 and MGF1-SHA-1 for RSA-OAEP,
/// SHA-256 for both in RSA-OAEP-256) on the key as parsed; OpenSSL 3.0's
/// decoders, which josekit's `*_from_der` go through, cost more than the
/// RSA operation itself.
fn oaep<T>(ctx: &mut PkeyCtxRef<T>, alg: KeyAlg) -> Result<(), openssl::error::ErrorStack> {
    ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
    let md = if alg == KeyAlg::RsaOaep256 {
        Md::sha256()
    } else {
        Md::sha1()
    };
    ctx.set_rsa_oaep_md(md)?;
    ctx.set_rsa_mgf1_md(md)
}

pub(crate) use super::content::{decrypt as decrypt_content, encrypt as encrypt_content};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use josekit::jwe::JweHeader;
    use josekit::jws::{JwsSigner, JwsVerifier};

    use super::*;
    use crate::keys::KeyKind;

    /// The JWS signature primitives agree with josekit's, both ways, for every
    /// algorithm (ECDSA as fixed-size R || S, PSS with a digest-length salt).
    #[test]
    fn signatures_interoperate_with_josekit() {
        let cases = [
            (SignAlg::RS256, KeyKind::RSA2048),
            (SignAlg::PS256, KeyKind::RSA2048),
            (SignAlg::ES256, KeyKind::P256),
            (SignAlg::ES384, KeyKind::P384),
            (SignAlg::EdDSA, KeyKind::Ed25519),
        ];
        for (alg, kind) in cases {
            let key = PrivateKey::generate(kind).unwrap();
            let public = key.public_key().unwrap();
            let der = key.pkcs8_der().unwrap();
            let spki = public.spki_der().unwrap();
            let (theirs, verifier): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>) = match alg {
                SignAlg::RS256 => (
                    Box::new(josekit::jws::RS256.signer_from_der(&der).unwrap()),
                    Box::new(josekit::jws::RS256.verifier_from_der(&spki).unwrap()),
                ),
                SignAlg::PS256 => (
                    Box::new(josekit::jws::PS256.signer_from_der(&der).unwrap()),
                    Box::new(josekit::jws::PS256.verifier_from_der(&spki).unwrap()),
                ),
                SignAlg::ES256 => (
                    Box::new(josekit::jws::ES256.signer_from_der(&der).unwrap()),
                    Box::new(josekit::jws::ES256.verifier_from_der(&spki).unwrap()),
                ),
                SignAlg::ES384 => (
                    Box::new(josekit::jws::ES384.signer_from_der(&der).unwrap()),
                    Box::new(josekit::jws::ES384.verifier_from_der(&spki).unwrap()),
                ),
                SignAlg::EdDSA => (
                    Box::new(josekit::jws::EdDSA.signer_from_der(&der).unwrap()),
                    Box::new(josekit::jws::EdDSA.verifier_from_der(&spki).unwrap()),
                ),
            };
            // Enough rounds for ECDSA values with leading zero bytes to occur.
            for i in 0..64 {
                let message = format!("eyJhbGciOiJFUzI1NiJ9.{i}");
                let ours = sign(alg, &key, message.as_bytes()).unwrap();
                verifier
                    .verify(message.as_bytes(), &ours)
                    .unwrap_or_else(|e| panic!("{alg}: josekit refuses ours: {e}"));
                let sig = theirs.sign(message.as_bytes()).unwrap();
                verify(alg, &public, message.as_bytes(), &sig)
                    .unwrap_or_else(|e| panic!("{alg}: we refuse josekit's: {e}"));
                assert!(verify(alg, &public, b"other", &sig).is_err(), "{alg}");
            }
        }
    }

    /// RSA-OAEP key wrapping agrees with josekit's, both ways.
    #[test]
    fn rsa_oaep_key_wrapping_interoperates_with_josekit() {
        let key = PrivateKey::generate(KeyKind::RSA2048).unwrap();
        let public = key.public_key().unwrap();
        let (der, spki) = (key.pkcs8_der().unwrap(), public.spki_der().unwrap());
        let enc = ContentEnc::A256CbcHs512;
        let header = JweHeader::new();
        for (alg, theirs) in [
            (KeyAlg::RsaOaep, &josekit::jwe::RSA_OAEP),
            (KeyAlg::RsaOaep256, &josekit::jwe::RSA_OAEP_256),
        ] {
            let cek = random(key_len(enc)).unwrap();
            let wrapped = wrap_key(alg, &public, &cek, &Map::new(), &mut Map::new()).unwrap();
            let d = theirs.decrypter_from_der(&der).unwrap();
            let got = d
                .decrypt(Some(&wrapped), &josekit::jwe::enc::A256CBC_HS512, &header)
                .unwrap();
            assert_eq!(got.as_ref(), &cek[..], "{alg}: josekit unwraps ours");
            let e = theirs.encrypter_from_der(&spki).unwrap();
            let wrapped = e
                .encrypt(&cek, &header, &mut JweHeader::new())
                .unwrap()
                .unwrap();
            let got = unwrap_key(alg, &key, &wrapped, enc, &Map::new()).unwrap();
            assert_eq!(got, cek, "{alg}: we unwrap josekit's");
            let other = if alg == KeyAlg::RsaOaep {
                KeyAlg::RsaOaep256
            } else {
                KeyAlg::RsaOaep
            };
            assert!(unwrap_key(other, &key, &wrapped, enc, &Map::new()).is_err());
        }
    }

    /// RSA-OAEP (SHA-1) key wrapping on the kept `Rsa`: josekit opens it
    /// every time, for random seeds and keys of 0 to 64 bytes; too long a
    /// key for the modulus is refused with an error, not a panic.
    #[test]
    fn rsa_oaep_wrapping_decodes_with_josekit() {
        let key = PrivateKey::generate(KeyKind::RSA2048).unwrap();
        let public = key.public_key().unwrap();
        let d = josekit::jwe::RSA_OAEP
            .decrypter_from_der(key.pkcs8_der().unwrap())
            .unwrap();
        let header = JweHeader::new();
        for len in (0..=64).step_by(4) {
            let cek = random(len).unwrap();
            let wrapped =
                wrap_key(KeyAlg::RsaOaep, &public, &cek, &Map::new(), &mut Map::new()).unwrap();
            assert_eq!(wrapped.len(), 256);
            let got = d
                .decrypt(Some(&wrapped), &josekit::jwe::enc::A256CBC_HS512, &header)
                .unwrap();
            assert_eq!(got.as_ref(), &cek[..], "{len} bytes");
        }
        let wrap = |len| {
            wrap_key(
                KeyAlg::RsaOaep,
                &public,
                &vec![0; len],
                &Map::new(),
                &mut Map::new(),
            )
        };
        assert!(wrap(215).is_err());
        assert!(wrap(214).is_ok());
    }

    #[test]
    fn ecdsa_signatures_of_the_wrong_size_are_refused() {
        let key = PrivateKey::generate(KeyKind::P256).unwrap();
        let public = key.public_key().unwrap();
        let sig = sign(SignAlg::ES256, &key, b"m").unwrap();
        assert_eq!(sig.len(), 64);
        let e = verify(SignAlg::ES256, &public, b"m", &sig[..63]).unwrap_err();
        assert!(e.contains("64"), "{e}");
        assert!(verify(SignAlg::ES256, &public, b"m", &[]).is_err());
    }
}
