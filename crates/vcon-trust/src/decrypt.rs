//! Decryption: encrypted vCon → signed vCon, with the `uuid` cross-check
//! (core-03 §Encrypted Form, rule R-41). Signatures are not verified here:
//! pass the result to [`crate::verify`].

use std::sync::OnceLock;

use serde_json::{Map, Value};
use vcon_core::Form;
use vcon_core::read::{ReadError, ReadLimits, parse_object};
use vcon_core::tree::JsonObj;

use crate::error::{DecryptError, EnvelopeError, Warning};
use crate::jose::jwe::{self, RecipientParts};
use crate::jose::{backend, jws, owned_map};
use crate::keys::PrivateKey;
use crate::{ContentEnc, KeyAlg};
use vcon_core::read::json_text;

/// Options of [`decrypt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptOptions {
    /// Limits for the input and for the plaintext (size, gzip, depth).
    pub limits: ReadLimits,
    /// Refuse a plaintext that is not a signed vCon (default true: core-03
    /// requires sign-then-encrypt). When false, it is a warning.
    pub require_signed: bool,
}

impl Default for DecryptOptions {
    fn default() -> Self {
        Self {
            limits: ReadLimits::default(),
            require_signed: true,
        }
    }
}

/// A decrypted vCon.
#[derive(Debug, Clone)]
pub struct Decrypted {
    /// The plaintext exactly as encrypted: the signed vCon's bytes.
    pub signed_bytes: Vec<u8>,
    /// The plaintext as an object (after gzip, if it was gzip), built from
    /// `signed_bytes` when [`Decrypted::signed`] is first called (a caller
    /// that writes the bytes out or verifies them never pays for it).
    signed: OnceLock<Map<String, Value>>,
    /// The limits the plaintext was read with.
    limits: ReadLimits,
    /// The uuid checked (unprotected header, else the inner vCon's), if any.
    pub uuid: Option<String>,
    /// Which recipient entry the key opened.
    pub recipient: usize,
    /// Its key management algorithm.
    pub alg: KeyAlg,
    /// The content encryption.
    pub enc: ContentEnc,
    /// Things accepted with a remark (repeated headers, legacy `cty`, ...).
    pub warnings: Vec<Warning>,
}

fn unsupported(
    pointer: String,
    member: &'static str,
    value: &str,
    supported: &'static str,
) -> DecryptError {
    DecryptError::Unsupported {
        pointer,
        member,
        value: value.to_owned(),
        supported,
    }
}

/// Reads and decrypts an encrypted vCon with `key`, trying every recipient
/// entry the key could open.
pub fn decrypt(
    encrypted: &[u8],
    key: &PrivateKey,
    options: &DecryptOptions,
) -> Result<Decrypted, DecryptError> {
    // Read with vcon-core's borrowed fast parser (the bounded reader when it
    // gives up, for its error): the base64 members are decoded from the input.
    let (json, _) = json_text(encrypted, &options.limits)?;
    let depth = options.limits.max_depth;
    let mut parsed = match vcon_core::tree::parse(&json, depth) {
        Ok(object) => envelope(&object)?,
        Err(_) => envelope(&parse_object(&json, depth)?)?,
    };
    let mut warnings = std::mem::take(&mut parsed.warnings);
    let enc = content_enc(&parsed.recipients)?;
    let first = &parsed.recipients[0];
    if let Some(crit) = first.union.get("crit") {
        return Err(DecryptError::Critical {
            members: crit.to_string(),
        });
    }
    if let Some(zip) = first.str_member("zip")? {
        return Err(unsupported(first.pointer_of("zip"), "zip", zip, "none"));
    }

    let (plaintext, recipient, alg) = open(&parsed, key, enc)?;
    let header_uuid = first.str_member("uuid")?.map(str::to_owned);
    match first.str_member("cty")? {
        Some("application/vcon" | "application/vcon+gzip") => {}
        Some(other) => warnings.push(Warning {
            pointer: first.pointer_of("cty"),
            rule: Some("R-41"),
            message: format!("cty `{other}` is not application/vcon or application/vcon+gzip (application/vcon+json is the pre-core-00 name)"),
        }),
        None => warnings.push(Warning {
            pointer: "/unprotected".into(),
            rule: Some("R-41"),
            message: "no cty; core-03 says application/vcon or application/vcon+gzip".into(),
        }),
    }
    if header_uuid.is_none() {
        warnings.push(Warning {
            pointer: "/unprotected".into(),
            rule: Some("R-41"),
            message: "no uuid; core-03 says the unprotected header SHOULD carry the vCon's uuid"
                .into(),
        });
    }
    let not_json = |e: ReadError| DecryptError::PlaintextNotSigned {
        reason: format!("it does not read as a JSON object: {e}"),
    };
    let (text, _) = json_text(&plaintext, &options.limits).map_err(not_json)?;
    let w = &mut warnings;
    let uuid = match vcon_core::tree::parse(&text, depth) {
        Ok(object) => inspect_plaintext(&object, header_uuid, options, w)?,
        Err(_) => {
            let object = parse_object(&text, depth).map_err(not_json)?;
            inspect_plaintext(&object, header_uuid, options, w)?
        }
    };
    Ok(Decrypted {
        signed_bytes: plaintext,
        signed: OnceLock::new(),
        limits: options.limits,
        uuid,
        recipient,
        alg,
        enc,
        warnings,
    })
}

