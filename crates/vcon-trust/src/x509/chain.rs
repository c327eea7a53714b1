//! Validation of an `x5c` chain (leaf first) to configured trust anchors.
//!
//! Two policies:
//!
//! * [`ChainPolicy::Strict`] (default): RFC 5280 path validation by
//!   rustls-webpki, plus this module's own link-by-link checks, which run
//!   first so that a failure names the certificate at fault.
//! * [`ChainPolicy::AllowV1Intermediates`] (explicit opt-in): the link-by-link
//!   checks alone, in which an issuing certificate that is X.509 v1 or has no
//!   basicConstraints is accepted with a warning. This is what the draft's
//!   Appendix A.6 chain needs (its leaf and intermediate are v1).
//!
//! The link-by-link checks (x509-parser), in both policies: chain length;
//! each certificate within its validity period at the verification time;
//! each certificate's issuer name equals the next one's subject and its
//! signature verifies with the next one's key; an issuing certificate that
//! says `CA:FALSE`, lacks `keyCertSign` in a keyUsage extension, or breaks a
//! pathLenConstraint is refused; the leaf's keyUsage, when present, allows
//! digitalSignature or nonRepudiation; the chain ends at a trust anchor
//! (a certificate equal to an anchor, or one signed by an anchor's key under
//! the anchor's name). Anchors are trusted as configured: their own validity
//! dates are not checked. Revocation is not checked.

use chrono::{DateTime, Utc};
use rustls_pki_types::{CertificateDer, UnixTime};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::Certificate;

/// How strictly a chain is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChainPolicy {
    /// RFC 5280 path validation (rustls-webpki). The default.
    #[default]
    Strict,
    /// Link-by-link checks in which v1 / no-basicConstraints issuing
    /// certificates are accepted with a warning (the draft's A.6 chain).
    AllowV1Intermediates,
}

/// Options of a chain validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainOptions {
    /// The policy.
    pub policy: ChainPolicy,
    /// Verification time; `None` means now.
    pub time: Option<DateTime<Utc>>,
    /// Most certificates accepted in an `x5c` (leaf included).
    pub max_len: usize,
}

impl Default for ChainOptions {
    fn default() -> Self {
        Self {
            policy: ChainPolicy::Strict,
            time: None,
            max_len: 8,
        }
    }
}

/// A chain that passed, with what was learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedChain {
    /// Subjects from the leaf up to the last certificate used (leaf first).
    pub subjects: Vec<String>,
    /// Subject of the trust anchor the chain ends at.
    pub anchor_subject: String,
    /// The policy that accepted it.
    pub policy: ChainPolicy,
    /// Things accepted only under [`ChainPolicy::AllowV1Intermediates`].
    pub warnings: Vec<String>,
}

