//! RSAES-OAEP encryption (RFC 8017 §7.1.1) for the JWE key wraps RSA-OAEP
//! (SHA-1 and MGF1-SHA-1) and RSA-OAEP-256 (SHA-256 for both), RFC 7518
//! §4.3: the EME-OAEP encoding here, then the raw RSA public operation on the
//! key's kept `RSA` (OpenSSL).
//!
//! Why not OpenSSL's OAEP: through `EVP_PKEY_encrypt` (even on a kept
//! context) OpenSSL 3.0 draws the seed with a `RAND_bytes` of its own (a DRBG
//! request, ~1 µs with its fork check) and runs MGF1 on `EVP_Digest`, which
//! looks SHA-1 up in the provider tables for every mask block; the provider
//! call itself passes its parameters as `OSSL_PARAM` lists. Here the seed
//! comes from the caller's single `RAND_bytes` (with the content key and iv),
//! the hashes are OpenSSL's low-level SHA-1 and the `sha2` crate's SHA-256,
//! and only the modular exponentiation is left to OpenSSL
//! (`RSA_public_encrypt` without padding, which is what `openssl speed`'s
//! RSA public operation does). Encoding is not the side where OAEP needs
//! constant time (decryption stays on OpenSSL).

use openssl::pkey::HasPublic;
use openssl::rsa::{Padding, Rsa};

/// The hash of the encoding (and of MGF1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OaepHash {
    /// SHA-1 (RSA-OAEP).
    Sha1,
    /// SHA-256 (RSA-OAEP-256).
    Sha256,
}

impl OaepHash {
    /// Digest length in bytes: also the seed length.
    pub fn len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// The digest of the concatenation of `parts`, in the first
    /// [`Self::len`] bytes.
    fn digest(self, parts: &[&[u8]]) -> [u8; 32] {
        let mut out = [0u8; 32];
        match self {
            Self::Sha1 => {
                let mut h = openssl::sha::Sha1::new();
                for part in parts {
                    h.update(part);
                }
                out[..20].copy_from_slice(&h.finish());
            }
            Self::Sha256 => {
                use sha2::Digest as _;
                let mut h = sha2::Sha256::new();
                for part in parts {
                    h.update(part);
                }
                out.copy_from_slice(&h.finalize());
            }
        }
        out
    }
}

/// XORs MGF1(`seed`) (RFC 8017 §B.2.1) into `target`, as long as `target`.
fn mgf1_xor(hash: OaepHash, seed: &[u8], target: &mut [u8]) {
    for (counter, chunk) in (0u32..).zip(target.chunks_mut(hash.len())) {
        let mask = hash.digest(&[seed, &counter.to_be_bytes()]);
        for (t, m) in chunk.iter_mut().zip(mask) {
            *t ^= m;
        }
    }
}

/// EME-OAEP encoding (RFC 8017 §7.1.1 step 2, empty label) of `message`
/// into a `k`-byte block with `seed` (of the hash's length).
fn encode(hash: OaepHash, k: usize, message: &[u8], seed: &[u8]) -> Result<Vec<u8>, String> {
    let h = hash.len();
    if seed.len() != h {
        return Err(format!("an OAEP seed is {h} bytes, not {}", seed.len()));
    }
    // mLen <= k - 2hLen - 2 (step 1.b).
    let room = k.saturating_sub(2 * h + 2);
    if message.len() > room {
        return Err(format!(
            "a {}-byte key is too long for RSA-OAEP with a {}-bit modulus (at most {room} bytes)",
            message.len(),
            8 * k
        ));
    }
    // EM = 0x00 || maskedSeed || maskedDB, DB = lHash || PS || 0x01 || M.
    let mut em = vec![0u8; k];
    let (head, db) = em.split_at_mut(1 + h);
    let masked_seed = &mut head[1..];
    db[..h].copy_from_slice(&hash.digest(&[])[..h]);
    let at = db.len() - message.len();
    db[at - 1] = 0x01;
    db[at..].copy_from_slice(message);
    mgf1_xor(hash, seed, db);
    masked_seed.copy_from_slice(seed);
    mgf1_xor(hash, db, masked_seed);
    Ok(em)
}

