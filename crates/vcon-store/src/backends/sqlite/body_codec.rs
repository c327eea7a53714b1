//! How a vCon's bytes sit in `vcons.body`: as they came, or LZ4-compressed
//! (the row's `codec` says which, so rows of both kinds live side by side
//! and a later codec needs no migration).
//!
//! Why: a 2.2 KB call vCon took a 4 KiB page of its own (two such rows do
//! not fit in one page): 4.2 KB of `vcon.db` per vCon, and one WAL frame
//! per put. JSON compresses well: LZ4 keeps 64 % of the bench's vCons, two
//! rows to a page, 2.1 KB per vCon (docs/BENCHMARKS.md, "Storage round").
//! LZ4 (`lz4_flex`, pure Rust, its safe encoder and decoder: 3.3 µs to
//! compress and 0.55 µs to decompress a 2.2 KB vCon) rather than zstd:
//! zstd level 1 keeps 47 % but took about twice LZ4's time to compress and
//! three times to decompress, on the ingest path, a chain's every
//! write-back and every read.
//! A reader gets back the bytes that were put, exactly; etags and sizes are
//! those of the uncompressed bytes.
//!
//! A body is compressed only when that saves at least an eighth of it, so
//! gzipped, encrypted and media-heavy vCons stay as they are, and a read of
//! them costs nothing more.

use crate::error::StoreError;

/// `codec` of a body stored as it came.
pub(super) const RAW: i64 = 0;
/// `codec` of an LZ4 block (no size prefix: the row's `size` holds it).
pub(super) const LZ4: i64 = 1;

/// Bodies above this size are stored as they came: compressing one would
/// hold an async worker for milliseconds, and large vCons are mostly media
/// (base64 of compressed audio), which LZ4 barely shrinks. Never lower it:
/// reads refuse an LZ4 row whose size is above it.
pub(super) const MAX_COMPRESSED: usize = 256 * 1024;

/// A body as it will be stored.
#[derive(Debug)]
pub(super) enum Packed {
    /// The record's own bytes, unchanged.
    Raw,
    /// An LZ4 block of them.
    Lz4(Vec<u8>),
}

impl Packed {
    /// Compresses `bytes` when that saves at least an eighth of them (and
    /// they are from 64 bytes to [`MAX_COMPRESSED`] long); `compress`
    /// false keeps them raw.
    pub fn of(bytes: &[u8], compress: bool) -> Self {
        if !compress || bytes.len() < 64 || bytes.len() > MAX_COMPRESSED {
            return Self::Raw;
        }
        let packed = lz4_flex::block::compress(bytes);
        if packed.len() <= bytes.len() - bytes.len() / 8 {
            Self::Lz4(packed)
        } else {
            Self::Raw
        }
    }

    /// The `codec` and the bytes to store, given the record's own bytes.
    pub fn stored<'a>(&'a self, raw: &'a [u8]) -> (i64, &'a [u8]) {
        match self {
            Self::Raw => (RAW, raw),
            Self::Lz4(packed) => (LZ4, packed),
        }
    }
}

/// A body as read from its row, not decoded yet.
#[derive(Debug)]
pub(super) struct StoredBody {
    /// The `body` column.
    pub bytes: Vec<u8>,
    /// The `codec` column.
    pub codec: i64,
    /// The `size` column: the length of the decoded bytes.
    pub size: i64,
}

/// The columns a [`StoredBody`] is read from, in order, for a `SELECT`.
pub(super) const BODY_COLUMNS: &str = "body, codec, size";

impl StoredBody {
    /// The body in the [`BODY_COLUMNS`] of row `r` starting at column `i`.
    pub fn at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            bytes: r.get(i)?,
            codec: r.get(i + 1)?,
            size: r.get(i + 2)?,
        })
    }

    /// The bytes that were put; `what` names the row in the error.
    pub fn unpack(self, what: &dyn std::fmt::Display) -> Result<Vec<u8>, StoreError> {
        unpack(self.codec, self.bytes, self.size, what)
    }
}

