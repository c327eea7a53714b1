//! Verification of a signed vCon: every signature, the `x5c` chains (or a
//! given public key), the header `uuid`, and nested JWS layers.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use vcon_core::Form;
use vcon_core::read::{ReadLimits, parse_object};
use vcon_core::tree::{Json, JsonObj};

mod signature;

use crate::SignAlg;
use crate::error::{VerifyError, Warning};
use crate::jose::jws;
use crate::keys::PublicKey;
use crate::x509::{Certificate, ChainCache, ChainPolicy};
use vcon_core::read::json_text;

/// What to trust and how strictly.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Trust anchors (root certificates) for `x5c` chains.
    pub anchors: Vec<Certificate>,
    /// Public keys trusted directly, for signatures without a certificate
    /// (or when no anchors are given). Tried in order; a `kid` on both sides
    /// must match.
    pub public_keys: Vec<PublicKey>,
    /// Accept chains whose issuing certificates are X.509 v1 or lack
    /// basicConstraints (the draft's A.6 chain), checking each link's
    /// signature and validity and the anchor, with a warning. Off by default:
    /// strict RFC 5280 validation.
    pub allow_v1_intermediates: bool,
    /// Verification time for certificate validity; `None` means now.
    pub time: Option<DateTime<Utc>>,
    /// Most certificates accepted in one `x5c` (default 8).
    pub max_chain_len: usize,
    /// Most nested JWS layers unwrapped (default 4; R-42).
    pub max_nesting: usize,
    /// Algorithms accepted (default: all five).
    pub allowed_algs: Vec<SignAlg>,
    /// Limits for the input and for each payload (size, gzip inflation, depth).
    pub limits: ReadLimits,
    /// `x5c` chains already validated, kept for the next verifications
    /// (default: up to [`ChainCache::DEFAULT_CAPACITY`], shared by clones of
    /// these options). Dates are checked again on every verification; see
    /// [`crate::x509::cache`] for what is kept and why it is safe.
    pub chain_cache: ChainCache,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            anchors: Vec::new(),
            public_keys: Vec::new(),
            allow_v1_intermediates: false,
            time: None,
            max_chain_len: 8,
            max_nesting: 4,
            allowed_algs: SignAlg::ALL.to_vec(),
            limits: ReadLimits::default(),
            chain_cache: ChainCache::default(),
        }
    }
}

impl VerifyOptions {
    /// Default options trusting `anchors`.
    pub fn with_anchors(anchors: Vec<Certificate>) -> Self {
        Self {
            anchors,
            ..Self::default()
        }
    }

    /// Default options trusting `keys` directly.
    pub fn with_public_keys(keys: Vec<PublicKey>) -> Self {
        Self {
            public_keys: keys,
            ..Self::default()
        }
    }

    fn policy(&self) -> ChainPolicy {
        if self.allow_v1_intermediates {
            ChainPolicy::AllowV1Intermediates
        } else {
            ChainPolicy::Strict
        }
    }
}

/// Why a signature was trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerTrust {
    /// Through its `x5c` chain to a trust anchor.
    Chain {
        /// Subjects from the leaf up (leaf first).
        chain_subjects: Vec<String>,
        /// The anchor reached.
        anchor_subject: String,
        /// The policy that accepted the chain.
        policy: ChainPolicy,
    },
    /// Through a public key given in [`VerifyOptions::public_keys`].
    PublicKey {
        /// Its index there.
        key_index: usize,
        /// Its RFC 7638 thumbprint.
        thumbprint: String,
    },
}

/// Who made one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo {
    /// Index in `signatures`.
    pub index: usize,
    /// The algorithm.
    pub alg: SignAlg,
    /// The header `kid`, if any.
    pub kid: Option<String>,
    /// The header `uuid`, if any.
    pub header_uuid: Option<String>,
    /// How it was trusted.
    pub trust: SignerTrust,
}

impl SignerInfo {
    /// The leaf certificate's subject, when trusted through a chain.
    pub fn leaf_subject(&self) -> Option<&str> {
        match &self.trust {
            SignerTrust::Chain { chain_subjects, .. } => chain_subjects.first().map(String::as_str),
            SignerTrust::PublicKey { .. } => None,
        }
    }
}

