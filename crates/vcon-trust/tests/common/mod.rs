//! Shared helpers for the integration tests: where the shared vectors are,
//! and loud skipping when they are absent.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../../../shared/vectors` from this crate, or `$VCON_VECTORS_DIR`.
pub fn vectors_dir() -> PathBuf {
    match std::env::var_os("VCON_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    }
}

/// Reads a vector file, or prints a clear skip message and returns `None`.
pub fn vector(name: &str) -> Option<Vec<u8>> {
    let path = vectors_dir().join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!(
                "SKIPPED: shared test vector {} is absent ({e}); set VCON_VECTORS_DIR to the shared/vectors directory to run this test",
                path.display()
            );
            None
        }
    }
}

/// Reads a file of `vectors/keys/`, or prints the skip message.
pub fn key_file(name: &str) -> Option<Vec<u8>> {
    vector(&format!("keys/{name}"))
}

/// Skips the calling test (with the message printed) when a vector is absent.
#[macro_export]
macro_rules! need {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return,
        }
    };
}