/// Why a chain was refused. Every variant names the certificate: its index
/// in the `x5c` array (0 = leaf) and its subject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The `x5c` array is empty.
    #[error("x5c is empty")]
    Empty,
    /// More certificates than [`ChainOptions::max_len`].
    #[error("x5c holds {len} certificates, over the limit of {max}")]
    TooLong {
        /// Certificates given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A certificate does not parse.
    #[error("certificate {index}: {reason}")]
    Parse {
        /// Index in x5c.
        index: usize,
        /// What the parser said.
        reason: String,
    },
    /// No trust anchor was configured.
    #[error("no trust anchors configured: pass the root certificate(s) to trust")]
    NoAnchors,
    /// A certificate had expired at the verification time.
    #[error("certificate {index} ({subject}) expired at {not_after} (verification time {at})")]
    Expired {
        /// Index in x5c.
        index: usize,
        /// Its subject.
        subject: String,
        /// End of its validity.
        not_after: DateTime<Utc>,
        /// The verification time.
        at: DateTime<Utc>,
    },
    /// A certificate was not yet valid at the verification time.
    #[error(
        "certificate {index} ({subject}) is not valid before {not_before} (verification time {at})"
    )]
    NotYetValid {
        /// Index in x5c.
        index: usize,
        /// Its subject.
        subject: String,
        /// Start of its validity.
        not_before: DateTime<Utc>,
        /// The verification time.
        at: DateTime<Utc>,
    },
    /// A certificate's issuer is not the next certificate's subject.
    #[error(
        "certificate {index} ({subject}) names issuer `{issuer}`, but certificate {next} is `{next_subject}`"
    )]
    IssuerMismatch {
        /// Index in x5c.
        index: usize,
        /// Its subject.
        subject: String,
        /// Its issuer name.
        issuer: String,
        /// Index of the next certificate.
        next: usize,
        /// The next certificate's subject.
        next_subject: String,
    },
    /// A certificate's signature does not verify with its issuer's key.
    #[error(
        "certificate {index} ({subject}): signature does not verify with the key of certificate {issuer_index} ({issuer_subject}): {reason}"
    )]
    BadSignature {
        /// Index in x5c.
        index: usize,
        /// Its subject.
        subject: String,
        /// Index of the issuing certificate.
        issuer_index: usize,
        /// The issuer's subject.
        issuer_subject: String,
        /// What the verifier said.
        reason: String,
    },
    /// An issuing certificate may not issue certificates.
    #[error("certificate {index} ({subject}) cannot act as a CA: {reason}")]
    NotACa {
        /// Index in x5c.
        index: usize,
        /// Its subject.
        subject: String,
        /// Why.
        reason: String,
    },
    /// The leaf's keyUsage does not allow signing.
    #[error(
        "certificate 0 ({subject}): keyUsage {usage} allows neither digitalSignature nor nonRepudiation"
    )]
    LeafKeyUsage {
        /// The leaf's subject.
        subject: String,
        /// The key usages present.
        usage: String,
    },
    /// The chain does not end at a trust anchor.
    #[error("certificate {index} ({subject}) is not issued by any trust anchor: {detail}")]
    NotAnchored {
        /// Index of the last certificate.
        index: usize,
        /// Its subject.
        subject: String,
        /// Which anchors were tried and why they failed.
        detail: String,
    },
    /// rustls-webpki refused the chain for a reason the link checks did not find.
    #[error("strict RFC 5280 validation failed: {reason}")]
    Strict {
        /// The webpki error.
        reason: String,
    },
}

/// Whether `issuer`'s key verifies the signature on `child` (x509-parser
/// and ring; the certificates are parsed again only here).
fn verify_issued(child: &Certificate, issuer: &Certificate) -> Result<(), String> {
    let (_, c) = X509Certificate::from_der(child.der()).map_err(|e| e.to_string())?;
    let (_, i) = X509Certificate::from_der(issuer.der()).map_err(|e| e.to_string())?;
    c.verify_signature(Some(i.public_key()))
        .map_err(|e| e.to_string())
}

/// Validates `chain` (leaf first) against `anchors` under `options`.
///
/// The leaf's key is then fit to check signatures made by its subject.
pub fn validate_chain(
    chain: &[Certificate],
    anchors: &[Certificate],
    options: &ChainOptions,
) -> Result<ValidatedChain, ChainError> {
    if chain.is_empty() {
        return Err(ChainError::Empty);
    }
    if chain.len() > options.max_len {
        return Err(ChainError::TooLong {
            len: chain.len(),
            max: options.max_len,
        });
    }
    if anchors.is_empty() {
        return Err(ChainError::NoAnchors);
    }
    let at = options.time.unwrap_or_else(Utc::now);
    let linked = match options.policy {
        ChainPolicy::AllowV1Intermediates => {
            link_checks(chain, anchors, at, false, Signatures::Check)?
        }
        // A leaf that is itself an anchor is trusted directly (a pinned certificate).
        ChainPolicy::Strict => {
            let linked = link_checks(chain, anchors, at, true, Signatures::Skip)?;
            if linked.used == 1 {
                linked
            } else {
                match webpki_checks(&chain[..linked.used], anchors, at) {
                    Ok(anchor) => Linked {
                        anchor_subject: anchor
                            .and_then(|i| anchors.get(i))
                            .map_or(linked.anchor_subject, |a| a.subject().to_owned()),
                        ..linked
                    },
                    // Name the certificate at fault when the link checks can.
                    Err(e) => {
                        link_checks(chain, anchors, at, true, Signatures::Check)?;
                        return Err(e);
                    }
                }
            }
        }
    };
    Ok(ValidatedChain {
        subjects: chain[..linked.used]
            .iter()
            .map(|c| c.subject().to_owned())
            .collect(),
        anchor_subject: linked.anchor_subject,
        policy: options.policy,
        warnings: linked.warnings,
    })
}

