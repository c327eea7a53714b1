//! One signature of a layer: its header checked, its key found (an `x5c`
//! chain to the trust anchors, through the options' chain cache, or a given
//! public key) and the signature verified.

use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;

use super::{SignerInfo, SignerTrust, VerifyOptions};
use crate::SignAlg;
use crate::error::{EnvelopeError, VerifyError, Warning};
use crate::jose::backend;
use crate::jose::jws::{self, SigParts};
use crate::keys::PublicKey;
use crate::x509::cache::{CachedChain, ChainKey};
use crate::x509::{Certificate, ChainOptions, validate_chain};

/// The `x5c` entries as written, if the header has `x5c`.
fn x5c_texts(sig: &SigParts) -> Result<Option<Vec<&str>>, VerifyError> {
    let Some(value) = sig.union.get("x5c") else {
        return Ok(None);
    };
    // The pointer is only built for an error.
    let at = || vcon_core::validate::pointer_join(sig.union.origin_of("x5c"), "x5c");
    let Value::Array(entries) = value else {
        return Err(EnvelopeError {
            pointer: at(),
            reason: "must be an array of base64 certificates".into(),
            rule: "R-39",
        }
        .into());
    };
    let mut texts = Vec::with_capacity(entries.len());
    for (k, entry) in entries.iter().enumerate() {
        let Value::String(s) = entry else {
            return Err(EnvelopeError {
                pointer: format!("{}/{k}", at()),
                reason: "must be a string".into(),
                rule: "R-39",
            }
            .into());
        };
        texts.push(s.as_str());
    }
    Ok(Some(texts))
}

/// Parses the `x5c` entries of signature `index`.
fn parse_x5c(texts: &[&str], index: usize) -> Result<Vec<Certificate>, VerifyError> {
    texts
        .iter()
        .enumerate()
        .map(|(k, s)| {
            Certificate::from_x5c(s, k).map_err(|e| VerifyError::Chain {
                index,
                source: crate::x509::ChainError::Parse {
                    index: k,
                    reason: e.to_string(),
                },
            })
        })
        .collect()
}

/// The validated chain of `texts` for signature `index`: from the options'
/// cache (its dates checked again at the verification time), or parsed and
/// validated in full (and then kept).
fn trusted_chain(
    texts: &[&str],
    index: usize,
    options: &VerifyOptions,
) -> Result<Arc<CachedChain>, VerifyError> {
    let key = ChainKey {
        x5c: texts,
        anchors: &options.anchors,
        policy: options.policy(),
        max_len: options.max_chain_len,
    };
    let at = options.time.unwrap_or_else(Utc::now);
    let chain_error = |source| VerifyError::Chain { index, source };
    if let Some(hit) = options.chain_cache.get(&key) {
        hit.check_dates(at).map_err(chain_error)?;
        return Ok(hit);
    }
    let chain = parse_x5c(texts, index)?;
    let chain_options = ChainOptions {
        policy: options.policy(),
        time: Some(at),
        max_len: options.max_chain_len,
    };
    let validated =
        validate_chain(&chain, &options.anchors, &chain_options).map_err(chain_error)?;
    let entry = CachedChain::new(&key, chain, validated);
    options.chain_cache.insert(&key, &entry);
    Ok(entry)
}

