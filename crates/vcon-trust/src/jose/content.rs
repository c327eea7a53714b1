//! JWE content encryption (RFC 7518 §5): A256CBC-HS512 (AES-256-CBC with
//! PKCS#7 padding, then HMAC-SHA-512 truncated to 32 bytes; §5.2.2 and
//! §5.2.5) and A256GCM (§5.3), on OpenSSL.
//!
//! Also AES-256 key wrap for ECDH-ES+A256KW ([`aes256_key_wrap`], on the
//! RustCrypto `aes-kw` crate).
//!
//! The AES ciphers are fetched from OpenSSL's provider once per process and
//! kept: OpenSSL 3.0 looks a cipher up in its provider tables on every
//! `EVP_EncryptInit_ex` given a built-in `EVP_aes_256_*()` (a name lookup
//! under a read lock, which cost more than encrypting a small vCon). The
//! HMAC is RFC 2104 over OpenSSL's SHA-512 compression functions
//! (`SHA512_Init`/`Update`/`Final`), which need no provider look-up either.

use std::sync::OnceLock;

use openssl::cipher::{Cipher, CipherRef};
use openssl::cipher_ctx::CipherCtx;
use openssl::sha::Sha512;

use crate::ContentEnc;

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Content-encryption key length in bytes.
pub(crate) fn key_len(enc: ContentEnc) -> usize {
    match enc {
        ContentEnc::A256CbcHs512 => 64,
        ContentEnc::A256Gcm => 32,
    }
}

/// Initialisation vector length in bytes.
pub(crate) fn iv_len(enc: ContentEnc) -> usize {
    match enc {
        ContentEnc::A256CbcHs512 => 16,
        ContentEnc::A256Gcm => 12,
    }
}

/// Authentication tag length in bytes.
fn tag_len(enc: ContentEnc) -> usize {
    match enc {
        ContentEnc::A256CbcHs512 => 32,
        ContentEnc::A256Gcm => 16,
    }
}

/// The AES ciphers used here.
#[derive(Clone, Copy)]
enum Aes {
    Cbc,
    Gcm,
}

/// The cipher, fetched from the provider once (the built-in object when
/// the fetch fails; OpenSSL then looks it up per call).
fn cipher(aes: Aes) -> &'static CipherRef {
    static CIPHERS: [OnceLock<Option<Cipher>>; 2] = [OnceLock::new(), OnceLock::new()];
    let (slot, name, builtin): (_, _, fn() -> &'static CipherRef) = match aes {
        Aes::Cbc => (&CIPHERS[0], "AES-256-CBC", Cipher::aes_256_cbc),
        Aes::Gcm => (&CIPHERS[1], "AES-256-GCM", Cipher::aes_256_gcm),
    };
    match slot
        .get_or_init(|| Cipher::fetch(None, name, None).ok())
        .as_ref()
    {
        Some(c) => c,
        None => builtin(),
    }
}

fn content_cipher(enc: ContentEnc) -> &'static CipherRef {
    match enc {
        ContentEnc::A256CbcHs512 => cipher(Aes::Cbc),
        ContentEnc::A256Gcm => cipher(Aes::Gcm),
    }
}

/// AES-256 key wrap (RFC 3394, default IV) of `input` with `kek` when
/// `wrap`, else unwrap (which checks the integrity value). On the RustCrypto
/// `aes-kw` crate (AES-NI when the CPU has it): OpenSSL 3.0's AES-256-WRAP,
/// through `EVP` or `AES_unwrap_key` alike, runs its table-based AES block
/// function, ~65k instructions to unwrap a 32-byte key (callgrind).
pub(crate) fn aes256_key_wrap(kek: &[u8], input: &[u8], wrap: bool) -> Result<Vec<u8>, String> {
    use aes_kw::KeyInit as _;
    let kw = aes_kw::KwAes256::new_from_slice(kek)
        .map_err(|_| format!("the key-wrap key is {} bytes, not 32", kek.len()))?;
    let len = if wrap {
        input.len() + 8
    } else {
        input.len().saturating_sub(8)
    };
    let mut out = vec![0; len];
    let n = if wrap {
        kw.wrap_key(input, &mut out)
    } else {
        kw.unwrap_key(input, &mut out)
    }
    .map_err(text)?
    .len();
    out.truncate(n);
    Ok(out)
}

