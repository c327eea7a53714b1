//! Typed view of the `wtf_transcription` analysis body
//! (draft-howe-vcon-wtf-extension-02, digest §9.3): an analysis with
//! `type: "wtf_transcription"`, `encoding: "json"` and an object body.
//!
//! Numbers (times, confidences, sizes) are kept as [`serde_json::Number`] so
//! the view writes back exactly what it read; ids and speakers, which
//! providers write as integers or strings, are kept as JSON values.

use serde_json::{Map, Number, Value};

use super::analysis::Analysis;
use super::error::ModelError;
use super::json::{JsonValue, Path, json_object, non_negative_number};

/// Name of the extension, as listed in `extensions`, and the analysis `type`.
pub const WTF_EXTENSION: &str = "wtf_transcription";

json_object! {
    /// The body of a wtf_transcription analysis.
    pub struct WtfTranscription {
        /// The whole transcript (required).
        transcript: WtfTranscript = "transcript",
        /// Time-aligned segments (required).
        segments: Vec<WtfSegment> = "segments",
        /// Word-level detail.
        words: Vec<WtfWord> = "words",
        /// Speakers, keyed by speaker id.
        speakers: Map<String, Value> = "speakers",
        /// How the transcript was produced (required).
        metadata: WtfMetadata = "metadata",
        /// Quality measures.
        quality: Map<String, Value> = "quality",
        /// Provider-specific data, keyed by provider.
        extensions: Map<String, Value> = "extensions",
        /// Alternative transcripts.
        alternatives: Vec<Value> = "alternatives",
        /// Sentiment, entities, topics, summary.
        enrichments: Map<String, Value> = "enrichments",
        /// Streaming state.
        streaming: Map<String, Value> = "streaming",
    }
}

json_object! {
    /// The whole transcript.
    pub struct WtfTranscript {
        /// Full text.
        text: String = "text",
        /// BCP-47 language tag.
        language: String = "language",
        /// Length in seconds.
        duration: Number = "duration" via non_negative_number,
        /// Overall confidence, 0 to 1.
        confidence: Number = "confidence",
    }
}

json_object! {
    /// A time-aligned segment of the transcript.
    pub struct WtfSegment {
        /// Unique id (integer or string).
        id: Value = "id",
        /// Start, seconds from the start of the media.
        start: Number = "start",
        /// End, seconds; after `start`.
        end: Number = "end",
        /// Text of the segment.
        text: String = "text",
        /// Confidence, 0 to 1.
        confidence: Number = "confidence",
        /// Speaker id (integer or string).
        speaker: Value = "speaker",
        /// Words: indices into `words` or word objects.
        words: Vec<Value> = "words",
    }
}

json_object! {
    /// One word.
    pub struct WtfWord {
        /// Unique id (integer or string).
        id: Value = "id",
        /// Start, seconds.
        start: Number = "start",
        /// End, seconds.
        end: Number = "end",
        /// The word.
        text: String = "text",
        /// Confidence, 0 to 1.
        confidence: Number = "confidence",
        /// Speaker id (integer or string).
        speaker: Value = "speaker",
        /// Whether this is punctuation.
        is_punctuation: bool = "is_punctuation",
    }
}

json_object! {
    /// How the transcript was produced.
    pub struct WtfMetadata {
        /// When the transcript was created.
        created_at: super::values::Date = "created_at",
        /// When processing finished.
        processed_at: super::values::Date = "processed_at",
        /// Provider name, lower case.
        provider: String = "provider",
        /// Model name.
        model: String = "model",
        /// Processing time in seconds.
        processing_time: Number = "processing_time",
        /// The audio that was transcribed.
        audio: WtfAudio = "audio",
        /// Options given to the provider.
        options: Map<String, Value> = "options",
    }
}

json_object! {
    /// The audio that was transcribed.
    pub struct WtfAudio {
        /// Length in seconds.
        duration: Number = "duration",
        /// Samples per second.
        sample_rate: Number = "sample_rate",
        /// Number of channels.
        channels: Number = "channels",
        /// Container or codec, such as `wav`.
        format: String = "format",
        /// Bit rate.
        bitrate: Number = "bitrate",
    }
}

impl WtfTranscription {
    /// The transcript text, if given.
    pub fn text(&self) -> Option<&str> {
        self.transcript.as_ref().and_then(|t| t.text.as_deref())
    }

