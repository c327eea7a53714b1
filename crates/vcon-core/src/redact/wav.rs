//! RIFF/WAVE recordings: reading the format and silencing time spans of
//! PCM audio (8-bit unsigned, 16-bit signed; plain `WAVE_FORMAT_PCM` or
//! `WAVE_FORMAT_EXTENSIBLE` with the PCM sub-format). Compressed formats
//! (GSM 6.10, µ-law, ADPCM, MP3 in WAV, ...) cannot be silenced sample by
//! sample and are refused with [`WavError::Unsupported`], naming the format.
//!
//! A span `[start, end)` in seconds covers the frames `floor(start × rate)`
//! up to, not including, `ceil(end × rate)`, clamped to the recording; every
//! channel of those frames is set to silence (0 for 16-bit, 128 for 8-bit).
//!
//! ```
//! use vcon_core::redact::wav::{Wav, pcm16_mono};
//! let mut bytes = pcm16_mono(8000, &[1000; 8000]); // one second
//! let wav = Wav::parse(&bytes).unwrap();
//! assert_eq!((wav.sample_rate, wav.bits_per_sample, wav.frames()), (8000, 16, 8000));
//! let frames = wav.silence(&mut bytes, &[(0.25, 0.5)]);
//! assert_eq!(frames, 2000);
//! let after = Wav::parse(&bytes).unwrap();
//! assert_eq!(after.sample(&bytes, 1999, 0), Some(1000));
//! assert_eq!(after.sample(&bytes, 2000, 0), Some(0));
//! assert_eq!(after.sample(&bytes, 3999, 0), Some(0));
//! assert_eq!(after.sample(&bytes, 4000, 0), Some(1000));
//! ```

use std::ops::Range;

/// `WAVE_FORMAT_PCM`.
const FORMAT_PCM: u16 = 0x0001;
/// `WAVE_FORMAT_EXTENSIBLE`: the real format is in the sub-format GUID.
const FORMAT_EXTENSIBLE: u16 = 0xfffe;

/// Why a recording cannot be silenced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// The bytes do not start with `RIFF....WAVE`.
    #[error("not a RIFF/WAVE file (no `RIFF....WAVE` header)")]
    NotWave,
    /// A chunk runs past the end, or a required chunk is missing or short.
    #[error("malformed WAVE file at byte {offset}: {reason}")]
    Malformed {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// The audio is not PCM.
    #[error(
        "the WAVE audio is {name} (format tag 0x{format_tag:04x}); only PCM 8/16-bit can be silenced sample by sample"
    )]
    Unsupported {
        /// The `wFormatTag` (or the sub-format's first two bytes).
        format_tag: u16,
        /// The format's common name.
        name: &'static str,
    },
    /// PCM with a sample size other than 8 or 16 bits.
    #[error("PCM with {bits} bits per sample; only 8 and 16 bits can be silenced")]
    UnsupportedBits {
        /// Bits per sample.
        bits: u16,
    },
}

/// The common name of a WAVE format tag.
pub fn format_name(tag: u16) -> &'static str {
    match tag {
        0x0001 => "PCM",
        0x0002 => "Microsoft ADPCM",
        0x0003 => "IEEE float",
        0x0006 => "A-law",
        0x0007 => "µ-law",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0050 => "MPEG",
        0x0055 => "MPEG Layer 3",
        0xfffe => "WAVE_FORMAT_EXTENSIBLE",
        _ => "an unknown format",
    }
}

/// A parsed PCM WAVE file: its format and where its samples are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Number of channels.
    pub channels: u16,
    /// Frames per second.
    pub sample_rate: u32,
    /// 8 or 16.
    pub bits_per_sample: u16,
    /// Bytes per frame (all channels).
    pub block_align: u16,
    /// Byte range of the samples (the `data` chunk, whole frames only).
    pub data: Range<usize>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

fn malformed(offset: usize, reason: impl Into<String>) -> WavError {
    WavError::Malformed {
        offset,
        reason: reason.into(),
    }
}

impl Wav {
    /// Whether `bytes` start like a RIFF/WAVE file.
    pub fn sniff(bytes: &[u8]) -> bool {
        bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE"
    }

