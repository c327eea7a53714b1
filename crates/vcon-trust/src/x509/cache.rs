//! A bounded cache of `x5c` chains already validated, so that a signer seen
//! again costs one signature verification instead of parsing and validating
//! its chain (and setting up its certificates' keys) again.
//!
//! * **Keyed by exact bytes.** An entry is found only for the very same `x5c`
//!   text (every entry, byte for byte), the very same trust anchors (DER),
//!   policy and chain length limit. What it holds was computed from exactly
//!   those inputs, so no input can place an entry another input would find
//!   (the cache cannot be poisoned). The hash that picks the bucket is
//!   seeded per cache (`RandomState`) and every candidate is compared in
//!   full.
//! * **Only what does not depend on time or on the signature.** Only chains
//!   that passed are kept. On a hit, the validity period of every
//!   certificate the chain checks (all but those equal to an anchor) is
//!   checked again at the verification time, with the same error as a full
//!   validation; everything else the validation checks (names, signatures,
//!   basicConstraints, keyUsage, path length, webpki's RFC 5280 checks other
//!   than dates) is a function of the cached bytes alone. The JWS signature
//!   itself is verified on every call, with the leaf's key kept ready.
//! * **Bounded.** At most [`ChainCache::DEFAULT_CAPACITY`] chains by default
//!   (first in, first out); [`ChainCache::disabled`] keeps nothing.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::Certificate;
use super::chain::{ChainError, ChainPolicy, ValidatedChain, validity};

/// Validated `x5c` chains a verifier keeps (see the module documentation).
/// Clones share the same cache.
#[derive(Clone)]
pub struct ChainCache {
    shared: Option<Arc<Mutex<Slots>>>,
    capacity: usize,
}

impl Default for ChainCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for ChainCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

/// What the chain's inputs are, compared in full on lookup.
#[derive(Clone, Copy)]
pub(crate) struct ChainKey<'a> {
    /// The `x5c` entries as written.
    pub x5c: &'a [&'a str],
    /// The trust anchors.
    pub anchors: &'a [Certificate],
    /// The policy.
    pub policy: ChainPolicy,
    /// The chain length limit.
    pub max_len: usize,
}

/// A chain that passed validation.
pub(crate) struct CachedChain {
    x5c: Vec<String>,
    anchors: Vec<Certificate>,
    policy: ChainPolicy,
    max_len: usize,
    /// The parsed certificates, leaf first (the leaf's key built).
    pub chain: Vec<Certificate>,
    /// What the validation learnt.
    pub validated: ValidatedChain,
    /// How many certificates, from the leaf, have their dates checked.
    dated: usize,
}

impl CachedChain {
    /// `chain`, which passed validation for `key` as `validated`.
    pub fn new(
        key: &ChainKey<'_>,
        chain: Vec<Certificate>,
        validated: ValidatedChain,
    ) -> Arc<Self> {
        // A certificate equal to an anchor ends the path: its dates are not
        // checked (anchors are trusted as configured).
        let dated = chain
            .iter()
            .position(|c| key.anchors.contains(c))
            .unwrap_or(chain.len());
        Arc::new(Self {
            x5c: key.x5c.iter().map(|s| (*s).to_owned()).collect(),
            anchors: key.anchors.to_vec(),
            policy: key.policy,
            max_len: key.max_len,
            chain,
            validated,
            dated,
        })
    }

    fn matches(&self, key: &ChainKey<'_>) -> bool {
        self.policy == key.policy
            && self.max_len == key.max_len
            && self.x5c.len() == key.x5c.len()
            && self.x5c.iter().zip(key.x5c).all(|(a, b)| a == b)
            && self.anchors == key.anchors
    }