/// One JWS layer (the outermost first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Every signature of the layer, all verified.
    pub signers: Vec<SignerInfo>,
    /// Whether the payload was gzip.
    pub gzipped: bool,
}

/// A verified signed vCon.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The inner unsigned vCon's JSON bytes (after base64url and gzip).
    pub vcon_bytes: Vec<u8>,
    /// The inner unsigned vCon as a map, parsed from `vcon_bytes` when
    /// [`Verified::vcon`] is first called (a caller that only writes the
    /// bytes out never pays for it).
    vcon: OnceLock<Map<String, Value>>,
    /// The nesting limit `vcon_bytes` was read with.
    max_depth: usize,
    /// Its uuid, if it has one.
    pub uuid: Option<String>,
    /// The JWS layers, outermost first (more than one for a wrapped vCon).
    pub layers: Vec<Layer>,
    /// Things accepted with a remark (lenient chain, repeated header members, ...).
    pub warnings: Vec<Warning>,
}

/// Reads and verifies a signed vCon. Every signature of every layer must
/// verify; see [`VerifyOptions`] for what is trusted.
///
/// The envelope is read with vcon-core's borrowed fast parser (falling back
/// on the bounded reader, whose error is the one reported): only the header
/// members are copied out of it; the payload is parsed once, into
/// [`Verified::vcon`].
pub fn verify(signed: &[u8], options: &VerifyOptions) -> Result<Verified, VerifyError> {
    let (json, _) = json_text(signed, &options.limits)?;
    let depth = options.limits.max_depth;
    match vcon_core::tree::parse(&json, depth) {
        Ok(object) => verify_root(&object, options),
        Err(_) => verify_root(&parse_object(&json, depth)?, options),
    }
}

/// Verifies a signed vCon already read into an object.
pub fn verify_object(
    signed: &Map<String, Value>,
    options: &VerifyOptions,
) -> Result<Verified, VerifyError> {
    verify_root(signed, options)
}

/// An error of nested layer `depth` (0: the outermost, reported as is).
fn in_layer(depth: usize, e: VerifyError) -> VerifyError {
    if depth == 0 {
        e
    } else {
        VerifyError::Nested {
            layer: depth,
            source: Box::new(e),
        }
    }
}

/// What comes after a verified layer.
enum Next {
    /// Its payload is signed: that layer, verified.
    Layer(LayerOutcome),
    /// Its payload is the unsigned vCon (whose uuid this is, if any).
    Done(Option<String>),
}

/// Verifies layer `depth` (whose object is `signed`) if it is signed; the
/// unsigned vCon otherwise. `depth` 0 must be signed.
fn step<O: JsonObj>(
    signed: &O,
    depth: usize,
    options: &VerifyOptions,
) -> Result<Next, VerifyError> {
    match Form::detect(signed) {
        Some(Form::Signed) => {}
        Some(Form::Unsigned) if depth > 0 => {
            let uuid = signed.get("uuid").and_then(Json::as_str).map(str::to_owned);
            return Ok(Next::Done(uuid));
        }
        found if depth == 0 => return Err(VerifyError::NotSigned { found }),
        Some(Form::Encrypted) => {
            let reason = "the payload is an encrypted vCon; a signed vCon carries an unsigned (or signed) one".into();
            return Err(in_layer(depth - 1, VerifyError::Payload { reason }));
        }
        _ => {
            let reason = "the payload is not a vCon: no form can be determined (R-40)".into();
            return Err(in_layer(depth - 1, VerifyError::Payload { reason }));
        }
    }
    if depth >= options.max_nesting {
        return Err(VerifyError::TooDeep {
            max: options.max_nesting,
        });
    }
    verify_layer(signed, options)
        .map(Next::Layer)
        .map_err(|e| in_layer(depth, e))
}

