//! Encryption: signed vCon → encrypted vCon (JWE General JSON
//! Serialization, core-03 §Encrypted Form). See the crate documentation for
//! the header layout.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::{Map, Value};
use vcon_core::Form;
use vcon_core::read::{ReadLimits, parse_object};
use vcon_core::tree::JsonObj;

use crate::error::{EncryptError, EnvelopeError};
use crate::jose::json::{self, Member, Style};
use crate::jose::{b64, backend, jws};
use crate::keys::{KeyError, PublicKey};
use crate::x509::Certificate;
use crate::{ContentEnc, KeyAlg};
use vcon_core::read::json_text;

/// Someone who will be able to decrypt.
#[derive(Debug, Clone)]
pub struct Recipient {
    /// The recipient's public key (RSA for RSA-OAEP*, P-256/P-384 for ECDH-ES+A256KW).
    pub key: PublicKey,
    /// The key management algorithm; `None` picks the key's default
    /// (RSA → RSA-OAEP, EC → ECDH-ES+A256KW).
    pub alg: Option<KeyAlg>,
}

impl Recipient {
    /// A recipient with the key's default algorithm.
    pub fn new(key: PublicKey) -> Self {
        Self { key, alg: None }
    }

    /// A recipient identified by a certificate (its key is used).
    pub fn from_certificate(cert: &Certificate) -> Result<Self, KeyError> {
        Ok(Self::new(cert.public_key()?))
    }

    /// Reads a certificate, public key or JWK file — what `vcon encrypt --to FILE` needs.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        Ok(Self::new(PublicKey::load(path)?))
    }

    /// Chooses the algorithm.
    #[must_use]
    pub fn alg(mut self, alg: KeyAlg) -> Self {
        self.alg = Some(alg);
        self
    }
}

/// Options of [`encrypt`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EncryptOptions {
    /// Content encryption (default A256CBC-HS512, the draft's SHOULD).
    pub enc: ContentEnc,
    /// The unprotected `cty`; `None` means `application/vcon`, or
    /// `application/vcon+gzip` when the signed input is gzip.
    pub cty: Option<String>,
    /// Limits for reading the signed input.
    pub limits: ReadLimits,
}

/// An encrypted vCon.
#[derive(Debug, Clone)]
pub struct EncryptedVcon {
    /// The JSON text (pretty-printed).
    pub bytes: Vec<u8>,
    /// The same as an object, parsed from `bytes` when
    /// [`EncryptedVcon::object`] is first called: the text is written
    /// straight from the parts (the ciphertext's base64url into the output
    /// buffer), and a caller that writes it out never pays for the map.
    object: OnceLock<Map<String, Value>>,
    /// The uuid written to the unprotected header.
    pub uuid: String,
}

impl PartialEq for EncryptedVcon {
    fn eq(&self, other: &Self) -> bool {
        // The map is a function of the bytes.
        self.bytes == other.bytes && self.uuid == other.uuid
    }
}

impl EncryptedVcon {
    /// The encrypted vCon as an object (parsed once, on first use).
    pub fn object(&self) -> &Map<String, Value> {
        self.object.get_or_init(|| self.parse_object())
    }

    /// The encrypted vCon as an object, taken out.
    pub fn into_object(mut self) -> Map<String, Value> {
        match self.object.take() {
            Some(map) => map,
            None => self.parse_object(),
        }
    }

    /// [`encrypt`] wrote these bytes as a JSON object, so this cannot fail
    /// (an empty map if it did).
    fn parse_object(&self) -> Map<String, Value> {
        serde_json::from_slice(&self.bytes).unwrap_or_default()
    }
}

/// Encrypts a signed vCon (the exact bytes given become the plaintext) to
/// one or more recipients. Unsigned input is refused: sign first.
pub fn encrypt(
    signed: &[u8],
    recipients: &[Recipient],
    options: &EncryptOptions,
) -> Result<EncryptedVcon, EncryptError> {
    // The signed input is read with vcon-core's borrowed fast parser (the
    // bounded reader when it gives up, for its error): only the header
    // members and the uuid are copied out of it.
    let (json, gzipped) = json_text(signed, &options.limits)?;
    let depth = options.limits.max_depth;
    let uuid = match vcon_core::tree::parse(&json, depth) {
        Ok(object) => signed_uuid(&object, &options.limits)?,
        Err(_) => signed_uuid(&parse_object(&json, depth)?, &options.limits)?,
    };
    seal(signed, gzipped, uuid, recipients, options)
}

/// The uuid of a signed vCon, after checking its envelope; refuses other forms.
fn signed_uuid<O: JsonObj>(object: &O, limits: &ReadLimits) -> Result<String, EncryptError> {
    let form = Form::detect(object);
    if form != Some(Form::Signed) {
        return Err(EncryptError::NotSigned { found: form });
    }
    // The envelope checked as `jws::parse` checks it, without building it.
    let headers = jws::header_uuids(object)?;
    let uuid = jws::innermost_uuid(object, limits, 8)
        .map_err(|reason| EncryptError::MissingUuid { reason })?;
    // The uuid goes to the unprotected header, which [`crate::decrypt`] checks
    // against every signature's: refuse what could not be decrypted back.
    for (index, header) in headers.into_iter().enumerate() {
        if let Some(h) = header?
            && h != uuid
        {
            return Err(EnvelopeError {
                pointer: format!("/signatures/{index}/header/uuid"),
                reason: format!("`{h}` differs from the payload vCon's uuid `{uuid}`"),
                rule: "R-39",
            }
            .into());
        }
    }
    Ok(uuid)
}