    /// The date checks of a full validation, at `at`.
    pub fn check_dates(&self, at: DateTime<Utc>) -> Result<(), ChainError> {
        for (index, cert) in self.chain[..self.dated].iter().enumerate() {
            validity(cert, index, at)?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Slots {
    buckets: HashMap<u64, Vec<Arc<CachedChain>>>,
    /// Insertion order, for eviction.
    order: VecDeque<(u64, Arc<CachedChain>)>,
    hasher: RandomState,
}

impl Slots {
    /// The bucket of a chain: its entries' lengths and last 32 bytes (the
    /// end of a certificate's signature), the policy and the length limit.
    fn bucket(&self, key: &ChainKey<'_>) -> u64 {
        let mut h = self.hasher.build_hasher();
        for entry in key.x5c {
            h.write_usize(entry.len());
            h.write(&entry.as_bytes()[entry.len().saturating_sub(32)..]);
        }
        h.write_u8(u8::from(key.policy == ChainPolicy::Strict));
        h.write_usize(key.max_len);
        h.finish()
    }
}

impl ChainCache {
    /// Chains kept by default.
    pub const DEFAULT_CAPACITY: usize = 256;

    /// A cache of at most `capacity` chains (`0` keeps nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            shared: (capacity > 0).then(|| Arc::new(Mutex::new(Slots::default()))),
            capacity,
        }
    }

    /// A cache that keeps nothing: every chain is validated in full.
    pub fn disabled() -> Self {
        Self::new(0)
    }

    /// Chains kept now.
    pub fn len(&self) -> usize {
        self.with(|s| s.order.len()).unwrap_or(0)
    }

    /// Whether no chain is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every chain.
    pub fn clear(&self) {
        self.with(|s| {
            s.buckets.clear();
            s.order.clear();
        });
    }

    fn with<R>(&self, f: impl FnOnce(&mut Slots) -> R) -> Option<R> {
        let shared = self.shared.as_ref()?;
        // A panic while the lock was held cannot leave the maps inconsistent
        // in a way that matters (entries are only added or removed whole).
        let mut slots = shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(f(&mut slots))
    }

    /// The chain validated earlier for exactly `key`, if kept.
    pub(crate) fn get(&self, key: &ChainKey<'_>) -> Option<Arc<CachedChain>> {
        self.with(|s| {
            let bucket = s.bucket(key);
            s.buckets
                .get(&bucket)?
                .iter()
                .find(|c| c.matches(key))
                .cloned()
        })
        .flatten()
    }

    /// Keeps `entry` (made by [`CachedChain::new`] for `key`).
    pub(crate) fn insert(&self, key: &ChainKey<'_>, entry: &Arc<CachedChain>) {
        let capacity = self.capacity;
        self.with(|s| {
            let bucket = s.bucket(key);
            if s.buckets
                .get(&bucket)
                .is_some_and(|b| b.iter().any(|c| c.matches(key)))
            {
                return;
            }
            while s.order.len() >= capacity {
                let Some((old_bucket, old)) = s.order.pop_front() else {
                    break;
                };
                if let Some(b) = s.buckets.get_mut(&old_bucket) {
                    b.retain(|c| !Arc::ptr_eq(c, &old));
                    if b.is_empty() {
                        s.buckets.remove(&old_bucket);
                    }
                }
            }
            s.buckets.entry(bucket).or_default().push(Arc::clone(entry));
            s.order.push_back((bucket, Arc::clone(entry)));
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::keys::{KeyKind, TestPki, TestPkiOptions};
    use crate::{SignOptions, Signer, VerifyOptions, sign, verify};

    fn pki() -> TestPki {
        TestPki::generate(&TestPkiOptions {
            key_kind: KeyKind::P256,
            ..TestPkiOptions::default()
        })
        .unwrap()
    }

    fn signed(p: &TestPki) -> Vec<u8> {
        let vcon =
            serde_json::json!({"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "parties": []});
        let signer = Signer::with_chain(p.leaf_key.clone(), p.chain());
        sign(
            vcon.as_object().unwrap(),
            &[signer],
            &SignOptions::default(),
        )
        .unwrap()
        .bytes
    }

    /// The same options verify a repeated signer from the cache, with the
    /// same result as a full validation.
    #[test]
    fn a_repeated_chain_is_kept_once_and_gives_the_same_result() {
        let p = pki();
        let bytes = signed(&p);
        let options = VerifyOptions::with_anchors(vec![p.root_cert.clone()]);
        let first = verify(&bytes, &options).unwrap();
        assert_eq!(options.chain_cache.len(), 1);
        let again = verify(&bytes, &options.clone()).unwrap();
        assert_eq!(options.chain_cache.len(), 1, "clones share the cache");
        assert_eq!(first, again);
        let uncached = VerifyOptions {
            chain_cache: ChainCache::disabled(),
            ..options.clone()
        };
        assert_eq!(verify(&bytes, &uncached).unwrap(), first);
        assert!(uncached.chain_cache.is_empty());
    }

    /// Dates are checked on every verification: a kept chain verified after
    /// its certificates expired fails exactly as a full validation does.
    #[test]
    fn dates_are_checked_again_on_a_hit() {
        let p = pki();
        let bytes = signed(&p);
        let options = VerifyOptions::with_anchors(vec![p.root_cert.clone()]);
        verify(&bytes, &options).unwrap();
        for at in [
            p.leaf_cert.not_after() + chrono::Duration::days(1),
            p.leaf_cert.not_before() - chrono::Duration::days(1),
        ] {
            let late = VerifyOptions {
                time: Some(at),
                ..options.clone()
            };
            let cached = verify(&bytes, &late).unwrap_err();
            let full = verify(
                &bytes,
                &VerifyOptions {
                    chain_cache: ChainCache::disabled(),
                    ..late.clone()
                },
            )
            .unwrap_err();
            assert_eq!(cached.to_string(), full.to_string());
            assert!(full.to_string().contains("certificate 0"), "{full}");
        }
        assert_eq!(options.chain_cache.len(), 1);
    }

    /// Another anchor set, or one changed byte in an x5c entry, is not
    /// served from the cache.
    #[test]
    fn only_the_exact_inputs_find_an_entry() {
        let (p, other) = (pki(), pki());
        let bytes = signed(&p);
        let options = VerifyOptions::with_anchors(vec![p.root_cert.clone()]);
        verify(&bytes, &options).unwrap();
        let wrong_root = VerifyOptions {
            anchors: vec![other.root_cert.clone()],
            ..options.clone()
        };
        assert!(verify(&bytes, &wrong_root).is_err());

        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&bytes).unwrap();
        // The intermediate of another PKI in place of ours: same length and
        // form, different bytes.
        object["signatures"][0]["header"]["x5c"][1] = other.intermediate_cert.to_x5c().into();
        let swapped = serde_json::to_vec(&object).unwrap();
        assert!(verify(&swapped, &options).is_err());
        assert_eq!(options.chain_cache.len(), 1, "failures are not kept");
    }

    #[test]
    fn the_cache_is_bounded() {
        let pkis = [pki(), pki(), pki()];
        let options = VerifyOptions {
            anchors: pkis.iter().map(|p| p.root_cert.clone()).collect(),
            chain_cache: ChainCache::new(2),
            ..VerifyOptions::default()
        };
        for p in &pkis {
            verify(&signed(p), &options).unwrap();
        }
        assert_eq!(options.chain_cache.len(), 2);
        // The first one was evicted; it verifies again (in full) and is kept.
        verify(&signed(&pkis[0]), &options).unwrap();
        assert_eq!(options.chain_cache.len(), 2);
        options.chain_cache.clear();
        assert!(options.chain_cache.is_empty());
    }
}
