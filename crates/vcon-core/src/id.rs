//! vCon identifiers: UUIDv8 built as core-03 §uuid recommends (digest §3.2),
//! with the exact bit layout of the reference Python library
//! (vcon-dev/vcon-lib `Vcon.uuid8_domain_name` / `Vcon.uuid8_time`):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 unix_ts_ms (48 bits, big-endian)              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          unix_ts_ms           |  ver=8 |  sub-ms (12 bits)    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |var=10|        low 62 bits of SHA-1(domain)[0..8] (BE u64)     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The sub-millisecond field is filled as vcon-lib does through the `uuid6`
//! package: `floor(nanoseconds_within_ms * 2^20 / 10^6) >> 8`, i.e. the
//! fraction of the millisecond in units of 1/4096 ms. The draft's wording
//! ("high 62 bits of the hash") differs from what vcon-lib does (the low 62
//! bits of the hash's first 64 bits, the variant overwriting the top two);
//! this module follows vcon-lib so both sides produce the same suffix.
//!
//! Unlike vcon-lib (whose "last timestamp" global is never updated), an
//! [`IdGenerator`] is monotonic: two calls in the same 1/4096 ms bump the
//! sub-millisecond field, and a full field carries into the millisecond,
//! so ids sort by creation.
//!
//! ```
//! use vcon_core::id::{IdGenerator, is_from_domain, unix_ms};
//!
//! let ids = IdGenerator::new("strolid.com");
//! let a = ids.generate();
//! let b = ids.generate();
//! assert_eq!(a.get_version_num(), 8);
//! assert!(a < b, "ids sort by creation");
//! assert!(a.to_string().ends_with("9dd8-dd37220d739c"));
//! assert!(is_from_domain(&a, "strolid.com"));
//! assert!(unix_ms(&a).is_some());
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use sha1::{Digest as _, Sha1};
use uuid::{Uuid, Variant};

/// Largest value of the 12-bit sub-millisecond field.
pub const SUB_MS_MAX: u16 = 0x0fff;

/// Mask of the 48-bit millisecond timestamp.
const MS_MASK: u64 = (1 << 48) - 1;

/// Mask of the 62 bits that survive the variant in the low half.
const CUSTOM_C_MASK: u64 = (1 << 62) - 1;

/// Mask of the 60-bit "tick" (millisecond << 12 | sub-millisecond).
const TICK_MASK: u64 = (1 << 60) - 1;