/// Whether the link checks verify the certificate signatures. Under the
/// strict policy rustls-webpki verifies them (once), and the link checks
/// run with signatures only to name the certificate webpki refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signatures {
    Check,
    Skip,
}

struct Linked {
    /// How many x5c certificates the path uses (a certificate equal to an
    /// anchor ends it).
    used: usize,
    anchor_subject: String,
    warnings: Vec<String>,
}

fn link_checks(
    chain: &[Certificate],
    anchors: &[Certificate],
    at: DateTime<Utc>,
    strict: bool,
    signatures: Signatures,
) -> Result<Linked, ChainError> {
    let parsed = chain;
    let mut warnings = Vec::new();
    leaf_key_usage(&parsed[0])?;

    // A certificate equal to an anchor ends the path there.
    let anchor_at = chain
        .iter()
        .position(|c| anchors.iter().any(|a| a.der() == c.der()));
    if anchor_at == Some(0) {
        return Ok(Linked {
            used: 1,
            anchor_subject: parsed[0].subject().to_owned(),
            warnings,
        });
    }
    let used = anchor_at.map_or(chain.len(), |i| i + 1);
    let last_checked = anchor_at.unwrap_or(chain.len());

    for (index, p) in parsed[..last_checked].iter().enumerate() {
        validity(p, index, at)?;
        if index > 0 {
            ca_checks(p, index, index - 1, strict, &mut warnings)?;
        }
    }
    for index in 0..used - 1 {
        let (child, issuer) = (&parsed[index], &parsed[index + 1]);
        if child.facts().issuer_raw != issuer.facts().subject_raw {
            return Err(ChainError::IssuerMismatch {
                index,
                subject: child.subject().to_owned(),
                issuer: child.issuer().to_owned(),
                next: index + 1,
                next_subject: issuer.subject().to_owned(),
            });
        }
        if signatures == Signatures::Check {
            verify_issued(child, issuer).map_err(|reason| ChainError::BadSignature {
                index,
                subject: child.subject().to_owned(),
                issuer_index: index + 1,
                issuer_subject: issuer.subject().to_owned(),
                reason,
            })?;
        }
    }
    let anchor_subject = match anchor_at {
        Some(i) => parsed[i].subject().to_owned(),
        None => find_anchor(&parsed[used - 1], used - 1, anchors, signatures)?,
    };
    Ok(Linked {
        used,
        anchor_subject,
        warnings,
    })
}

/// The validity period check of certificate `index` at `at`.
pub(crate) fn validity(p: &Certificate, index: usize, at: DateTime<Utc>) -> Result<(), ChainError> {
    if at.timestamp() < p.not_before().timestamp() {
        return Err(ChainError::NotYetValid {
            index,
            subject: p.subject().to_owned(),
            not_before: p.not_before(),
            at,
        });
    }
    if at.timestamp() > p.not_after().timestamp() {
        return Err(ChainError::Expired {
            index,
            subject: p.subject().to_owned(),
            not_after: p.not_after(),
            at,
        });
    }
    Ok(())
}

/// Checks that an issuing certificate may issue; `below` is the number of
/// non-self-issued certificates under it minus one (for pathLenConstraint).
fn ca_checks(
    p: &Certificate,
    index: usize,
    below: usize,
    strict: bool,
    warnings: &mut Vec<String>,
) -> Result<(), ChainError> {
    let not_ca = |reason: String| ChainError::NotACa {
        index,
        subject: p.subject().to_owned(),
        reason,
    };
    let bc = p
        .facts()
        .basic_constraints
        .as_ref()
        .map_err(|e| not_ca(format!("basicConstraints does not parse: {e}")))?;
    match bc {
        Some(bc) if !bc.ca => return Err(not_ca("basicConstraints says CA:FALSE".into())),
        Some(bc) => match bc.path_len_constraint {
            Some(max) if below > max as usize => {
                return Err(not_ca(format!(
                    "pathLenConstraint {max} allows {max} intermediate(s) below it, the chain has {below}"
                )));
            }
            _ => {}
        },
        None => {
            let what = if p.version() == 1 {
                "is an X.509 v1 certificate (no extensions, so no basicConstraints)"
            } else {
                "has no basicConstraints extension"
            };
            if strict {
                return Err(not_ca(format!(
                    "it {what}; RFC 5280 requires basicConstraints CA:TRUE (the opt-in policy allow_v1_intermediates accepts such chains)"
                )));
            }
            warnings.push(format!(
                "certificate {index} ({}) {what}; accepted as a CA only because allow_v1_intermediates is set",
                p.subject()
            ));
        }
    }
    match &p.facts().key_usage {
        Ok(Some(ku)) if !ku.key_cert_sign() => {
            Err(not_ca(format!("keyUsage {ku} lacks keyCertSign")))
        }
        Ok(_) => Ok(()),
        Err(e) => Err(not_ca(format!("keyUsage does not parse: {e}"))),
    }
}

