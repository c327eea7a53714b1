//! JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037) to and from OpenSSL keys,
//! and RFC 7638 thumbprints.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::rsa::{Rsa, RsaPrivateKeyBuilder};
use serde_json::{Map, Value};
use sha2::Digest as _;

use super::{KeyError, KeyKind, backend};

/// Parses a JWK or a one-key JWK set into its object.
fn parse(json: &[u8]) -> Result<Map<String, Value>, KeyError> {
    let object = vcon_core::read::parse_object(json, 16).map_err(|e| KeyError::Unrecognised {
        expected: "JWK",
        reason: e.to_string(),
    })?;
    match object.get("keys") {
        Some(Value::Array(keys)) => match keys.as_slice() {
            [Value::Object(one)] => Ok(one.clone()),
            [_] => Err(KeyError::Jwk {
                member: "keys",
                reason: "the JWK set's only entry is not an object".into(),
            }),
            many => Err(KeyError::Jwk {
                member: "keys",
                reason: format!("the JWK set holds {} keys; pass exactly one", many.len()),
            }),
        },
        Some(_) => Err(KeyError::Jwk {
            member: "keys",
            reason: "must be an array".into(),
        }),
        None => Ok(object),
    }
}

fn string<'a>(
    jwk: &'a Map<String, Value>,
    member: &'static str,
) -> Result<Option<&'a str>, KeyError> {
    match jwk.get(member) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(KeyError::Jwk {
            member,
            reason: "must be a string".into(),
        }),
    }
}

fn required<'a>(jwk: &'a Map<String, Value>, member: &'static str) -> Result<&'a str, KeyError> {
    string(jwk, member)?.ok_or(KeyError::Jwk {
        member,
        reason: "is missing".into(),
    })
}

fn bytes(jwk: &Map<String, Value>, member: &'static str) -> Result<Option<Vec<u8>>, KeyError> {
    string(jwk, member)?
        .map(|s| {
            URL_SAFE_NO_PAD.decode(s).map_err(|e| KeyError::Jwk {
                member,
                reason: format!("not unpadded base64url: {e}"),
            })
        })
        .transpose()
}

fn required_bytes(jwk: &Map<String, Value>, member: &'static str) -> Result<Vec<u8>, KeyError> {
    bytes(jwk, member)?.ok_or(KeyError::Jwk {
        member,
        reason: "is missing".into(),
    })
}

fn bn(jwk: &Map<String, Value>, member: &'static str) -> Result<BigNum, KeyError> {
    BigNum::from_slice(&required_bytes(jwk, member)?).map_err(backend)
}

fn kid(jwk: &Map<String, Value>) -> Result<Option<String>, KeyError> {
    Ok(string(jwk, "kid")?.map(str::to_owned))
}

/// The named curve of an EC JWK, with its coordinate length in bytes.
fn curve(jwk: &Map<String, Value>) -> Result<(Nid, usize), KeyError> {
    match required(jwk, "crv")? {
        "P-256" => Ok((Nid::X9_62_PRIME256V1, 32)),
        "P-384" => Ok((Nid::SECP384R1, 48)),
        other => Err(KeyError::Jwk {
            member: "crv",
            reason: format!("curve `{other}` is not supported (P-256, P-384)"),
        }),
    }
}

fn ec_public(jwk: &Map<String, Value>) -> Result<EcKey<Public>, KeyError> {
    let (nid, len) = curve(jwk)?;
    let group = EcGroup::from_curve_name(nid).map_err(backend)?;
    let (x, y) = (required_bytes(jwk, "x")?, required_bytes(jwk, "y")?);
    for (member, v) in [("x", &x), ("y", &y)] {
        if v.len() != len {
            return Err(KeyError::Jwk {
                member,
                reason: format!("must be {len} bytes for this curve, found {}", v.len()),
            });
        }
    }
    let (x, y) = (
        BigNum::from_slice(&x).map_err(backend)?,
        BigNum::from_slice(&y).map_err(backend)?,
    );
    EcKey::from_public_key_affine_coordinates(&group, &x, &y).map_err(|e| KeyError::Jwk {
        member: "x",
        reason: format!("(x, y) is not a point on the curve: {e}"),
    })
}

fn okp_check(jwk: &Map<String, Value>) -> Result<(), KeyError> {
    match required(jwk, "crv")? {
        "Ed25519" => Ok(()),
        other => Err(KeyError::Jwk {
            member: "crv",
            reason: format!("OKP curve `{other}` is not supported (Ed25519)"),
        }),
    }
}