/// The bytes of a stored body of codec `codec` whose uncompressed size is
/// `size`. `what` names the row in the error.
fn unpack(
    codec: i64,
    stored: Vec<u8>,
    size: i64,
    what: &dyn std::fmt::Display,
) -> Result<Vec<u8>, StoreError> {
    let corrupt = |message: String| StoreError::Backend {
        backend: "sqlite",
        op: format!("read {what}"),
        message,
    };
    match codec {
        RAW => Ok(stored),
        LZ4 => {
            // `size` sizes the allocation: only bodies up to MAX_COMPRESSED
            // are compressed, so a larger value is damage.
            let size = usize::try_from(size)
                .ok()
                .filter(|&s| s <= MAX_COMPRESSED)
                .ok_or_else(|| {
                    corrupt(format!(
                        "stored size {size} is not that of a compressed body (0 to {MAX_COMPRESSED})"
                    ))
                })?;
            let bytes = lz4_flex::block::decompress(&stored, size)
                .map_err(|e| corrupt(format!("the LZ4 body does not decode: {e}")))?;
            if bytes.len() == size {
                Ok(bytes)
            } else {
                Err(corrupt(format!(
                    "the LZ4 body decodes to {} bytes, the row says {size}",
                    bytes.len()
                )))
            }
        }
        other => Err(corrupt(format!(
            "unknown body codec {other} (written by a newer vconkit?)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use proptest::prelude::*;

    use super::*;

    fn round_trip(bytes: &[u8]) -> Vec<u8> {
        let packed = Packed::of(bytes, true);
        let (codec, stored) = packed.stored(bytes);
        let size = i64::try_from(bytes.len()).unwrap();
        unpack(codec, stored.to_vec(), size, &"test row").unwrap()
    }

    #[test]
    fn json_is_compressed_and_comes_back_byte_for_byte() {
        let json = r#"{"vcon":"0.4.0","parties":[{"tel":"+15551234567","name":"A"},{"tel":"+15557654321","name":"B"}],"dialog":[{"type":"text","body":"hello hello hello hello"}]}"#.repeat(4);
        let packed = Packed::of(json.as_bytes(), true);
        assert!(matches!(&packed, Packed::Lz4(p) if p.len() < json.len() / 2));
        assert_eq!(round_trip(json.as_bytes()), json.as_bytes());
    }

    #[test]
    fn incompressible_and_tiny_bodies_stay_raw() {
        // Random bytes, as a gzipped or encrypted body is.
        let mut noise = Vec::new();
        let mut x: u32 = 0x9e37_79b9;
        for _ in 0..4096 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push(x.to_le_bytes()[0]);
        }
        assert!(matches!(Packed::of(&noise, true), Packed::Raw));
        assert!(matches!(Packed::of(b"{}", true), Packed::Raw));
        assert_eq!(round_trip(&noise), noise);
        // Too large to compress on an async worker; or compression is off.
        let big = vec![b'a'; MAX_COMPRESSED + 1];
        assert!(matches!(Packed::of(&big, true), Packed::Raw));
        assert!(matches!(Packed::of(&big[..1000], true), Packed::Lz4(_)));
        assert!(matches!(Packed::of(&big[..1000], false), Packed::Raw));
    }

    #[test]
    fn damage_is_an_error_naming_the_row() {
        let json = br#"{"parties":[],"dialog":[],"analysis":[],"attachments":[]}"#.repeat(8);
        let Packed::Lz4(mut stored) = Packed::of(&json, true) else {
            panic!("compressible")
        };
        let size = i64::try_from(json.len()).unwrap();
        // A wrong size, a truncated block, an unknown codec, a negative or
        // huge size.
        let short = unpack(LZ4, stored.clone(), size - 1, &"vCon x").unwrap_err();
        assert!(short.to_string().contains("read vCon x"), "{short}");
        stored.truncate(stored.len() / 2);
        assert!(unpack(LZ4, stored.clone(), size, &"vCon x").is_err());
        let unknown = unpack(7, stored.clone(), size, &"vCon x").unwrap_err();
        assert!(unknown.to_string().contains("codec 7"), "{unknown}");
        assert!(unpack(LZ4, stored.clone(), -1, &"vCon x").is_err());
        // A size no compressed body has is refused before any allocation.
        let huge = unpack(LZ4, stored, i64::MAX, &"vCon x").unwrap_err();
        assert!(huge.to_string().contains("stored size"), "{huge}");
    }

    proptest! {
        #[test]
        fn any_bytes_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..4096),
                                repeat in 1usize..6) {
            let bytes = bytes.repeat(repeat);
            prop_assert_eq!(round_trip(&bytes), bytes);
        }

        /// Damaged rows give an error or bytes of the stated size, never a
        /// panic or more memory than the row's size.
        #[test]
        fn any_stored_bytes_decode_within_their_size(stored in proptest::collection::vec(any::<u8>(), 0..512),
                                                     size in -4i64..4096) {
            if let Ok(bytes) = unpack(LZ4, stored, size, &"row") {
                prop_assert_eq!(i64::try_from(bytes.len()).unwrap(), size);
            }
        }
    }
}
