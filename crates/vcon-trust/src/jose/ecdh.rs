//! ECDH-ES+A256KW key management (RFC 7518 §4.6) with OpenSSL on the keys
//! as parsed (their `EC_KEY`s): an ephemeral key on the recipient's curve,
//! ECDH as a scalar multiplication, the Concat KDF (NIST SP 800-56A, one
//! SHA-256 round for a 256-bit key) and AES-256 key wrap (RFC 3394, on the
//! EVP cipher kept by [`super::content`]). josekit did the same through
//! OpenSSL 3.0's DER decoders on every call, which cost more than the
//! elliptic-curve work.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::{BigNum, BigNumContext, BigNumContextRef, BigNumRef};
use openssl::ec::{EcGroupRef, EcKey, EcPoint, EcPointRef};
use serde_json::{Map, Value};
use sha2::Digest as _;

use crate::keys::{KeyKind, PrivateKey, PublicKey};

const ALG: &str = "ECDH-ES+A256KW";

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The curve of a P-256 / P-384 key, with its JWK name and coordinate size.
fn curve(kind: KeyKind) -> Result<(&'static openssl::ec::EcGroupRef, &'static str, usize), String> {
    let (p256, name, len) = match kind {
        KeyKind::P256 => (true, "P-256", 32),
        KeyKind::P384 => (false, "P-384", 48),
        other => return Err(format!("{ALG} needs a P-256 or P-384 key, not {other}")),
    };
    let group = crate::x509::spki::curve(p256).ok_or("the curve is unavailable")?;
    Ok((group, name, len))
}

/// `apu` / `apv` of the header: base64url, empty when absent.
fn party_info(merged: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    match merged.get(name) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|e| format!("`{name}` is not base64url: {e}")),
        Some(_) => Err(format!("`{name}` must be a string")),
    }
}

/// The ECDH shared secret Z: the x coordinate of `scalar` × `point`, padded
/// to the field size. This is the very call OpenSSL's own ECDH makes
/// (`ossl_ecdh_simple_compute_key`: `EC_POINT_mul` with the private scalar,
/// constant-time), without the `EVP_PKEY_derive` set-up around it, which in
/// OpenSSL 3.0 exports the peer key to the provider (a fresh `EC_GROUP`, the
/// point encoded and decoded) on every call.
fn shared_secret(
    group: &EcGroupRef,
    scalar: &BigNumRef,
    point: &EcPointRef,
    len: usize,
    ctx: &mut BigNumContextRef,
) -> Result<Vec<u8>, String> {
    let mut product = EcPoint::new(group).map_err(text)?;
    product.mul2(group, point, scalar, ctx).map_err(text)?;
    let (mut x, mut y) = (BigNum::new().map_err(text)?, BigNum::new().map_err(text)?);
    product
        .affine_coordinates(group, &mut x, &mut y, ctx)
        .map_err(text)?;
    x.to_vec_padded(i32::try_from(len).map_err(text)?)
        .map_err(text)
}

/// The key-encryption key: the Concat KDF of RFC 7518 §4.6.2 over `z`.
fn kek(z: &[u8], merged: &Map<String, Value>) -> Result<[u8; 32], String> {
    let mut h = sha2::Sha256::new();
    h.update(1_u32.to_be_bytes());
    h.update(z);
    // Each field is its 32-bit big-endian length, then its bytes, hashed as
    // they are (no concatenated copy).
    let mut field = |bytes: &[u8]| -> Result<(), String> {
        let len = u32::try_from(bytes.len()).map_err(text)?;
        h.update(len.to_be_bytes());
        h.update(bytes);
        Ok(())
    };
    field(ALG.as_bytes())?;
    field(&party_info(merged, "apu")?)?;
    field(&party_info(merged, "apv")?)?;
    h.update(256_u32.to_be_bytes());
    Ok(h.finalize().into())
}

