//! Helpers shared by the integration tests of the `vcon` binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A valid vCon under the strict profile.
pub const VALID: &str = r#"{
  "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
  "created_at": "2026-06-29T23:11:19Z",
  "subject": "Greeting",
  "parties": [
    {"tel": "+12345678901", "name": "Alice", "validation": "none"},
    {"mailto": "bob@example.com", "name": "Bob", "validation": "none"}
  ],
  "dialog": [
    {"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [0, 1],
     "mediatype": "text/plain", "encoding": "none", "body": "Hi Bob"}
  ]
}"#;

/// Not a vCon: no member decides its form (R-40).
pub const NO_FORM: &str = r#"{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "subject": "x"}"#;

/// Not readable as a vCon: a duplicate member name (R-45).
pub const DUPLICATE: &str = r#"{"parties": [], "parties": []}"#;

/// The `vcon` binary, with colour-related environment cleared.
pub fn vcon() -> Command {
    let mut cmd = Command::cargo_bin("vcon").unwrap();
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    cmd
}

/// Writes `contents` to `dir/name`, creating parent folders.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, contents).unwrap();
    path
}

/// Gzip of `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Parses JSON Lines.
pub fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// The shared example vCons (`../../../shared/vectors` or `$VCON_VECTORS_DIR`),
/// or `None` after printing why the calling test skips.
pub fn vectors_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("VCON_VECTORS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED {test}: vector directory {} is absent (set VCON_VECTORS_DIR to run it)",
            dir.display()
        );
        None
    }
}

/// A legacy 0.0.1 vCon: `mimetype`, `alg` + `signature`, `group: []`.
pub const LEGACY: &str = r#"{
  "vcon": "0.0.1",
  "uuid": "018b4f72-d0e7-8d8e-b9a2-279e0d16bc46",
  "created_at": "2022-06-21T17:53:26Z",
  "group": [],
  "parties": [{"tel": "+12345678901", "name": "Alice", "validation": "none"}],
  "dialog": [{
    "type": "recording", "start": "2022-06-21T17:53:26Z", "parties": [0],
    "url": "https://example.com/call.wav", "mimetype": "audio/x-wav",
    "alg": "SHA-512",
    "signature": "abababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababab"
  }]
}"#;

/// Parses the one JSON document of `bytes`.
pub fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON: {e}: {}", String::from_utf8_lossy(bytes)))
}