/// The parsed envelope of an encrypted vCon; refuses other forms.
fn envelope<O: JsonObj>(object: &O) -> Result<jwe::Jwe, DecryptError> {
    let form = Form::detect(object);
    if form != Some(Form::Encrypted) {
        return Err(DecryptError::NotEncrypted { found: form });
    }
    Ok(jwe::parse(object)?)
}

impl PartialEq for Decrypted {
    fn eq(&self, other: &Self) -> bool {
        // The map is a function of the bytes (and the limits).
        self.signed_bytes == other.signed_bytes
            && self.limits == other.limits
            && self.uuid == other.uuid
            && self.recipient == other.recipient
            && self.alg == other.alg
            && self.enc == other.enc
            && self.warnings == other.warnings
    }
}

impl Decrypted {
    /// The plaintext as an object (after gzip, if it was gzip); parsed once,
    /// on first use.
    pub fn signed(&self) -> &Map<String, Value> {
        self.signed.get_or_init(|| self.parse_signed())
    }

    /// The plaintext as an object, taken out.
    pub fn into_signed(mut self) -> Map<String, Value> {
        match self.signed.take() {
            Some(map) => map,
            None => self.parse_signed(),
        }
    }

    /// [`decrypt`] read these bytes as a JSON object with these very parsers
    /// and limits, so this cannot fail (an empty map if it did).
    fn parse_signed(&self) -> Map<String, Value> {
        let Ok((text, _)) = json_text(&self.signed_bytes, &self.limits) else {
            return Map::new();
        };
        let depth = self.limits.max_depth;
        match vcon_core::tree::parse(&text, depth) {
            Ok(object) => owned_map(&object),
            Err(_) => parse_object(&text, depth).unwrap_or_default(),
        }
    }
}