/// Wraps `cek` for `key`; adds the ephemeral public key (`epk`) to `header`.
pub(crate) fn wrap(
    key: &PublicKey,
    cek: &[u8],
    merged: &Map<String, Value>,
    header: &mut Map<String, Value>,
) -> Result<Vec<u8>, String> {
    let (group, crv, len) = curve(key.kind())?;
    let eph = EcKey::generate(group).map_err(text)?;
    let (mut x, mut y) = (BigNum::new().map_err(text)?, BigNum::new().map_err(text)?);
    let mut ctx = BigNumContext::new().map_err(text)?;
    eph.public_key()
        .affine_coordinates(group, &mut x, &mut y, &mut ctx)
        .map_err(text)?;
    let n = i32::try_from(len).map_err(text)?;
    let (x, y) = (
        x.to_vec_padded(n).map_err(text)?,
        y.to_vec_padded(n).map_err(text)?,
    );
    let theirs = key.ops().ec.as_ref().ok_or("the key has no EC structure")?;
    let z = shared_secret(group, eph.private_key(), theirs.public_key(), len, &mut ctx)?;
    let kek = kek(&z, merged)?;
    if cek.is_empty() || !cek.len().is_multiple_of(8) {
        return Err(format!("a {}-byte key cannot be AES-wrapped", cek.len()));
    }
    let out = super::content::aes256_key_wrap(&kek, cek, true)
        .map_err(|e| format!("AES key wrap failed: {e}"))?;
    let mut epk = Map::new();
    epk.insert("kty".into(), "EC".into());
    epk.insert("crv".into(), crv.into());
    epk.insert("x".into(), URL_SAFE_NO_PAD.encode(x).into());
    epk.insert("y".into(), URL_SAFE_NO_PAD.encode(y).into());
    header.insert("epk".into(), Value::Object(epk));
    Ok(out)
}