fn check_lengths(enc: ContentEnc, cek: &[u8], iv: &[u8]) -> Result<(), String> {
    if cek.len() != key_len(enc) {
        return Err(format!(
            "the key is {} bytes, {enc} needs {}",
            cek.len(),
            key_len(enc)
        ));
    }
    if iv.len() != iv_len(enc) {
        return Err(format!(
            "iv is {} bytes, {enc} needs {}",
            iv.len(),
            iv_len(enc)
        ));
    }
    Ok(())
}

/// HMAC-SHA-512 (RFC 2104) of the concatenation of `parts`.
fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    const BLOCK: usize = 128;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        let mut h = Sha512::new();
        h.update(key);
        block[..64].copy_from_slice(&h.finish());
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let mut inner = Sha512::new();
    inner.update(&pad(0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha512::new();
    outer.update(&pad(0x5c));
    outer.update(&inner.finish());
    outer.finish()
}

/// The A256CBC-HS512 tag (RFC 7518 §5.2.2.1 steps 4–6): the first 32 bytes
/// of HMAC-SHA-512(MAC_KEY, AAD || IV || ciphertext || AL).
fn cbc_hs512_tag(mac_key: &[u8], aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> [u8; 32] {
    let al = (aad.len() as u64).wrapping_mul(8).to_be_bytes();
    let mac = hmac_sha512(mac_key, &[aad, iv, ciphertext, &al]);
    let mut tag = [0u8; 32];
    tag.copy_from_slice(&mac[..32]);
    tag
}

/// Encrypts `plaintext`; returns `(ciphertext, tag)`.
pub(crate) fn encrypt(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), String> {
    check_lengths(enc, cek, iv)?;
    let mut ctx = CipherCtx::new().map_err(text)?;
    let mut out = Vec::with_capacity(plaintext.len() + 16);
    match enc {
        ContentEnc::A256CbcHs512 => {
            let (mac_key, enc_key) = cek.split_at(32);
            ctx.encrypt_init(Some(content_cipher(enc)), Some(enc_key), Some(iv))
                .map_err(text)?;
            ctx.cipher_update_vec(plaintext, &mut out).map_err(text)?;
            ctx.cipher_final_vec(&mut out).map_err(text)?;
            let tag = cbc_hs512_tag(mac_key, aad, iv, &out);
            Ok((out, tag.to_vec()))
        }
        ContentEnc::A256Gcm => {
            ctx.encrypt_init(Some(content_cipher(enc)), Some(cek), Some(iv))
                .map_err(text)?;
            ctx.cipher_update(aad, None).map_err(text)?;
            ctx.cipher_update_vec(plaintext, &mut out).map_err(text)?;
            ctx.cipher_final_vec(&mut out).map_err(text)?;
            let mut tag = vec![0u8; tag_len(enc)];
            ctx.tag(&mut tag).map_err(text)?;
            Ok((out, tag))
        }
    }
}

/// Authenticates and decrypts `ciphertext`. The tag is checked before any
/// decryption for A256CBC-HS512 (RFC 7518 §5.2.2.2), in constant time.
pub(crate) fn decrypt(
    enc: ContentEnc,
    cek: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
    aad: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, String> {
    check_lengths(enc, cek, iv)?;
    if tag.len() != tag_len(enc) {
        return Err(format!(
            "tag is {} bytes, {enc} needs {}",
            tag.len(),
            tag_len(enc)
        ));
    }
    let mut ctx = CipherCtx::new().map_err(text)?;
    let mut out = Vec::with_capacity(ciphertext.len() + 16);
    let refused = || "the authentication tag does not match".to_owned();
    match enc {
        ContentEnc::A256CbcHs512 => {
            let (mac_key, enc_key) = cek.split_at(32);
            let expected = cbc_hs512_tag(mac_key, aad, iv, ciphertext);
            if !openssl::memcmp::eq(&expected, tag) {
                return Err(refused());
            }
            ctx.decrypt_init(Some(content_cipher(enc)), Some(enc_key), Some(iv))
                .map_err(text)?;
            ctx.cipher_update_vec(ciphertext, &mut out).map_err(text)?;
            ctx.cipher_final_vec(&mut out)
                .map_err(|e| format!("bad padding: {e}"))?;
        }
        ContentEnc::A256Gcm => {
            ctx.decrypt_init(Some(content_cipher(enc)), Some(cek), Some(iv))
                .map_err(text)?;
            ctx.set_tag(tag).map_err(text)?;
            ctx.cipher_update(aad, None).map_err(text)?;
            ctx.cipher_update_vec(ciphertext, &mut out).map_err(text)?;
            ctx.cipher_final_vec(&mut out).map_err(|_| refused())?;
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use josekit::jwe::JweContentEncryption;

    use super::*;

    fn theirs(enc: ContentEnc) -> &'static dyn JweContentEncryption {
        match enc {
            ContentEnc::A256CbcHs512 => &josekit::jwe::enc::A256CBC_HS512,
            ContentEnc::A256Gcm => &josekit::jwe::enc::A256GCM,
        }
    }

    fn random(len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        openssl::rand::rand_bytes(&mut out).unwrap();
        out
    }

    /// Both algorithms agree with josekit's, both ways, for lengths around
    /// the block size (padding) and an empty plaintext; lengths match josekit's.
    #[test]
    fn content_encryption_interoperates_with_josekit() {
        for enc in ContentEnc::ALL {
            let theirs = theirs(enc);
            assert_eq!(key_len(enc), theirs.key_len(), "{enc}");
            assert_eq!(iv_len(enc), theirs.iv_len(), "{enc}");
            for len in [0, 1, 15, 16, 17, 100, 3_600] {
                let (cek, iv, plaintext) = (random(key_len(enc)), random(iv_len(enc)), random(len));
                let aad = b"eyJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0";
                let (ct, tag) = encrypt(enc, &cek, &iv, &plaintext, aad).unwrap();
                let (their_ct, their_tag) =
                    theirs.encrypt(&cek, Some(&iv), &plaintext, aad).unwrap();
                assert_eq!(ct, their_ct, "{enc} {len}: same ciphertext");
                assert_eq!(Some(tag.clone()), their_tag, "{enc} {len}: same tag");
                let got = theirs
                    .decrypt(&cek, Some(&iv), &ct, aad, Some(&tag))
                    .unwrap();
                assert_eq!(got, plaintext, "{enc} {len}: josekit decrypts ours");
                let got = decrypt(enc, &cek, &iv, &their_ct, aad, &tag).unwrap();
                assert_eq!(got, plaintext, "{enc} {len}: we decrypt josekit's");
            }
        }
    }

    /// RFC 7518 Appendix B.3 (AES_256_CBC_HMAC_SHA_512 test case).
    #[test]
    fn rfc7518_b3_test_vector() {
        let hex = |s: &str| -> Vec<u8> {
            let s: String = s.split_whitespace().collect();
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let k = hex(
            "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f
             20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f",
        );
        let p = hex(
            "41 20 63 69 70 68 65 72 20 73 79 73 74 65 6d 20 6d 75 73 74 20 6e 6f 74 20 62 65 20 72 65 71 75
             69 72 65 64 20 74 6f 20 62 65 20 73 65 63 72 65 74 2c 20 61 6e 64 20 69 74 20 6d 75 73 74 20 62
             65 20 61 62 6c 65 20 74 6f 20 66 61 6c 6c 20 69 6e 74 6f 20 74 68 65 20 68 61 6e 64 73 20 6f 66
             20 74 68 65 20 65 6e 65 6d 79 20 77 69 74 68 6f 75 74 20 69 6e 63 6f 6e 76 65 6e 69 65 6e 63 65",
        );
        let iv = hex("1a f3 8c 2d c2 b9 6f fd d8 66 94 09 23 41 bc 04");
        let a = hex(
            "54 68 65 20 73 65 63 6f 6e 64 20 70 72 69 6e 63 69 70 6c 65 20 6f 66 20 41 75 67 75 73 74 65 20
             4b 65 72 63 6b 68 6f 66 66 73",
        );
        let t = hex(
            "4d d3 b4 c0 88 a7 f4 5c 21 68 39 64 5b 20 12 bf 2e 62 69 a8 c5 6a 81 6d bc 1b 26 77 61 95 5b c5",
        );
        let (ct, tag) = encrypt(ContentEnc::A256CbcHs512, &k, &iv, &p, &a).unwrap();
        assert_eq!(tag, t);
        assert_eq!(
            decrypt(ContentEnc::A256CbcHs512, &k, &iv, &ct, &a, &t).unwrap(),
            p
        );
    }

    /// RFC 3394 §4.6 (256-bit key data with a 256-bit KEK); random keys
    /// wrap as OpenSSL's `AES_wrap_key` does and unwrap back; tampered,
    /// short or misaligned input and a wrong-sized KEK are errors.
    #[test]
    fn aes256_key_wrap_matches_rfc3394_and_openssl() {
        let kek: Vec<u8> = (0..32).collect();
        let data: Vec<u8> = (0..16).map(|i| i * 0x11).chain(0..16).collect();
        let want = [
            0x28, 0xc9, 0xf4, 0x04, 0xc4, 0xb8, 0x10, 0xf4, 0xcb, 0xcc, 0xb3, 0x5c, 0xfb, 0x87,
            0xf8, 0x26, 0x3f, 0x57, 0x86, 0xe2, 0xd8, 0x0e, 0xd3, 0x26, 0xcb, 0xc7, 0xf0, 0xe7,
            0x1a, 0x99, 0xf4, 0x3b, 0xfb, 0x98, 0x8b, 0x9b, 0x7a, 0x02, 0xdd, 0x21,
        ];
        assert_eq!(aes256_key_wrap(&kek, &data, true).unwrap(), want);
        assert_eq!(aes256_key_wrap(&kek, &want, false).unwrap(), data);
        for _ in 0..8 {
            let (kek, cek) = (random(32), random(32));
            let ours = aes256_key_wrap(&kek, &cek, true).unwrap();
            let key = openssl::aes::AesKey::new_encrypt(&kek).unwrap();
            let mut theirs = [0; 40];
            openssl::aes::wrap_key(&key, None, &mut theirs, &cek).unwrap();
            assert_eq!(ours, theirs);
            assert_eq!(aes256_key_wrap(&kek, &ours, false).unwrap(), cek);
        }
        let mut bad = want;
        bad[39] ^= 1;
        assert!(aes256_key_wrap(&kek, &bad, false).is_err());
        for len in [0, 7, 8, 16, 39] {
            assert!(aes256_key_wrap(&kek, &want[..len], false).is_err(), "{len}");
        }
        assert!(aes256_key_wrap(&kek[1..], &data, true).is_err());
    }

    #[test]
    fn tampering_is_refused() {
        for enc in ContentEnc::ALL {
            let (cek, iv) = (random(key_len(enc)), random(iv_len(enc)));
            let (mut ct, tag) = encrypt(enc, &cek, &iv, b"a signed vCon", b"aad").unwrap();
            assert!(decrypt(enc, &cek, &iv, &ct, b"aaX", &tag).is_err(), "{enc}");
            let mut bad = tag.clone();
            bad[0] ^= 1;
            assert!(decrypt(enc, &cek, &iv, &ct, b"aad", &bad).is_err(), "{enc}");
            assert!(
                decrypt(enc, &cek, &iv, &ct, b"aad", &tag[1..]).is_err(),
                "{enc}"
            );
            ct[0] ^= 1;
            assert!(decrypt(enc, &cek, &iv, &ct, b"aad", &tag).is_err(), "{enc}");
            assert!(
                decrypt(enc, &cek[1..], &iv, &ct, b"aad", &tag).is_err(),
                "{enc}"
            );
        }
    }
}