    /// Reads the `fmt ` and `data` chunks. A `data` chunk that claims more
    /// bytes than there are (streamed files) is clamped to what is there.
    pub fn parse(bytes: &[u8]) -> Result<Self, WavError> {
        if !Self::sniff(bytes) {
            return Err(WavError::NotWave);
        }
        let mut at = 12;
        let mut fmt: Option<(u16, u16, u32, u16, u16)> = None;
        while at + 8 <= bytes.len() {
            let id = &bytes[at..at + 4];
            let size = u32_at(bytes, at + 4)
                .and_then(|s| usize::try_from(s).ok())
                .ok_or_else(|| malformed(at + 4, "chunk size unreadable"))?;
            let body = at + 8;
            if id == b"fmt " {
                if size < 16 || body + 16 > bytes.len() {
                    return Err(malformed(at, "`fmt ` chunk shorter than 16 bytes"));
                }
                let mut tag = u16_at(bytes, body).unwrap_or(0);
                let channels = u16_at(bytes, body + 2).unwrap_or(0);
                let rate = u32_at(bytes, body + 4).unwrap_or(0);
                let align = u16_at(bytes, body + 12).unwrap_or(0);
                let bits = u16_at(bytes, body + 14).unwrap_or(0);
                if tag == FORMAT_EXTENSIBLE {
                    // cbSize(2) validBits(2) channelMask(4) then the GUID.
                    tag = u16_at(bytes, body + 24)
                        .filter(|_| size >= 40)
                        .ok_or_else(|| {
                            malformed(body, "WAVE_FORMAT_EXTENSIBLE without a sub-format")
                        })?;
                }
                if tag != FORMAT_PCM {
                    return Err(WavError::Unsupported {
                        format_tag: tag,
                        name: format_name(tag),
                    });
                }
                if bits != 8 && bits != 16 {
                    return Err(WavError::UnsupportedBits { bits });
                }
                if channels == 0 || rate == 0 || align != channels * (bits / 8) {
                    return Err(malformed(
                        body,
                        format!(
                            "inconsistent PCM format: {channels} channels, {rate} Hz, block align {align}"
                        ),
                    ));
                }
                fmt = Some((tag, channels, rate, align, bits));
            } else if id == b"data" {
                let Some((_, channels, sample_rate, block_align, bits_per_sample)) = fmt else {
                    return Err(malformed(at, "`data` chunk before the `fmt ` chunk"));
                };
                let available = bytes.len() - body;
                let len = size.min(available);
                let len = len - len % usize::from(block_align);
                return Ok(Self {
                    channels,
                    sample_rate,
                    bits_per_sample,
                    block_align,
                    data: body..body + len,
                });
            }
            // Chunks are padded to an even size.
            at = body
                .checked_add(size)
                .and_then(|e| e.checked_add(size % 2))
                .ok_or_else(|| malformed(at, "chunk size overflows"))?;
        }
        Err(malformed(
            bytes.len(),
            if fmt.is_some() {
                "no `data` chunk"
            } else {
                "no `fmt ` chunk"
            },
        ))
    }

    /// Number of whole frames.
    pub fn frames(&self) -> usize {
        self.data.len() / usize::from(self.block_align.max(1))
    }

    /// Length in seconds.
    pub fn duration(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate)
    }

    /// The frame range `[floor(start × rate), ceil(end × rate))` of a span in
    /// seconds, clamped to the recording (empty when outside or reversed).
    pub fn frame_range(&self, start: f64, end: f64) -> Range<usize> {
        let rate = f64::from(self.sample_rate);
        let total = self.frames();
        let to_frame = |t: f64| -> usize {
            if t.is_nan() || t <= 0.0 {
                0
            } else {
                // Saturating float-to-int conversion, clamped below.
                (t as usize).min(total)
            }
        };
        let s = to_frame((start * rate).floor());
        let e = to_frame((end * rate).ceil());
        s..e.max(s)
    }

    /// The value of silence for this sample size, as bytes.
    fn silence_byte(&self) -> u8 {
        if self.bits_per_sample == 8 { 0x80 } else { 0 }
    }

    /// Sets every frame of every span to silence in `bytes` (the file this
    /// [`Wav`] was parsed from); returns the number of distinct frames silenced.
    pub fn silence(&self, bytes: &mut [u8], spans: &[(f64, f64)]) -> usize {
        let mut ranges: Vec<Range<usize>> = spans
            .iter()
            .map(|&(s, e)| self.frame_range(s, e))
            .filter(|r| !r.is_empty())
            .collect();
        ranges.sort_by_key(|r| r.start);
        let align = usize::from(self.block_align);
        let silence = self.silence_byte();
        let mut done = 0;
        let mut covered_to = 0;
        for r in ranges {
            let start = r.start.max(covered_to);
            if start >= r.end {
                continue;
            }
            let from = self.data.start + start * align;
            let to = self.data.start + r.end * align;
            if let Some(slice) = bytes.get_mut(from..to) {
                slice.fill(silence);
                done += r.end - start;
            }
            covered_to = r.end;
        }
        done
    }

    /// Whether frame `frame` is silence in every channel.
    pub fn is_silent(&self, bytes: &[u8], frame: usize) -> bool {
        let align = usize::from(self.block_align);
        let at = self.data.start + frame * align;
        bytes
            .get(at..at + align)
            .is_some_and(|f| f.iter().all(|b| *b == self.silence_byte()))
    }

    /// Sample `frame` of `channel` as a signed value (8-bit samples centred on 0).
    pub fn sample(&self, bytes: &[u8], frame: usize, channel: u16) -> Option<i16> {
        if channel >= self.channels || frame >= self.frames() {
            return None;
        }
        let width = usize::from(self.bits_per_sample / 8);
        let at =
            self.data.start + frame * usize::from(self.block_align) + usize::from(channel) * width;
        if width == 1 {
            bytes.get(at).map(|b| i16::from(*b) - 128)
        } else {
            Some(i16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
        }
    }
}