/// Recovers the content-encryption key wrapped for `key`.
pub(crate) fn unwrap(
    key: &PrivateKey,
    encrypted_key: &[u8],
    merged: &Map<String, Value>,
) -> Result<Vec<u8>, String> {
    let (group, crv, len) = curve(key.kind())?;
    let Some(Value::Object(epk)) = merged.get("epk") else {
        return Err("no `epk` object in the header".into());
    };
    let member = |name: &str| match epk.get(name) {
        Some(Value::String(s)) => Ok(s.as_str()),
        _ => Err(format!("`epk.{name}` is missing or not a string")),
    };
    if member("kty")? != "EC" || member("crv")? != crv {
        return Err(format!(
            "`epk` must be an EC key on {crv}, the curve of the decryption key"
        ));
    }
    let coordinate = |name: &str| -> Result<BigNum, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(member(name)?)
            .map_err(|e| format!("`epk.{name}` is not base64url: {e}"))?;
        if bytes.len() != len {
            return Err(format!("`epk.{name}` is {} bytes, not {len}", bytes.len()));
        }
        BigNum::from_slice(&bytes).map_err(text)
    };
    // A point that is not on the curve is refused (invalid-curve attacks):
    // `EC_POINT_set_affine_coordinates` checks it (OpenSSL ≥ 1.1.1 calls
    // `EC_POINT_is_on_curve` and fails with POINT_IS_NOT_ON_CURVE; tested
    // below), so it is not checked a second time. P-256 and P-384 have
    // cofactor 1, so that is the whole check; the order check
    // `EC_KEY_set_public_key_affine_coordinates` adds is a full scalar
    // multiplication, as costly as the ECDH itself.
    let (x, y) = (coordinate("x")?, coordinate("y")?);
    let off_curve = |e: openssl::error::ErrorStack| format!("`epk` is not a point on {crv}: {e}");
    let mut ctx = BigNumContext::new().map_err(text)?;
    let mut point = EcPoint::new(group).map_err(text)?;
    point
        .set_affine_coordinates_gfp(group, &x, &y, &mut ctx)
        .map_err(off_curve)?;
    let ours = key.ops().ec.as_ref().ok_or("the key has no EC structure")?;
    let z = shared_secret(group, ours.private_key(), &point, len, &mut ctx)?;
    let kek = kek(&z, merged)?;
    if encrypted_key.len() < 24 || !encrypted_key.len().is_multiple_of(8) {
        return Err(format!(
            "an AES-wrapped key is a multiple of 8 bytes, at least 24; this one is {}",
            encrypted_key.len()
        ));
    }
    super::content::aes256_key_wrap(&kek, encrypted_key, false)
        .map_err(|_| "the wrapped key does not unwrap (wrong key, or altered)".to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use josekit::jwe::{JweDecrypter as _, JweEncrypter as _, JweHeader};

    use super::*;

    fn header(extra: &[(&str, &str)]) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("alg".into(), ALG.into());
        m.insert("enc".into(), "A256GCM".into());
        for (k, v) in extra {
            m.insert((*k).into(), (*v).into());
        }
        m
    }

    /// Both ways with josekit, on both curves, with and without apu/apv.
    #[test]
    fn interoperates_with_josekit() {
        for kind in [KeyKind::P256, KeyKind::P384] {
            let key = PrivateKey::generate(kind).unwrap();
            let public = key.public_key().unwrap();
            let (der, spki) = (key.pkcs8_der().unwrap(), public.spki_der().unwrap());
            for extra in [&[][..], &[("apu", "QWxpY2U"), ("apv", "Qm9i")][..]] {
                let merged = header(extra);
                let cek = crate::jose::backend::random(32).unwrap();
                let mut ours = Map::new();
                let wrapped = wrap(&public, &cek, &merged, &mut ours).unwrap();
                let mut all = merged.clone();
                all.extend(ours.clone());
                let d = josekit::jwe::ECDH_ES_A256KW
                    .decrypter_from_der(&der)
                    .unwrap();
                let got = d
                    .decrypt(
                        Some(&wrapped),
                        &josekit::jwe::enc::A256GCM,
                        &JweHeader::from_map(all.clone()).unwrap(),
                    )
                    .unwrap();
                assert_eq!(got.as_ref(), &cek[..], "{kind}: josekit unwraps ours");
                assert_eq!(unwrap(&key, &wrapped, &all).unwrap(), cek);

                let e = josekit::jwe::ECDH_ES_A256KW
                    .encrypter_from_der(&spki)
                    .unwrap();
                // josekit's encrypter reads apu/apv from the header it writes to.
                let mut out = JweHeader::from_map(merged.clone()).unwrap();
                let theirs = e
                    .encrypt(
                        &cek,
                        &JweHeader::from_map(merged.clone()).unwrap(),
                        &mut out,
                    )
                    .unwrap()
                    .unwrap();
                let all = out.claims_set().clone();
                assert_eq!(
                    unwrap(&key, &theirs, &all).unwrap(),
                    cek,
                    "{kind}: we unwrap josekit's"
                );

                let other = PrivateKey::generate(kind).unwrap();
                assert!(unwrap(&other, &theirs, &all).is_err());
            }
        }
    }

    #[test]
    fn a_point_off_the_curve_or_of_another_curve_is_refused() {
        let key = PrivateKey::generate(KeyKind::P256).unwrap();
        let merged = header(&[]);
        let mut h = Map::new();
        let wrapped = wrap(&key.public_key().unwrap(), &[7; 32], &merged, &mut h).unwrap();
        let mut all = merged.clone();
        all.extend(h);
        let mut bad = all.clone();
        let y = bad["epk"]["y"].as_str().unwrap().to_owned();
        let flipped = if y.starts_with('A') { "B" } else { "A" }.to_owned() + &y[1..];
        bad["epk"]["y"] = flipped.into();
        let e = unwrap(&key, &wrapped, &bad).unwrap_err();
        assert!(e.contains("not a point on P-256"), "{e}");
        let mut bad = all.clone();
        bad["epk"]["crv"] = "P-384".into();
        assert!(unwrap(&key, &wrapped, &bad).unwrap_err().contains("P-256"));
        bad.remove("epk");
        assert!(unwrap(&key, &wrapped, &bad).unwrap_err().contains("epk"));
        assert!(unwrap(&key, &wrapped[..20], &all).is_err());
    }
}