    /// The segments (empty when absent).
    pub fn segments(&self) -> &[WtfSegment] {
        self.segments.as_deref().unwrap_or_default()
    }

    /// The words (empty when absent).
    pub fn words(&self) -> &[WtfWord] {
        self.words.as_deref().unwrap_or_default()
    }
}

impl Analysis {
    /// Whether this is a wtf_transcription analysis.
    pub fn is_wtf(&self) -> bool {
        self.r#type.as_deref() == Some(WTF_EXTENSION)
    }

    /// The wtf_transcription body, typed: `None` when this is not a
    /// wtf_transcription analysis, an error (pointing under `/body`) when the
    /// body is missing or wrongly typed.
    pub fn wtf(&self) -> Option<Result<WtfTranscription, ModelError>> {
        if !self.is_wtf() {
            return None;
        }
        Some(match &self.body {
            Some(body) => WtfTranscription::from_json(body.clone(), &Path::Root("/body")),
            None => Err(ModelError::Invalid {
                pointer: "/body".into(),
                message: "a wtf_transcription analysis needs an object body".into(),
            }),
        })
    }

    /// Makes this a wtf_transcription analysis with `body` as its JSON body.
    pub fn set_wtf(&mut self, body: &WtfTranscription) {
        self.r#type = Some(WTF_EXTENSION.to_owned());
        self.set_inline_json(body.to_json());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::model::Encoding;
    use serde_json::json;

    fn body() -> Value {
        json!({
            "transcript": {"text": "Hello there", "language": "en-US", "duration": 3.0, "confidence": 0.9},
            "segments": [{"id": 0, "start": 0.0, "end": 1.5, "text": "Hello there", "confidence": 0.95,
                          "speaker": 0, "words": [0, 1]}],
            "words": [{"id": 0, "start": 0.0, "end": 0.5, "text": "Hello", "confidence": 0.98,
                       "speaker": 0, "is_punctuation": false}],
            "speakers": {"0": {"id": 0, "label": "Alice"}},
            "metadata": {"created_at": "2025-01-02T12:15:30Z", "processed_at": "2025-01-02T12:16:35Z",
                         "provider": "deepgram", "model": "nova-2", "processing_time": 12.5,
                         "audio": {"duration": 65.2, "sample_rate": 8000, "channels": 1}},
            "extensions": {"deepgram": {"x": 1}}
        })
    }

    #[test]
    fn typed_view_is_lossless() {
        let a = Analysis::try_from(
            json!({"type": "wtf_transcription", "dialog": 0, "vendor": "deepgram",
                                          "encoding": "json", "body": body()}),
        )
        .unwrap();
        let w = a.wtf().unwrap().unwrap();
        assert_eq!(w.text(), Some("Hello there"));
        assert_eq!(w.segments()[0].end.as_ref().unwrap().as_f64(), Some(1.5));
        assert_eq!(w.words()[0].is_punctuation, Some(false));
        let audio = w.metadata.as_ref().unwrap().audio.as_ref().unwrap();
        assert_eq!(audio.sample_rate.as_ref().unwrap().as_u64(), Some(8000));
        assert_eq!(serde_json::to_string(&w).unwrap(), body().to_string());
    }

    #[test]
    fn not_wtf_or_bad_body() {
        assert!(Analysis::default().wtf().is_none());
        let a = Analysis::try_from(
            json!({"type": "wtf_transcription", "body": {"segments": [{"start": "0"}]}}),
        )
        .unwrap();
        let e = a.wtf().unwrap().unwrap_err();
        assert_eq!(
            e.to_string(),
            "/body/segments/0/start: expected a number, found a string"
        );
        let a = Analysis::try_from(json!({"type": "wtf_transcription", "body": "{}"})).unwrap();
        assert!(
            a.wtf()
                .unwrap()
                .unwrap_err()
                .to_string()
                .contains("expected an object")
        );
    }

    #[test]
    fn set_wtf_writes_json_body() {
        let w = WtfTranscription::try_from(body()).unwrap();
        let mut a = Analysis::default();
        a.set_wtf(&w);
        assert!(a.is_wtf());
        assert_eq!(a.encoding, Some(Encoding::Json));
        assert_eq!(a.body, Some(body()));
    }
}