/// A mono 16-bit PCM WAVE file of `samples` at `rate` Hz (for tests and examples).
pub fn pcm16_mono(rate: u32, samples: &[i16]) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36u32.saturating_add(data_len)).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&FORMAT_PCM.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&rate.saturating_mul(2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm8_stereo(rate: u32, frames: usize) -> Vec<u8> {
        let mut w = pcm16_mono(rate, &[]);
        // Patch the format to 2 channels, 8 bits.
        w[22..24].copy_from_slice(&2u16.to_le_bytes());
        w[28..32].copy_from_slice(&(rate * 2).to_le_bytes());
        w[32..34].copy_from_slice(&2u16.to_le_bytes());
        w[34..36].copy_from_slice(&8u16.to_le_bytes());
        let n = u32::try_from(frames * 2).unwrap();
        w[40..44].copy_from_slice(&n.to_le_bytes());
        w.extend(std::iter::repeat_n(200u8, frames * 2));
        w
    }

    #[test]
    fn eight_bit_silence_is_128() {
        let mut b = pcm8_stereo(100, 100);
        let w = Wav::parse(&b).unwrap();
        assert_eq!(w.silence(&mut b, &[(0.1, 0.2)]), 10);
        assert!(w.is_silent(&b, 10) && w.is_silent(&b, 19));
        assert!(!w.is_silent(&b, 9) && !w.is_silent(&b, 20));
        assert_eq!(w.sample(&b, 15, 1), Some(0));
        assert_eq!(w.sample(&b, 20, 1), Some(72));
    }

    #[test]
    fn overlapping_and_out_of_range_spans() {
        let mut b = pcm16_mono(10, &[5; 10]);
        let w = Wav::parse(&b).unwrap();
        assert_eq!(
            w.silence(&mut b, &[(0.0, 0.3), (0.2, 0.5), (2.0, 3.0), (0.9, 5.0)]),
            6
        );
        assert_eq!(w.frame_range(0.55, 0.56), 5..6);
        assert_eq!(w.frame_range(-1.0, f64::NAN), 0..0);
    }

    #[test]
    fn refuses_compressed_formats_by_name() {
        let mut b = pcm16_mono(8000, &[0; 4]);
        b[20..22].copy_from_slice(&0x0031u16.to_le_bytes());
        let e = Wav::parse(&b).unwrap_err();
        assert_eq!(
            e,
            WavError::Unsupported {
                format_tag: 0x31,
                name: "GSM 6.10"
            }
        );
        assert!(e.to_string().contains("GSM 6.10"));
        let mut b = pcm16_mono(8000, &[0; 4]);
        b[34..36].copy_from_slice(&24u16.to_le_bytes());
        assert_eq!(
            Wav::parse(&b).unwrap_err(),
            WavError::UnsupportedBits { bits: 24 }
        );
    }

    #[test]
    fn malformed_files() {
        assert_eq!(Wav::parse(b"RIFF"), Err(WavError::NotWave));
        let b = pcm16_mono(8000, &[0; 4]);
        assert!(matches!(
            Wav::parse(&b[..30]),
            Err(WavError::Malformed { .. })
        ));
        let mut no_data = b.clone();
        no_data.truncate(36);
        assert!(
            Wav::parse(&no_data)
                .unwrap_err()
                .to_string()
                .contains("no `data` chunk")
        );
    }

    #[test]
    fn streamed_size_is_clamped() {
        let mut b = pcm16_mono(8000, &[1; 10]);
        b[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        let w = Wav::parse(&b).unwrap();
        assert_eq!(w.frames(), 10);
    }
}
