//! A certificate's public key built from its components (RSA modulus and
//! exponent, EC point, Ed25519 bytes) as x509-parser reads them.
//!
//! OpenSSL 3.0 parses a SubjectPublicKeyInfo through its provider decoders,
//! which cost several RSA verifications each; verifying a signed vCon takes
//! the leaf's key out of its certificate every time, so the key is built
//! from its parts instead. Anything unusual returns `None`, and the caller
//! falls back to OpenSSL's own parser (which then reports the error).

use std::sync::OnceLock;

use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Rsa;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
    OID_SIG_ED25519,
};
use x509_parser::public_key::PublicKey as Parsed;
use x509_parser::x509::SubjectPublicKeyInfo;

static P256: OnceLock<Option<EcGroup>> = OnceLock::new();
static P384: OnceLock<Option<EcGroup>> = OnceLock::new();

/// The curve, built once: building an `EC_GROUP` costs more than a signature.
fn group(cell: &'static OnceLock<Option<EcGroup>>, nid: Nid) -> Option<&'static EcGroup> {
    cell.get_or_init(|| EcGroup::from_curve_name(nid).ok())
        .as_ref()
}

/// P-256 (`true`) or P-384 (`false`), built once.
pub(crate) fn curve(p256: bool) -> Option<&'static EcGroup> {
    if p256 {
        group(&P256, Nid::X9_62_PRIME256V1)
    } else {
        group(&P384, Nid::SECP384R1)
    }
}

/// The key of `spki`, for RSA, EC P-256/P-384 and Ed25519; `None` otherwise.
pub(crate) fn public_pkey(spki: &SubjectPublicKeyInfo<'_>) -> Option<PKey<Public>> {
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_PKCS1_RSAENCRYPTION {
        let Ok(Parsed::RSA(rsa)) = spki.parsed() else {
            return None;
        };
        let n = BigNum::from_slice(rsa.modulus).ok()?;
        let e = BigNum::from_slice(rsa.exponent).ok()?;
        return Rsa::from_public_components(n, e)
            .and_then(PKey::from_rsa)
            .ok();
    }
    if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
        let group = if curve == OID_EC_P256 {
            group(&P256, Nid::X9_62_PRIME256V1)?
        } else if curve == OID_NIST_EC_P384 {
            group(&P384, Nid::SECP384R1)?
        } else {
            return None;
        };
        let mut ctx = openssl::bn::BigNumContext::new().ok()?;
        // oct2point refuses a point that is not on the curve.
        let point = EcPoint::from_bytes(group, &spki.subject_public_key.data, &mut ctx).ok()?;
        return EcKey::from_public_key(group, &point)
            .and_then(PKey::from_ec_key)
            .ok();
    }
    if *alg == OID_SIG_ED25519 {
        return PKey::public_key_from_raw_bytes(&spki.subject_public_key.data, Id::ED25519).ok();
    }
    None
}