pub(super) fn verify_signature(
    sig: &SigParts,
    payload_b64: &str,
    options: &VerifyOptions,
    warnings: &mut Vec<Warning>,
) -> Result<SignerInfo, VerifyError> {
    let index = sig.index;
    let alg_name = sig.str_member("alg")?.ok_or_else(|| EnvelopeError {
        pointer: format!("{}/protected", sig.pointer()),
        reason: "no `alg` in the protected or unprotected header".into(),
        rule: "R-39",
    })?;
    let alg = SignAlg::from_name(alg_name).ok_or_else(|| VerifyError::UnsupportedAlg {
        index,
        alg: alg_name.to_owned(),
        location: sig.location_of("alg"),
    })?;
    if !options.allowed_algs.contains(&alg) {
        return Err(VerifyError::AlgNotAllowed { index, alg });
    }
    if let Some(crit) = sig.union.get("crit") {
        let members = match crit {
            Value::Array(a) => a
                .iter()
                .map(|v| v.as_str().unwrap_or("(non-string)"))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        return Err(VerifyError::Critical { index, members });
    }
    let kid = sig.str_member("kid")?.map(str::to_owned);
    let header_uuid = sig.str_member("uuid")?.map(str::to_owned);
    let x5u = sig.str_member("x5u")?.map(str::to_owned);
    let x5c = x5c_texts(sig)?;
    let input = jws::signing_input(&sig.protected_b64, payload_b64);
    let input = &input[..];

    if x5c.is_none() && x5u.is_none() {
        warnings.push(Warning {
            pointer: sig.pointer(),
            rule: Some("R-39"),
            message: "the header has neither x5c nor x5u; only a given public key can verify it"
                .into(),
        });
    }
    if options.anchors.is_empty()
        && let Some(texts) = &x5c
    {
        // Not validated without anchors, but a certificate that does not
        // parse is still refused.
        parse_x5c(texts, index)?;
    }
    let trust = match (&x5c, options.anchors.is_empty()) {
        (Some(texts), false) => {
            let entry = trusted_chain(texts, index, options)?;
            let ok = &entry.validated;
            for w in &ok.warnings {
                warnings.push(Warning {
                    pointer: format!("{}/x5c", sig.pointer()),
                    rule: None,
                    message: w.clone(),
                });
            }
            let leaf = &entry.chain[0];
            let key = leaf.public_key().map_err(|e| VerifyError::Chain {
                index,
                source: crate::x509::ChainError::Parse {
                    index: 0,
                    reason: e.to_string(),
                },
            })?;
            if !key.kind().fits_sign_alg(alg) {
                return Err(VerifyError::KeyAlgMismatch {
                    index,
                    alg,
                    kind: key.kind(),
                });
            }
            backend::verify(alg, &key, input, &sig.signature).map_err(|_| {
                VerifyError::BadSignature {
                    index,
                    alg,
                    signer: format!("the key of certificate 0 ({})", leaf.subject()),
                }
            })?;
            SignerTrust::Chain {
                chain_subjects: ok.subjects.clone(),
                anchor_subject: ok.anchor_subject.clone(),
                policy: ok.policy,
            }
        }
        _ if !options.public_keys.is_empty() => {
            let trust = by_public_key(
                index,
                alg,
                kid.as_deref(),
                input,
                &sig.signature,
                &options.public_keys,
            )?;
            if x5c.is_some() {
                warnings.push(Warning {
                    pointer: format!("{}/x5c", sig.pointer()),
                    rule: None,
                    message: "x5c not validated (no trust anchors given); trusted through a given public key".into(),
                });
            }
            trust
        }
        _ => {
            let reason = match (&x5c, &x5u) {
                (Some(_), _) => {
                    "has an x5c chain but no trust anchors (or public keys) were given".to_owned()
                }
                (None, Some(u)) => format!(
                    "names x5u `{u}`, which is not fetched (no network access); give the signer's public key"
                ),
                (None, None) => {
                    "has neither x5c nor x5u (R-39), and no public key was given to verify it with"
                        .to_owned()
                }
            };
            return Err(VerifyError::NoTrust { index, reason });
        }
    };
    Ok(SignerInfo {
        index,
        alg,
        kid,
        header_uuid,
        trust,
    })
}

fn by_public_key(
    index: usize,
    alg: SignAlg,
    kid: Option<&str>,
    input: &[u8],
    signature: &[u8],
    keys: &[PublicKey],
) -> Result<SignerTrust, VerifyError> {
    let candidates: Vec<(usize, &PublicKey)> = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.kind().fits_sign_alg(alg))
        .filter(|(_, k)| match (kid, k.kid()) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
        .collect();
    if candidates.is_empty() {
        return Err(VerifyError::NoTrust {
            index,
            reason: format!(
                "none of the {} given public key(s) fits alg {alg}{}",
                keys.len(),
                kid.map(|k| format!(" and kid `{k}`")).unwrap_or_default()
            ),
        });
    }
    for (key_index, key) in &candidates {
        if backend::verify(alg, key, input, signature).is_ok() {
            return Ok(SignerTrust::PublicKey {
                key_index: *key_index,
                thumbprint: key.thumbprint(),
            });
        }
    }
    Err(VerifyError::BadSignature {
        index,
        alg,
        signer: format!(
            "any of the {} given public key(s) that fit it",
            candidates.len()
        ),
    })
}