/// Reads a private JWK into an OpenSSL key, with its `kid`.
pub(super) fn private_from_jwk(json: &[u8]) -> Result<(PKey<Private>, Option<String>), KeyError> {
    let jwk = parse(json)?;
    if !jwk.contains_key("d") {
        return Err(KeyError::NotPrivate {
            found: "the JWK (no `d`)",
        });
    }
    let pkey = match required(&jwk, "kty")? {
        "RSA" => {
            let (n, e, d) = (bn(&jwk, "n")?, bn(&jwk, "e")?, bn(&jwk, "d")?);
            let crt = ["p", "q", "dp", "dq", "qi"];
            let rsa = if crt.iter().all(|m| jwk.contains_key(*m)) {
                Rsa::from_private_components(
                    n,
                    e,
                    d,
                    bn(&jwk, "p")?,
                    bn(&jwk, "q")?,
                    bn(&jwk, "dp")?,
                    bn(&jwk, "dq")?,
                    bn(&jwk, "qi")?,
                )
            } else {
                RsaPrivateKeyBuilder::new(n, e, d).map(RsaPrivateKeyBuilder::build)
            }
            .map_err(backend)?;
            if !rsa.check_key().unwrap_or(false) {
                return Err(KeyError::Jwk {
                    member: "d",
                    reason: "the RSA private components are inconsistent".into(),
                });
            }
            PKey::from_rsa(rsa).map_err(backend)?
        }
        "EC" => {
            let public = ec_public(&jwk)?;
            let d = bn(&jwk, "d")?;
            let ec = EcKey::from_private_components(public.group(), &d, public.public_key())
                .map_err(backend)?;
            ec.check_key().map_err(|e| KeyError::Jwk {
                member: "d",
                reason: format!("does not match (x, y): {e}"),
            })?;
            PKey::from_ec_key(ec).map_err(backend)?
        }
        "OKP" => {
            okp_check(&jwk)?;
            PKey::private_key_from_raw_bytes(&required_bytes(&jwk, "d")?, Id::ED25519).map_err(
                |e| KeyError::Jwk {
                    member: "d",
                    reason: format!("not an Ed25519 private key: {e}"),
                },
            )?
        }
        other => return Err(unsupported_kty(other)),
    };
    Ok((pkey, kid(&jwk)?))
}

fn unsupported_kty(kty: &str) -> KeyError {
    KeyError::Jwk {
        member: "kty",
        reason: format!("key type `{kty}` is not supported (RSA, EC, OKP)"),
    }
}

/// Reads the public part of a JWK into an OpenSSL key, with its `kid`.
pub(super) fn public_from_jwk(json: &[u8]) -> Result<(PKey<Public>, Option<String>), KeyError> {
    let jwk = parse(json)?;
    let pkey = match required(&jwk, "kty")? {
        "RSA" => PKey::from_rsa(
            Rsa::from_public_components(bn(&jwk, "n")?, bn(&jwk, "e")?).map_err(backend)?,
        ),
        "EC" => PKey::from_ec_key(ec_public(&jwk)?),
        "OKP" => {
            okp_check(&jwk)?;
            PKey::public_key_from_raw_bytes(&required_bytes(&jwk, "x")?, Id::ED25519)
        }
        other => return Err(unsupported_kty(other)),
    }
    .map_err(backend)?;
    Ok((pkey, kid(&jwk)?))
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(URL_SAFE_NO_PAD.encode(bytes))
}

/// The members of the public JWK that RFC 7638 hashes, in lexicographic order.
fn required_members(pkey: &PKey<Public>, kind: KeyKind) -> Result<Map<String, Value>, KeyError> {
    let mut m = Map::new();
    match kind {
        KeyKind::Rsa { .. } => {
            let rsa = pkey.rsa().map_err(backend)?;
            m.insert("e".into(), b64(&rsa.e().to_vec()));
            m.insert("kty".into(), "RSA".into());
            m.insert("n".into(), b64(&rsa.n().to_vec()));
        }
        KeyKind::P256 | KeyKind::P384 => {
            let (crv, len) = if kind == KeyKind::P256 {
                ("P-256", 32)
            } else {
                ("P-384", 48)
            };
            let ec = pkey.ec_key().map_err(backend)?;
            let (x, y) = affine(ec.group(), ec.public_key())?;
            m.insert("crv".into(), crv.into());
            m.insert("kty".into(), "EC".into());
            m.insert("x".into(), b64(&x.to_vec_padded(len).map_err(backend)?));
            m.insert("y".into(), b64(&y.to_vec_padded(len).map_err(backend)?));
        }
        KeyKind::Ed25519 => {
            m.insert("crv".into(), "Ed25519".into());
            m.insert("kty".into(), "OKP".into());
            m.insert("x".into(), b64(&pkey.raw_public_key().map_err(backend)?));
        }
    }
    Ok(m)
}

