//! Error and warning types. Every error names the check that failed and
//! where: the signature or recipient index, the header member or JSON
//! pointer, the certificate (index in `x5c` and subject), and the digest
//! rule where one applies.

use vcon_core::Form;
use vcon_core::read::ReadError;

use crate::keys::{KeyError, KeyKind};
use crate::x509::ChainError;

/// Something accepted but worth reporting (a SHOULD broken, a lenient path taken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// JSON pointer into the envelope (`""` for the whole document).
    pub pointer: String,
    /// Digest rule, when one applies (`R-39`, `R-41`).
    pub rule: Option<&'static str>,
    /// Plain-English explanation.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        match self.rule {
            Some(rule) => write!(f, "{at}: {} ({rule})", self.message),
            None => write!(f, "{at}: {}", self.message),
        }
    }
}

/// A structural fault in a JWS or JWE General JSON envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {reason} ({rule})")]
pub struct EnvelopeError {
    /// JSON pointer to the member at fault, such as `/signatures/0/protected`.
    pub pointer: String,
    /// What is wrong.
    pub reason: String,
    /// Digest rule (`R-39` signed, `R-41` encrypted).
    pub rule: &'static str,
}

fn form_name(found: &Option<Form>) -> &'static str {
    match found {
        Some(f) => f.as_str(),
        None => "of no vCon form (R-40)",
    }
}

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The input bytes could not be read.
    #[error("input: {0}")]
    Read(#[from] ReadError),
    /// Only an unsigned vCon can be signed (use `add_signature` or `wrap` for signed input).
    #[error("only an unsigned vCon can be signed; the input is {}", form_name(.found))]
    NotUnsigned {
        /// The form found.
        found: Option<Form>,
    },
    /// The vCon has no `uuid` string (core-03 requires one; it goes into the header).
    #[error(
        "the vCon has no `uuid` string member (R-2); it is required and is copied into each signature header"
    )]
    MissingUuid,
    /// No signer was given.
    #[error("no signer given")]
    NoSigners,
    /// The signer's key cannot make the requested algorithm.
    #[error("signer {signer}: a {kind} key cannot sign with {alg}")]
    KeyAlgMismatch {
        /// Index of the signer.
        signer: usize,
        /// The algorithm asked for.
        alg: crate::SignAlg,
        /// The key type.
        kind: KeyKind,
    },
    /// The first certificate of the chain does not certify the signing key.
    #[error(
        "signer {signer}: certificate 0 ({subject}) does not certify the signing key; the x5c chain must start with the signer's own certificate"
    )]
    CertKeyMismatch {
        /// Index of the signer.
        signer: usize,
        /// Subject of the certificate given first.
        subject: String,
    },
    /// An `x5u` that is not an absolute `https:` URL.
    #[error("signer {signer}: x5u `{url}` is not an https: URL (R-39)")]
    X5uNotHttps {
        /// Index of the signer.
        signer: usize,
        /// The URL.
        url: String,
    },
    /// The signed vCon to add a signature to is malformed.
    #[error("{0}")]
    Envelope(#[from] EnvelopeError),
    /// A key could not be used.
    #[error("signer {signer}: {source}")]
    Key {
        /// Index of the signer.
        signer: usize,
        /// The key problem.
        source: KeyError,
    },
    /// The cryptographic backend failed.
    #[error("signer {signer}: signing with {alg} failed: {reason}")]
    Backend {
        /// Index of the signer.
        signer: usize,
        /// The algorithm.
        alg: crate::SignAlg,
        /// What the backend said.
        reason: String,
    },
}

/// Why verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The input bytes could not be read.
    #[error("input: {0}")]
    Read(#[from] ReadError),
    /// The input is not a signed vCon.
    #[error("not a signed vCon (JWS General JSON with payload and signatures): the input is {}", form_name(.found))]
    NotSigned {
        /// The form found.
        found: Option<Form>,
    },
    /// A structural fault in the envelope.
    #[error("{0}")]
    Envelope(#[from] EnvelopeError),
    /// The `alg` of a signature is not one this crate verifies.
    #[error(
        "/signatures/{index}: alg `{alg}` (from the {location} header) is not supported; supported: RS256, PS256, ES256, ES384, EdDSA"
    )]
    UnsupportedAlg {
        /// Signature index.
        index: usize,
        /// The alg found.
        alg: String,
        /// `protected` or `unprotected`.
        location: &'static str,
    },
    /// The `alg` is supported but the options do not allow it.
    #[error("/signatures/{index}: alg {alg} is not in the allowed list")]
    AlgNotAllowed {
        /// Signature index.
        index: usize,
        /// The algorithm.
        alg: crate::SignAlg,
    },
    /// A `crit` header names extensions this crate does not understand (RFC 7515 §4.1.11).
    #[error(
        "/signatures/{index}: crit names header parameter(s) this verifier does not understand: {members}"
    )]
    Critical {
        /// Signature index.
        index: usize,
        /// The names, comma separated.
        members: String,
    },
    /// Nothing to trust the signature with.
    #[error("/signatures/{index}: {reason}")]
    NoTrust {
        /// Signature index.
        index: usize,
        /// Why no key could be chosen.
        reason: String,
    },
    /// The `x5c` chain was refused.
    #[error("/signatures/{index}/x5c: {source}")]
    Chain {
        /// Signature index.
        index: usize,
        /// The chain failure.
        source: ChainError,
    },
    /// The signer's key type does not match the `alg`.
    #[error("/signatures/{index}: alg {alg} needs another key type than the signer's {kind} key")]
    KeyAlgMismatch {
        /// Signature index.
        index: usize,
        /// The algorithm.
        alg: crate::SignAlg,
        /// The key type.
        kind: KeyKind,
    },
    /// The signature value does not verify.
    #[error("/signatures/{index}/signature: {alg} signature does not verify with {signer}")]
    BadSignature {
        /// Signature index.
        index: usize,
        /// The algorithm.
        alg: crate::SignAlg,
        /// Whose key was used (leaf subject or pinned key).
        signer: String,
    },
    /// The header `uuid` differs from the payload vCon's `uuid`.
    #[error(
        "/signatures/{index}/header/uuid: `{header}` differs from the payload vCon's uuid `{payload}` (R-39)"
    )]
    UuidMismatch {
        /// Signature index.
        index: usize,
        /// The header's uuid.
        header: String,
        /// The payload's uuid.
        payload: String,
    },
    /// The payload does not decode into a vCon.
    #[error("/payload: {reason}")]
    Payload {
        /// What went wrong (base64url, gzip limit, JSON, form).
        reason: String,
    },
    /// Nested JWS deeper than allowed.
    #[error("nested signed vCons deeper than the limit of {max} layers (R-42)")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// An error inside a nested JWS (layer 1 is the payload of the outermost).
    #[error("nested layer {layer}: {source}")]
    Nested {
        /// Depth of the layer (outermost = 0).
        layer: usize,
        /// The error there.
        source: Box<VerifyError>,
    },
}