/// The 64-bit value vcon-lib ORs into the low half of the UUID: the first
/// eight bytes of SHA-1(`domain` as UTF-8), read big-endian. Only its low 62
/// bits survive in the id (the variant takes the top two).
///
/// The name is hashed exactly as given (no lower-casing, no trailing-dot
/// removal), as vcon-lib does; pass the lower-case FQDN.
///
/// ```
/// assert_eq!(vcon_core::id::domain_bits("strolid.com"), 0x9dd8_dd37_220d_739c);
/// ```
pub fn domain_bits(domain: &str) -> u64 {
    let digest = Sha1::digest(domain.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The sub-millisecond field vcon-lib derives from the nanoseconds elapsed
/// within the current millisecond: `(nanos * 2^20 / 10^6) >> 8`.
/// Values of a millisecond or more are clamped to 999 999 ns.
///
/// ```
/// use vcon_core::id::sub_ms_from_nanos;
/// assert_eq!(sub_ms_from_nanos(0), 0);
/// assert_eq!(sub_ms_from_nanos(500_000), 2048);
/// assert_eq!(sub_ms_from_nanos(999_999), 4095);
/// ```
pub fn sub_ms_from_nanos(nanos_within_ms: u32) -> u16 {
    let nanos = u64::from(nanos_within_ms.min(999_999));
    let subsec = (nanos << 20) / 1_000_000;
    // < 2^20 >> 8 = 4096, so the conversion cannot fail; saturate anyway.
    u16::try_from(subsec >> 8).unwrap_or(SUB_MS_MAX)
}

/// Assembles a UUIDv8 from its parts with vcon-lib's layout: `unix_ms`
/// (low 48 bits kept), `sub_ms` (low 12 bits kept), `custom_c` OR'd into the
/// low 64 bits, then variant `10` and version `8` forced.
///
/// ```
/// use vcon_core::id::{domain_bits, uuid8_from_parts};
/// let id = uuid8_from_parts(0x0196_585c_22c9, 0x909, domain_bits("strolid.com"));
/// assert_eq!(id.to_string(), "0196585c-22c9-8909-9dd8-dd37220d739c");
/// ```
pub fn uuid8_from_parts(unix_ms: u64, sub_ms: u16, custom_c: u64) -> Uuid {
    let mut v = u128::from(unix_ms & MS_MASK) << 80;
    v |= u128::from(sub_ms & SUB_MS_MAX) << 64;
    v |= u128::from(custom_c);
    // Variant RFC 9562 (`10`): clear bits 63..62 of the low half, set bit 63.
    v &= !(0xc000_u128 << 48);
    v |= 0x8000_u128 << 48;
    // Version 8 in bits 79..76.
    v &= !(0xf000_u128 << 64);
    v |= 8_u128 << 76;
    Uuid::from_u128(v)
}

/// Nanoseconds since the Unix epoch now (0 if the clock is before 1970).
fn now_unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The 60-bit tick (`ms << 12 | sub_ms`) of an instant in Unix nanoseconds.
fn tick_of(unix_nanos: u128) -> u64 {
    let ms = u64::try_from(unix_nanos / 1_000_000).unwrap_or(u64::MAX) & MS_MASK;
    let within = u32::try_from(unix_nanos % 1_000_000).unwrap_or(999_999);
    (ms << 12) | u64::from(sub_ms_from_nanos(within))
}

/// Claims the next tick after `last`: the candidate if it is later,
/// otherwise `last + 1` (a full sub-millisecond field carries into the
/// millisecond). Lock-free, safe across threads.
fn claim_tick(last: &AtomicU64, candidate: u64) -> u64 {
    let step = |prev: u64| {
        if candidate > prev {
            candidate
        } else {
            prev.saturating_add(1).min(TICK_MASK)
        }
    };
    match last.fetch_update(Ordering::AcqRel, Ordering::Acquire, |prev| Some(step(prev))) {
        Ok(prev) | Err(prev) => step(prev),
    }
}

fn uuid8_from_tick(tick: u64, custom_c: u64) -> Uuid {
    let sub_ms = u16::try_from(tick & u64::from(SUB_MS_MAX)).unwrap_or(SUB_MS_MAX);
    uuid8_from_parts(tick >> 12, sub_ms, custom_c)
}

/// Process-wide state of the free functions, so that their ids are
/// monotonic too.
static GLOBAL_LAST_TICK: AtomicU64 = AtomicU64::new(0);

/// A new UUIDv8 for `domain`, like vcon-lib's `Vcon.uuid8_domain_name`, but
/// monotonic across all calls of the free functions of this module in this
/// process. Prefer an [`IdGenerator`] held by the application.
///
/// ```
/// let id = vcon_core::id::uuid8_domain_name("strolid.com");
/// assert!(id.to_string().ends_with("-9dd8-dd37220d739c"));
/// ```
pub fn uuid8_domain_name(domain: &str) -> Uuid {
    uuid8_time(domain_bits(domain))
}

/// A new UUIDv8 with the given `custom_c` bits (low 62 kept), like vcon-lib's
/// `Vcon.uuid8_time`; shares the process-wide monotonic state of
/// [`uuid8_domain_name`].
///
/// ```
/// let id = vcon_core::id::uuid8_time(0);
/// assert_eq!(id.get_version_num(), 8);
/// assert!(id.to_string().ends_with("-8000-000000000000"));
/// ```
pub fn uuid8_time(custom_c: u64) -> Uuid {
    let tick = claim_tick(&GLOBAL_LAST_TICK, tick_of(now_unix_nanos()));
    uuid8_from_tick(tick, custom_c)
}

/// A thread-safe, monotonic generator of UUIDv8 ids for one domain name.
///
/// ```
/// use vcon_core::id::IdGenerator;
/// let ids = IdGenerator::new("example.com");
/// // Two ids made in the same instant still differ and sort in order.
/// let t = 1_750_000_000_123_456_789;
/// let (a, b) = (ids.generate_at(t), ids.generate_at(t));
/// assert!(a < b);
/// ```
#[derive(Debug)]
pub struct IdGenerator {
    domain: String,
    custom_c: u64,
    last_tick: AtomicU64,
}

impl IdGenerator {
    /// A generator for `domain` (hashed as given; pass the lower-case FQDN,
    /// ideally the one in the signing certificate).
    pub fn new(domain: impl Into<String>) -> Self {
        let domain = domain.into();
        let custom_c = domain_bits(&domain);
        Self {
            domain,
            custom_c,
            last_tick: AtomicU64::new(0),
        }
    }

    /// The domain name this generator hashes.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The 64 bits derived from the domain (see [`domain_bits`]).
    pub fn domain_bits(&self) -> u64 {
        self.custom_c
    }

    /// A new id stamped with the current time.
    pub fn generate(&self) -> Uuid {
        self.generate_at(now_unix_nanos())
    }

    /// A new id stamped with `unix_nanos` (nanoseconds since the Unix epoch),
    /// or later if this generator already issued an id at or after that
    /// instant. Useful for deterministic tests and for back-filling.
    pub fn generate_at(&self, unix_nanos: u128) -> Uuid {
        let tick = claim_tick(&self.last_tick, tick_of(unix_nanos));
        uuid8_from_tick(tick, self.custom_c)
    }

    /// Whether `id` is a UUIDv8 carrying this generator's domain bits.
    pub fn owns(&self, id: &Uuid) -> bool {
        custom_c(id) == Some(self.custom_c & CUSTOM_C_MASK)
    }
}

/// Whether `id` is a UUIDv8 of the RFC 9562 variant (`10`).
fn is_v8(id: &Uuid) -> bool {
    id.get_version_num() == 8 && id.get_variant() == Variant::RFC4122
}

/// The 48-bit Unix millisecond timestamp of a UUIDv7 or of a UUIDv8 laid
/// out as in this module; `None` for other versions or variants.
pub fn unix_ms(id: &Uuid) -> Option<u64> {
    let version = id.get_version_num();
    if !(version == 7 || version == 8) || id.get_variant() != Variant::RFC4122 {
        return None;
    }
    u64::try_from(id.as_u128() >> 80).ok()
}

/// The 12-bit sub-millisecond field of a UUIDv8 laid out as in this module.
pub fn sub_ms(id: &Uuid) -> Option<u16> {
    if !is_v8(id) {
        return None;
    }
    u16::try_from((id.as_u128() >> 64) & u128::from(SUB_MS_MAX)).ok()
}

/// The 62 domain bits (below the variant) of a UUIDv8.
pub fn custom_c(id: &Uuid) -> Option<u64> {
    if !is_v8(id) {
        return None;
    }
    u64::try_from(id.as_u128() & u128::from(CUSTOM_C_MASK)).ok()
}

/// The creation time of a UUIDv7 or UUIDv8, to the millisecond, with the
/// sub-millisecond field of a UUIDv8 added back (1/4096 ms resolution).
///
/// ```
/// let id: uuid::Uuid = "0196585c-22c9-8909-9dd8-dd37220d739c".parse().unwrap();
/// let t = vcon_core::id::timestamp(&id).unwrap();
/// assert_eq!(t.timestamp_millis(), 0x0196_585c_22c9);
/// ```
pub fn timestamp(id: &Uuid) -> Option<DateTime<Utc>> {
    let ms = i64::try_from(unix_ms(id)?).ok()?;
    let sub = i64::from(sub_ms(id).unwrap_or(0));
    let nanos = ms
        .checked_mul(1_000_000)?
        .checked_add(sub * 1_000_000 / 4096)?;
    Some(DateTime::from_timestamp_nanos(nanos))
}

/// Whether `id` is a UUIDv8 whose low 62 bits are those of `domain`.
pub fn is_from_domain(id: &Uuid, domain: &str) -> bool {
    custom_c(id) == Some(domain_bits(domain) & CUSTOM_C_MASK)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const STROLID: &str = "0196585c-22c9-8909-9dd8-dd37220d739c";

    #[test]
    fn strolid_vector_rebuilds_exactly() {
        let id: Uuid = STROLID.parse().unwrap();
        let rebuilt = uuid8_from_parts(
            unix_ms(&id).unwrap(),
            sub_ms(&id).unwrap(),
            domain_bits("strolid.com"),
        );
        assert_eq!(rebuilt, id);
        assert!(is_from_domain(&id, "strolid.com"));
        assert!(!is_from_domain(&id, "Strolid.com"));
        assert_eq!(sub_ms(&id), Some(0x909));
    }

    #[test]
    fn variant_overwrites_top_two_hash_bits() {
        // All ones in custom_c: the variant must still read `10`.
        let id = uuid8_from_parts(1, 1, u64::MAX);
        assert_eq!(id.get_variant(), Variant::RFC4122);
        assert_eq!(id.get_version_num(), 8);
        assert_eq!(id.as_u128() as u64, !(1_u64 << 62));
    }

    #[test]
    fn parts_are_masked() {
        let id = uuid8_from_parts(u64::MAX, u16::MAX, 0);
        assert_eq!(unix_ms(&id), Some(MS_MASK));
        assert_eq!(sub_ms(&id), Some(SUB_MS_MAX));
    }

    #[test]
    fn sub_ms_matches_python_formula() {
        for ns in [0u32, 1, 243, 244, 245, 123_456, 500_000, 999_755, 999_999] {
            let python = ((u64::from(ns) * (1 << 20)) / 1_000_000) >> 8;
            assert_eq!(u64::from(sub_ms_from_nanos(ns)), python, "ns={ns}");
        }
        assert_eq!(sub_ms_from_nanos(5_000_000), SUB_MS_MAX);
    }

    #[test]
    fn same_instant_bumps_sub_ms() {
        let g = IdGenerator::new("example.com");
        let t = 1_700_000_000_000_000_000u128;
        let a = g.generate_at(t);
        let b = g.generate_at(t);
        assert_eq!(unix_ms(&a), unix_ms(&b));
        assert_eq!(sub_ms(&b), sub_ms(&a).map(|s| s + 1));
        assert!(a < b);
    }

    #[test]
    fn full_sub_ms_field_carries_into_the_millisecond() {
        let g = IdGenerator::new("example.com");
        let t = 1_700_000_000_000_999_999u128; // sub-ms = 4095
        let a = g.generate_at(t);
        assert_eq!(sub_ms(&a), Some(SUB_MS_MAX));
        let b = g.generate_at(t);
        assert_eq!(unix_ms(&b), unix_ms(&a).map(|m| m + 1));
        assert_eq!(sub_ms(&b), Some(0));
        assert!(a < b);
    }

    #[test]
    fn clock_going_backwards_stays_monotonic() {
        let g = IdGenerator::new("example.com");
        let a = g.generate_at(2_000_000_000_000_000_000);
        let b = g.generate_at(1_000_000_000_000_000_000);
        assert!(a < b);
        assert_eq!(unix_ms(&b), unix_ms(&a));
    }

    #[test]
    fn threads_never_collide() {
        let g = Arc::new(IdGenerator::new("example.com"));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let g = Arc::clone(&g);
                std::thread::spawn(move || (0..2000).map(|_| g.generate()).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<Uuid> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
        assert!(all.iter().all(|id| g.owns(id)));
    }

    #[test]
    fn extraction_refuses_other_versions() {
        let v4: Uuid = "f6603c8b-f3c6-4d12-bc50-b0a1f1c887b3".parse().unwrap();
        assert_eq!(unix_ms(&v4), None);
        assert_eq!(sub_ms(&v4), None);
        assert_eq!(timestamp(&v4), None);
        assert!(!is_from_domain(&v4, "strolid.com"));
        let v7 = Uuid::now_v7();
        assert!(unix_ms(&v7).is_some());
        assert_eq!(sub_ms(&v7), None);
    }

    #[test]
    fn timestamp_adds_sub_ms() {
        let id = uuid8_from_parts(1_000, 2048, 0);
        let t = timestamp(&id).unwrap();
        assert_eq!(t.timestamp_nanos_opt(), Some(1_000_500_000));
    }

    #[test]
    fn free_functions_are_monotonic() {
        let a = uuid8_domain_name("strolid.com");
        let b = uuid8_domain_name("strolid.com");
        assert!(a < b);
    }
}
