//! `sampler`: keeps a share of the vCons and stops the chain for the rest,
//! with the conserver sampler's four methods:
//!
//! * `percentage`: keep `value` percent (0–100);
//! * `rate`: keep with probability `1 − e^(−1/value)` (the conserver keeps a
//!   vCon when an exponential draw of mean `value` is ≤ 1);
//! * `modulo`: keep when the first 8 hex digits of SHA-256(uuid), as an
//!   integer, are divisible by `value` (always deterministic);
//! * `time_based`: keep when the current Unix second is divisible by `value`.
//!
//! `percentage` and `rate` draw at random, or, with `deterministic = true`,
//! from a hash of the uuid, so a vCon delivered twice gets the same answer.
//! `seed` makes the random draws reproducible.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use vcon_core::Form;

use crate::document::VconDoc;
use crate::error::ConfigError;
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::registry::{BuildContext, LinkKind, example_of, link_options, option_error};

/// Registration.
pub const KIND: LinkKind = LinkKind {
    name: "sampler",
    about: "keeps a share of the vCons (percentage, rate, modulo, time_based)",
    build,
    example,
};

/// How to sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Keep `value` percent.
    #[default]
    Percentage,
    /// Keep with probability `1 − e^(−1/value)`.
    Rate,
    /// Keep when the uuid hash is divisible by `value`.
    Modulo,
    /// Keep when the Unix second is divisible by `value`.
    TimeBased,
}

/// Options of the `sampler` link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamplerOptions {
    /// `percentage` (default), `rate`, `modulo` or `time_based`.
    pub method: Method,
    /// The method's parameter (default 50): a percentage, a mean number of
    /// seconds, a divisor or an interval in seconds.
    pub value: f64,
    /// Decide `percentage` and `rate` from SHA-256 of the uuid instead of at
    /// random: the same vCon always gets the same answer.
    pub deterministic: bool,
    /// Seed of the random draws (reproducible sampling in tests).
    pub seed: Option<u64>,
}

impl Default for SamplerOptions {
    fn default() -> Self {
        Self {
            method: Method::Percentage,
            value: 50.0,
            deterministic: false,
            seed: None,
        }
    }
}

/// The `sampler` link.
#[derive(Debug)]
pub struct SamplerLink {
    options: SamplerOptions,
    rng: Mutex<StdRng>,
}

impl SamplerLink {
    /// A sampler with these options (values are checked).
    pub fn new(options: SamplerOptions) -> Result<Self, String> {
        let v = options.value;
        let ok = match options.method {
            Method::Percentage => (0.0..=100.0).contains(&v),
            Method::Rate => v.is_finite() && v > 0.0,
            Method::Modulo | Method::TimeBased => v >= 1.0 && v.fract() == 0.0 && v < 4.3e9,
        };
        if !ok {
            return Err(format!(
                "value {v} is out of range for method {:?} (percentage: 0..=100; rate: > 0; \
                 modulo, time_based: a whole number ≥ 1)",
                options.method
            ));
        }
        let rng = match options.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => rand::make_rng(),
        };
        Ok(Self {
            options,
            rng: Mutex::new(rng),
        })
    }

    /// Whether the vCon with this uuid is kept, at Unix second `now`.
    pub fn keeps(&self, uuid: &str, now: i64) -> bool {
        let v = self.options.value;
        match self.options.method {
            // 100 % keeps everything without a draw (or a hash).
            Method::Percentage => v >= 100.0 || self.unit(uuid) * 100.0 < v,
            Method::Rate => {
                // An exponential draw of mean v is ≤ 1 with probability 1 − e^(−1/v).
                let draw = -(1.0 - self.unit(uuid)).ln() * v;
                draw <= 1.0
            }
            Method::Modulo => u64::from(hash_prefix(uuid)) % (v as u64) == 0,
            Method::TimeBased => now.rem_euclid(v as i64) == 0,
        }
    }

    /// A number in [0, 1): from the uuid hash, or drawn.
    fn unit(&self, uuid: &str) -> f64 {
        if self.options.deterministic {
            let digest = Sha256::digest(uuid.as_bytes());
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&digest[..8]);
            (u64::from_be_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
        } else {
            let mut rng = self
                .rng
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            rng.random::<f64>()
        }
    }
}

/// The first 8 hex digits of SHA-256(uuid) as an integer (the conserver's
/// modulo hash).
pub fn hash_prefix(uuid: &str) -> u32 {
    let digest = Sha256::digest(uuid.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn build(name: &str, options: &Value, _: &BuildContext) -> Result<Arc<dyn Link>, ConfigError> {
    let options: SamplerOptions = link_options(KIND.name, name, options)?;
    let link = SamplerLink::new(options).map_err(|m| option_error("links", KIND.name, name, m))?;
    Ok(Arc::new(link))
}

fn example() -> Value {
    example_of(&SamplerOptions {
        method: Method::Percentage,
        value: 10.0,
        deterministic: true,
        seed: None,
    })
}

#[async_trait]
impl Link for SamplerLink {
    fn handles(&self, _: Form) -> bool {
        true
    }

    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        let now = chrono::Utc::now().timestamp();
        Ok(if self.keeps(doc.uuid(), now) {
            Flow::Continue
        } else {
            Flow::stop("sampled out")
        })
    }
}