/// Why encryption failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
    /// The input bytes could not be read.
    #[error("input: {0}")]
    Read(#[from] ReadError),
    /// Only a signed vCon may be encrypted (core-03: sign, then encrypt).
    #[error("only a signed vCon can be encrypted (core-03 §Encrypted Form: sign first, e.g. `vcon sign`); the input is {}", form_name(.found))]
    NotSigned {
        /// The form found.
        found: Option<Form>,
    },
    /// The signed vCon is malformed.
    #[error("{0}")]
    Envelope(#[from] EnvelopeError),
    /// The uuid for the unprotected header could not be found.
    #[error(
        "the signed vCon's uuid could not be found (neither a signature header uuid nor a payload uuid): {reason}"
    )]
    MissingUuid {
        /// Why.
        reason: String,
    },
    /// No recipient was given.
    #[error("no recipient given")]
    NoRecipients,
    /// The recipient's key cannot be used with the algorithm.
    #[error("recipient {recipient}: a {kind} key cannot be used with {alg}")]
    KeyAlgMismatch {
        /// Recipient index.
        recipient: usize,
        /// The algorithm.
        alg: crate::KeyAlg,
        /// The key type.
        kind: KeyKind,
    },
    /// A key could not be used.
    #[error("recipient {recipient}: {source}")]
    Key {
        /// Recipient index.
        recipient: usize,
        /// The key problem.
        source: KeyError,
    },
    /// The cryptographic backend failed.
    #[error("{what} failed: {reason}")]
    Backend {
        /// What was being done.
        what: String,
        /// What the backend said.
        reason: String,
    },
}

/// Why decryption failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// The input bytes could not be read.
    #[error("input: {0}")]
    Read(#[from] ReadError),
    /// The input is not an encrypted vCon.
    #[error("not an encrypted vCon (JWE General JSON with ciphertext and recipients): the input is {}", form_name(.found))]
    NotEncrypted {
        /// The form found.
        found: Option<Form>,
    },
    /// A structural fault in the envelope.
    #[error("{0}")]
    Envelope(#[from] EnvelopeError),
    /// An algorithm this crate does not implement.
    #[error(
        "{pointer}: {member} `{value}` is not supported (supported {member}: {supported}) (R-41)"
    )]
    Unsupported {
        /// Where the value was found.
        pointer: String,
        /// `alg`, `enc` or `zip`.
        member: &'static str,
        /// The value.
        value: String,
        /// What is supported.
        supported: &'static str,
    },
    /// A `crit` header names extensions this crate does not understand.
    #[error("crit names header parameter(s) this decrypter does not understand: {members}")]
    Critical {
        /// The names, comma separated.
        members: String,
    },
    /// No recipient could be opened with the key.
    #[error("no recipient could be decrypted with this {kind} key: {tried}")]
    NoRecipientForKey {
        /// The key type.
        kind: KeyKind,
        /// What was tried per recipient, `; ` separated.
        tried: String,
    },
    /// The content did not decrypt or authenticate.
    #[error(
        "/ciphertext: {enc} decryption failed: {reason} (ciphertext, iv, tag or protected header altered or truncated, or the key is not a recipient's)"
    )]
    Content {
        /// The content encryption.
        enc: crate::ContentEnc,
        /// What the backend said.
        reason: String,
    },
    /// The plaintext is not a signed vCon (core-03 requires sign-then-encrypt; R-41).
    #[error("the decrypted plaintext is not a signed vCon: {reason} (R-41)")]
    PlaintextNotSigned {
        /// What was found instead.
        reason: String,
    },
    /// The unprotected `uuid` differs from the decrypted vCon's uuid.
    #[error(
        "/unprotected/uuid: `{unprotected}` differs from the decrypted vCon's uuid `{found}` at {location} (R-41)"
    )]
    UuidMismatch {
        /// The unprotected header's uuid.
        unprotected: String,
        /// The uuid found inside.
        found: String,
        /// Where it was found inside (`payload` or `/signatures/N/header`).
        location: String,
    },
}