fn leaf_key_usage(leaf: &Certificate) -> Result<(), ChainError> {
    match &leaf.facts().key_usage {
        Ok(Some(ku)) if !(ku.digital_signature() || ku.non_repudiation()) => {
            Err(ChainError::LeafKeyUsage {
                subject: leaf.subject().to_owned(),
                usage: ku.to_string(),
            })
        }
        Ok(_) => Ok(()),
        Err(e) => Err(ChainError::Parse {
            index: 0,
            reason: format!("keyUsage does not parse: {e}"),
        }),
    }
}

/// The anchor that issued `last`: named as its issuer and, with
/// [`Signatures::Check`], whose key verifies its signature (with
/// [`Signatures::Skip`], the first anchor so named; webpki then checks it).
fn find_anchor(
    last: &Certificate,
    index: usize,
    anchors: &[Certificate],
    signatures: Signatures,
) -> Result<String, ChainError> {
    let mut tried = Vec::new();
    for (i, a) in anchors.iter().enumerate() {
        if a.facts().subject_raw != last.facts().issuer_raw {
            continue;
        }
        if signatures == Signatures::Skip {
            return Ok(a.subject().to_owned());
        }
        match verify_issued(last, a) {
            Ok(()) => return Ok(a.subject().to_owned()),
            Err(e) => tried.push(format!(
                "anchor {i} ({}) has the issuer's name but its key did not sign it ({e})",
                a.subject()
            )),
        }
    }
    let detail = if tried.is_empty() {
        format!(
            "none of the {} anchor(s) is named `{}`",
            anchors.len(),
            last.issuer()
        )
    } else {
        tried.join("; ")
    };
    Err(ChainError::NotAnchored {
        index,
        subject: last.subject().to_owned(),
        detail,
    })
}

/// Accepts any extended key usage: vCon signing has no registered EKU, and
/// signers commonly hold domain (TLS-style) certificates.
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for eku in iter {
            eku?;
        }
        Ok(())
    }
}

/// RFC 5280 path validation of `chain` (leaf first) by rustls-webpki;
/// returns the index of the anchor the path ends at.
fn webpki_checks(
    chain: &[Certificate],
    anchors: &[Certificate],
    at: DateTime<Utc>,
) -> Result<Option<usize>, ChainError> {
    let strict = |reason: String| ChainError::Strict { reason };
    let anchor_ders: Vec<CertificateDer<'_>> = anchors
        .iter()
        .map(|a| CertificateDer::from(a.der()))
        .collect();
    let trust: Vec<_> = anchor_ders
        .iter()
        .enumerate()
        .map(|(i, d)| {
            webpki::anchor_from_trusted_cert(d)
                .map_err(|e| strict(format!("anchor {i} is unusable: {e:?}")))
        })
        .collect::<Result<_, _>>()?;
    let leaf_der = CertificateDer::from(chain[0].der());
    let leaf = webpki::EndEntityCert::try_from(&leaf_der)
        .map_err(|e| strict(format!("certificate 0 ({}): {e:?}", chain[0].subject())))?;
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .filter(|c| !anchors.iter().any(|a| a.der() == c.der()))
        .map(|c| CertificateDer::from(c.der()))
        .collect();
    let secs = u64::try_from(at.timestamp())
        .map_err(|_| strict(format!("verification time {at} is before 1970")))?;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    let path = leaf
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &trust,
            &intermediates,
            time,
            AnyEku,
            None,
            None,
        )
        .map_err(|e| strict(format!("{e:?}")))?;
    let anchor = path.anchor();
    Ok(trust.iter().position(|t| std::ptr::eq(t, anchor)))
}