/// Checks the decrypted plaintext (a signed vCon, its uuids equal to the
/// unprotected one); returns the uuid to report.
fn inspect_plaintext<O: JsonObj>(
    object: &O,
    header_uuid: Option<String>,
    options: &DecryptOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Option<String>, DecryptError> {
    let uuid = match Form::detect(object) {
        Some(Form::Signed) => check_uuid(object, header_uuid, &options.limits)?,
        found => {
            let reason = format!("it is {}", found.map_or("of no vCon form", Form::as_str));
            if options.require_signed {
                return Err(DecryptError::PlaintextNotSigned { reason });
            }
            warnings.push(Warning {
                pointer: String::new(),
                rule: Some("R-41"),
                message: format!("the plaintext is not a signed vCon: {reason}"),
            });
            header_uuid
        }
    };
    Ok(uuid)
}

/// The `enc` of the message: the same for every recipient.
fn content_enc(recipients: &[RecipientParts]) -> Result<ContentEnc, DecryptError> {
    let mut found: Option<ContentEnc> = None;
    for r in recipients {
        let Some(name) = r.str_member("enc")? else {
            return Err(EnvelopeError {
                pointer: format!("/recipients/{}/header", r.index),
                reason: "no `enc` in the protected, unprotected or recipient header".into(),
                rule: "R-41",
            }
            .into());
        };
        let enc = ContentEnc::from_name(name).ok_or_else(|| {
            unsupported(r.pointer_of("enc"), "enc", name, "A256CBC-HS512, A256GCM")
        })?;
        if found.is_some_and(|f| f != enc) {
            return Err(EnvelopeError {
                pointer: r.pointer_of("enc"),
                reason: "differs from recipient 0's enc; one content encryption per message".into(),
                rule: "R-41",
            }
            .into());
        }
        found = Some(enc);
    }
    found.ok_or_else(|| {
        EnvelopeError {
            pointer: "/recipients".into(),
            reason: "is empty".into(),
            rule: "R-41",
        }
        .into()
    })
}

/// Tries each recipient the key fits; returns the plaintext, the recipient
/// index and its algorithm.
fn open(
    parsed: &jwe::Jwe,
    key: &PrivateKey,
    enc: ContentEnc,
) -> Result<(Vec<u8>, usize, KeyAlg), DecryptError> {
    let mut tried = Vec::new();
    let mut supported_seen = false;
    let mut content_error = None;
    let aad = parsed.aad();
    for r in &parsed.recipients {
        let i = r.index;
        let Some(alg_name) = r.str_member("alg")? else {
            return Err(EnvelopeError {
                pointer: format!("/recipients/{i}/header"),
                reason: "no `alg` in the protected, unprotected or recipient header".into(),
                rule: "R-41",
            }
            .into());
        };
        let Some(alg) = KeyAlg::from_name(alg_name) else {
            tried.push(format!("recipient {i}: alg `{alg_name}` is not supported"));
            continue;
        };
        supported_seen = true;
        if !key.kind().fits_key_alg(alg) {
            tried.push(format!("recipient {i}: {alg} needs another key type"));
            continue;
        }
        if let (Some(theirs), Some(ours)) = (r.str_member("kid")?, key.kid())
            && theirs != ours
        {
            tried.push(format!(
                "recipient {i}: kid `{theirs}` is not the key's `{ours}`"
            ));
            continue;
        }
        let cek = match backend::unwrap_key(alg, key, &r.encrypted_key, enc, &r.union.members) {
            Ok(cek) => cek,
            Err(e) => {
                tried.push(format!(
                    "recipient {i} ({alg}): the key does not unwrap its encrypted_key ({e})"
                ));
                continue;
            }
        };
        match backend::decrypt_content(enc, &cek, &parsed.iv, &parsed.ciphertext, &aad, &parsed.tag)
        {
            Ok(plaintext) => return Ok((plaintext, i, alg)),
            Err(reason) => {
                tried.push(format!("recipient {i} ({alg}): content does not decrypt"));
                content_error.get_or_insert(DecryptError::Content { enc, reason });
            }
        }
    }
    if let Some(e) = content_error {
        return Err(e);
    }
    if !supported_seen {
        let r = &parsed.recipients[0];
        let value = r.str_member("alg")?.unwrap_or_default().to_owned();
        return Err(unsupported(
            r.pointer_of("alg"),
            "alg",
            &value,
            "RSA-OAEP, RSA-OAEP-256, ECDH-ES+A256KW",
        ));
    }
    Err(DecryptError::NoRecipientForKey {
        kind: key.kind(),
        tried: tried.join("; "),
    })
}

/// Compares the unprotected uuid with each signature header's and the
/// payload's; returns the uuid to report.
fn check_uuid<O: JsonObj>(
    signed: &O,
    unprotected: Option<String>,
    limits: &ReadLimits,
) -> Result<Option<String>, DecryptError> {
    // The envelope checked as `jws::parse` checks it, without building it.
    let headers = jws::header_uuids(signed).map_err(|e| DecryptError::PlaintextNotSigned {
        reason: e.to_string(),
    })?;
    let payload_uuid = jws::innermost_uuid(signed, limits, 8).ok();
    let Some(expected) = unprotected else {
        return Ok(payload_uuid);
    };
    let mismatch = |found: &str, location: String| DecryptError::UuidMismatch {
        unprotected: expected.clone(),
        found: found.to_owned(),
        location,
    };
    for (index, header) in headers.iter().enumerate() {
        if let Ok(Some(h)) = header
            && *h != expected
        {
            return Err(mismatch(h, format!("/signatures/{index}/header/uuid")));
        }
    }
    if let Some(p) = &payload_uuid
        && *p != expected
    {
        return Err(mismatch(p, "the payload vCon's uuid".into()));
    }
    Ok(Some(expected))
}