fn verify_root<O: JsonObj>(signed: &O, options: &VerifyOptions) -> Result<Verified, VerifyError> {
    let mut layers = Vec::new();
    let mut warnings = Vec::new();
    let mut next = step(signed, 0, options)?;
    let (vcon_bytes, uuid) = loop {
        let Next::Layer((layer, json, mut layer_warnings)) = next else {
            // `step` at depth 0 yields a layer or an error.
            return Err(VerifyError::NotSigned {
                found: Some(Form::Unsigned),
            });
        };
        let depth = layers.len();
        if depth > 0 {
            for w in &mut layer_warnings {
                w.message = format!("nested layer {depth}: {}", w.message);
            }
        }
        warnings.append(&mut layer_warnings);
        layers.push(layer);
        let payload_depth = options.limits.max_depth;
        next = match vcon_core::tree::parse(&json, payload_depth) {
            Ok(object) => step(&object, depth + 1, options)?,
            Err(_) => {
                let object = parse_object(&json, payload_depth).map_err(|e| {
                    in_layer(
                        depth,
                        VerifyError::Payload {
                            reason: e.to_string(),
                        },
                    )
                })?;
                step(&object, depth + 1, options)?
            }
        };
        if let Next::Done(uuid) = next {
            break (json, uuid);
        }
    };
    for (depth, layer) in layers.iter().enumerate() {
        for s in &layer.signers {
            match (&s.header_uuid, &uuid) {
                (Some(h), Some(p)) if h != p => {
                    let e = VerifyError::UuidMismatch {
                        index: s.index,
                        header: h.clone(),
                        payload: p.clone(),
                    };
                    return Err(in_layer(depth, e));
                }
                (None, _) => warnings.push(Warning {
                    pointer: format!("/signatures/{}/header", s.index),
                    rule: Some("R-39"),
                    message: format!(
                        "{}no `uuid` header member; core-03 says it SHOULD be there",
                        if depth > 0 {
                            format!("nested layer {depth}: ")
                        } else {
                            String::new()
                        }
                    ),
                }),
                _ => {}
            }
        }
    }
    Ok(Verified {
        vcon_bytes,
        vcon: OnceLock::new(),
        max_depth: options.limits.max_depth,
        uuid,
        layers,
        warnings,
    })
}

impl PartialEq for Verified {
    fn eq(&self, other: &Self) -> bool {
        // The map is a function of the bytes.
        self.vcon_bytes == other.vcon_bytes
            && self.uuid == other.uuid
            && self.layers == other.layers
            && self.warnings == other.warnings
    }
}

impl Verified {
    /// The inner unsigned vCon (parsed once, on first use).
    pub fn vcon(&self) -> &Map<String, Value> {
        self.vcon.get_or_init(|| self.parse_vcon())
    }

    /// The inner unsigned vCon, taken out.
    pub fn into_vcon(mut self) -> Map<String, Value> {
        match self.vcon.take() {
            Some(map) => map,
            None => self.parse_vcon(),
        }
    }

    /// Verification read these bytes as a JSON object with these very
    /// parsers and limit, so this cannot fail (an empty map if it did).
    fn parse_vcon(&self) -> Map<String, Value> {
        match vcon_core::tree::parse(&self.vcon_bytes, self.max_depth) {
            Ok(object) => object.to_map(),
            Err(_) => {
                vcon_core::read::parse_object(&self.vcon_bytes, self.max_depth).unwrap_or_default()
            }
        }
    }
}

/// A verified layer, its payload (inflated) and its warnings.
type LayerOutcome = (Layer, Vec<u8>, Vec<Warning>);

fn verify_layer<O: JsonObj>(
    object: &O,
    options: &VerifyOptions,
) -> Result<LayerOutcome, VerifyError> {
    let parsed = jws::parse(object)?;
    let mut warnings = parsed.warnings;
    let mut signers = Vec::with_capacity(parsed.signatures.len());
    for sig in &parsed.signatures {
        signers.push(signature::verify_signature(
            sig,
            &parsed.payload_b64,
            options,
            &mut warnings,
        )?);
    }
    let (json, gzipped) = jws::decode_payload(&parsed.payload_b64, &options.limits)
        .map_err(|reason| VerifyError::Payload { reason })?;
    Ok((Layer { signers, gzipped }, json, warnings))
}