fn affine(
    group: &openssl::ec::EcGroupRef,
    point: &openssl::ec::EcPointRef,
) -> Result<(BigNum, BigNum), KeyError> {
    let mut ctx = BigNumContext::new().map_err(backend)?;
    let (mut x, mut y) = (
        BigNum::new().map_err(backend)?,
        BigNum::new().map_err(backend)?,
    );
    point
        .affine_coordinates(group, &mut x, &mut y, &mut ctx)
        .map_err(backend)?;
    Ok((x, y))
}

/// The public JWK of a key.
pub(super) fn public_to_jwk(
    pkey: &PKey<Public>,
    kind: KeyKind,
    kid: Option<&str>,
) -> Result<Map<String, Value>, KeyError> {
    let mut m = required_members(pkey, kind)?;
    if let Some(kid) = kid {
        m.insert("kid".into(), kid.into());
    }
    Ok(m)
}

/// RFC 7638 thumbprint: SHA-256 of the required members, base64url.
pub(super) fn thumbprint(pkey: &PKey<Public>, kind: KeyKind) -> Result<String, KeyError> {
    let m = required_members(pkey, kind)?;
    let json = serde_json::to_vec(&Value::Object(m)).map_err(|e| KeyError::Backend {
        reason: e.to_string(),
    })?;
    Ok(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(&json)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::keys::{PrivateKey, PublicKey};

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = br#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
        let key = PublicKey::from_jwk(jwk).unwrap();
        assert_eq!(
            key.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert_eq!(key.kid(), Some("2011-04-29"));
    }

    #[test]
    fn private_jwk_round_trip_for_each_kind() {
        for kind in [
            KeyKind::RSA2048,
            KeyKind::P256,
            KeyKind::P384,
            KeyKind::Ed25519,
        ] {
            let key = PrivateKey::generate(kind).unwrap();
            let jwk = private_jwk_for_test(&key);
            let again = PrivateKey::from_jwk(jwk.as_bytes()).unwrap();
            assert_eq!(
                again.public_key().unwrap(),
                key.public_key().unwrap(),
                "{kind}"
            );
        }
    }

    /// Builds a private JWK by hand (the crate only exports public JWKs).
    fn private_jwk_for_test(key: &PrivateKey) -> String {
        let mut m = key.public_key().unwrap().to_jwk().unwrap();
        let p = key.pkey();
        match key.kind() {
            KeyKind::Rsa { .. } => {
                let r = p.rsa().unwrap();
                m.insert("d".into(), b64(&r.d().to_vec()));
                for (name, v) in [
                    ("p", r.p()),
                    ("q", r.q()),
                    ("dp", r.dmp1()),
                    ("dq", r.dmq1()),
                    ("qi", r.iqmp()),
                ] {
                    m.insert(name.into(), b64(&v.unwrap().to_vec()));
                }
            }
            KeyKind::P256 | KeyKind::P384 => {
                let len = if key.kind() == KeyKind::P256 { 32 } else { 48 };
                m.insert(
                    "d".into(),
                    b64(&p
                        .ec_key()
                        .unwrap()
                        .private_key()
                        .to_vec_padded(len)
                        .unwrap()),
                );
            }
            KeyKind::Ed25519 => {
                m.insert("d".into(), b64(&p.raw_private_key().unwrap()));
            }
        }
        serde_json::to_string(&m).unwrap()
    }

    #[test]
    fn jwk_errors_name_the_member() {
        let e = PublicKey::from_jwk(br#"{"kty":"oct","k":"AAAA"}"#).unwrap_err();
        assert!(e.to_string().starts_with("JWK member `kty`"), "{e}");
        let e =
            PublicKey::from_jwk(br#"{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}"#).unwrap_err();
        assert!(e.to_string().contains("`crv`"), "{e}");
        let e =
            PublicKey::from_jwk(br#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#).unwrap_err();
        assert!(
            e.to_string().contains("member `x`: must be 32 bytes"),
            "{e}"
        );
        let e = PrivateKey::from_jwk(br#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#).unwrap_err();
        assert!(matches!(e, KeyError::NotPrivate { .. }), "{e}");
        let e = PublicKey::from_jwk(br#"{"keys":[{"kty":"RSA"},{"kty":"RSA"}]}"#).unwrap_err();
        assert!(e.to_string().contains("holds 2 keys"), "{e}");
        let e = PublicKey::from_jwk(br#"{"kty":"RSA","n":"a+b","e":"AQAB"}"#).unwrap_err();
        assert!(
            e.to_string().contains("member `n`: not unpadded base64url"),
            "{e}"
        );
    }
}