/// Encrypts the checked signed vCon `signed` (its uuid found) to `recipients`.
fn seal(
    signed: &[u8],
    gzipped: bool,
    uuid: String,
    recipients: &[Recipient],
    options: &EncryptOptions,
) -> Result<EncryptedVcon, EncryptError> {
    if recipients.is_empty() {
        return Err(EncryptError::NoRecipients);
    }
    let mut algs = Vec::with_capacity(recipients.len());
    for (i, r) in recipients.iter().enumerate() {
        let kind = r.key.kind();
        let alg = match r.alg.or_else(|| kind.default_key_alg()) {
            Some(alg) if kind.fits_key_alg(alg) => alg,
            other => {
                return Err(EncryptError::KeyAlgMismatch {
                    recipient: i,
                    alg: other.unwrap_or_default(),
                    kind,
                });
            }
        };
        algs.push(alg);
    }
    let shared_alg = algs.iter().all(|a| *a == algs[0]).then_some(algs[0]);
    let enc = options.enc;

    let mut protected = Map::new();
    if let Some(alg) = shared_alg {
        protected.insert("alg".into(), alg.name().into());
    }
    protected.insert("enc".into(), enc.name().into());
    let mut unprotected = Map::new();
    unprotected.insert("uuid".into(), uuid.clone().into());
    let cty = options.cty.clone().unwrap_or_else(|| {
        if gzipped {
            "application/vcon+gzip"
        } else {
            "application/vcon"
        }
        .to_owned()
    });
    unprotected.insert("cty".into(), cty.into());

    let backend_err = |what: String| move |reason: String| EncryptError::Backend { what, reason };
    let protected_b64 = b64(&json::to_vec(&protected, Style::Compact));
    // Key and iv from one call: each `RAND_bytes` in OpenSSL 3.0 is a DRBG
    // request of its own (~1 µs, with the thread's DRBG look-up).
    let mut cek = backend::random(backend::key_len(enc) + backend::iv_len(enc))
        .map_err(backend_err("generating the content key and iv".into()))?;
    let iv = cek.split_off(backend::key_len(enc));

    let mut entries = Vec::with_capacity(recipients.len());
    for (i, (r, alg)) in recipients.iter().zip(&algs).enumerate() {
        let mut header = Map::new();
        if shared_alg.is_none() {
            header.insert("alg".into(), alg.name().into());
        }
        if let Some(kid) = r.key.kid() {
            header.insert("kid".into(), kid.into());
        }
        // The header union: only ECDH-ES reads it (`apu`, `apv`).
        let mut merged = Map::new();
        if *alg == KeyAlg::EcdhEsA256kw {
            merged.extend(protected.clone());
            merged.extend(unprotected.clone());
            merged.extend(header.clone());
        }
        let encrypted_key =
            backend::wrap_key(*alg, &r.key, &cek, &merged, &mut header).map_err(backend_err(
                format!("recipient {i}: wrapping the content key with {alg}"),
            ))?;
        let mut entry = Map::new();
        if !header.is_empty() {
            entry.insert("header".into(), Value::Object(header));
        }
        entry.insert("encrypted_key".into(), Value::String(b64(&encrypted_key)));
        entries.push(Value::Object(entry));
    }
    let (ciphertext, tag) =
        backend::encrypt_content(enc, &cek, &iv, signed, protected_b64.as_bytes())
            .map_err(backend_err(format!("{enc} content encryption")))?;

    let (protected, unprotected) = (Value::String(protected_b64), Value::Object(unprotected));
    let entries = Value::Array(entries);
    let bytes = json::object_pretty(&[
        ("protected", Member::Json(&protected)),
        ("unprotected", Member::Json(&unprotected)),
        ("recipients", Member::Json(&entries)),
        ("iv", Member::Base64(&iv)),
        ("ciphertext", Member::Base64(&ciphertext)),
        ("tag", Member::Base64(&tag)),
    ]);
    Ok(EncryptedVcon {
        bytes,
        object: OnceLock::new(),
        uuid,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::keys::{KeyKind, PrivateKey};
    use crate::{DecryptOptions, SignOptions, Signer, decrypt, sign};

    /// Found by the `envelope` fuzz target: a signed vCon whose header uuid
    /// differs from its payload's was encrypted, and `decrypt` then refused
    /// the result (R-41 uuid check). It is refused up front now.
    #[test]
    fn a_header_uuid_that_differs_from_the_payload_is_refused() {
        let key = PrivateKey::generate(KeyKind::P256).unwrap();
        let vcon =
            serde_json::json!({"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "parties": []});
        let signed = sign(
            vcon.as_object().unwrap(),
            &[Signer::new(key.clone())],
            &SignOptions::default(),
        )
        .unwrap();
        let to = [Recipient::new(key.public_key().unwrap())];
        let sealed = encrypt(&signed.bytes, &to, &EncryptOptions::default()).unwrap();
        decrypt(&sealed.bytes, &key, &DecryptOptions::default()).unwrap();

        let mut object = signed.object.clone();
        object["signatures"][0]["header"]["uuid"] = "another".into();
        let bytes = serde_json::to_vec(&object).unwrap();
        let e = encrypt(&bytes, &to, &EncryptOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/signatures/0/header/uuid: `another` differs from the payload vCon's uuid `019f15a6-a752-826f-b9a2-279e0d16bc46` (R-39)"
        );
    }
}