/// RSAES-OAEP encryption of `message` (a content key) with `rsa`'s public
/// key and the random `seed` (of the hash's length).
pub(crate) fn encrypt<T: HasPublic>(
    rsa: &Rsa<T>,
    hash: OaepHash,
    message: &[u8],
    seed: &[u8],
) -> Result<Vec<u8>, String> {
    let k = rsa.size() as usize;
    let em = encode(hash, k, message, seed)?;
    let mut out = vec![0u8; k];
    let n = rsa
        .public_encrypt(&em, &mut out, Padding::NONE)
        .map_err(|e| e.to_string())?;
    out.truncate(n);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// OpenSSL's OAEP decryption opens what we encrypt, for both hashes and
    /// messages up to the longest the modulus allows; longer ones and seeds
    /// of the wrong length are refused (the josekit tests in `backend` and
    /// the A.7 interop tests open it too).
    #[test]
    fn openssl_decrypts_our_encoding() {
        let rsa = Rsa::generate(2048).unwrap();
        for (hash, md) in [
            (OaepHash::Sha1, openssl::md::Md::sha1()),
            (OaepHash::Sha256, openssl::md::Md::sha256()),
        ] {
            let pkey = openssl::pkey::PKey::from_rsa(rsa.clone()).unwrap();
            for len in [0, 1, 32, 64, 256 - 2 * hash.len() - 2] {
                let message: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
                let seed: Vec<u8> = (0..hash.len()).map(|i| i as u8).collect();
                let wrapped = encrypt(&rsa, hash, &message, &seed).unwrap();
                assert_eq!(wrapped.len(), 256);
                let mut ctx = openssl::pkey_ctx::PkeyCtx::new(&pkey).unwrap();
                ctx.decrypt_init().unwrap();
                ctx.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
                ctx.set_rsa_oaep_md(md).unwrap();
                ctx.set_rsa_mgf1_md(md).unwrap();
                let mut got = Vec::new();
                ctx.decrypt_to_vec(&wrapped, &mut got).unwrap();
                assert_eq!(got, message, "{hash:?}, {len} bytes");
            }
            let too_long = vec![0; 256 - 2 * hash.len() - 1];
            let e = encrypt(&rsa, hash, &too_long, &vec![0; hash.len()]).unwrap_err();
            assert!(e.contains("too long"), "{e}");
            assert!(encrypt(&rsa, hash, b"k", &[0; 3]).is_err());
        }
    }

    /// The intermediate values of RSA Laboratories' PKCS #1 v2.1 test
    /// vectors (`pkcs-1v2-1-vec`, `oaep-int.txt`: SHA-1, empty label,
    /// 1024-bit key): message and seed give this encoded message.
    #[test]
    fn encoding_matches_the_rsa_oaep_test_vector() {
        let hex = |s: &str| -> Vec<u8> {
            let s: String = s.split_whitespace().collect();
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let message = hex("d4 36 e9 95 69 fd 32 a7 c8 a0 5b bc 90 d3 2c 49");
        let seed = hex("aa fd 12 f6 59 ca e6 34 89 b4 79 e5 07 6d de c2 f0 6c b5 8f");
        let em = encode(OaepHash::Sha1, 128, &message, &seed).unwrap();
        let want = hex(
            "00 eb 7a 19 ac e9 e3 00 63 50 e3 29 50 4b 45 e2 ca 82 31 0b 26 dc d8 7d 5c 68
             f1 ee a8 f5 52 67 c3 1b 2e 8b b4 25 1f 84 d7 e0 b2 c0 46 26 f5 af f9 3e dc fb
             25 c9 c2 b3 ff 8a e1 0e 83 9a 2d db 4c dc fe 4f f4 77 28 b4 a1 b7 c1 36 2b aa
             d2 9a b4 8d 28 69 d5 02 41 21 43 58 11 59 1b e3 92 f9 82 fb 3e 87 d0 95 ae b4
             04 48 db 97 2f 3a c1 4f 7b c2 75 19 52 81 ce 32 d2 f1 b7 6d 4d 35 3e 2d",
        );
        assert_eq!(em, want);
    }
}
