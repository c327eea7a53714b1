//! Helpers of the trust command tests (`trust_*.rs`): the shared vectors,
//! a generated test PKI, and tampering with a signed file.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use predicates::prelude::*;

use crate::common::{VALID, json, vcon, write};

/// The shared vectors (`../../../shared/vectors`, or `$VCON_VECTORS_DIR`), or
/// `None` after saying on the real standard error (libtest captures
/// `eprintln!`) that the calling test is skipped.
pub fn vectors(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("VCON_VECTORS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
        PathBuf::from,
    );
    if dir.join("keys").is_dir() {
        return Some(dir);
    }
    let _ = std::io::stderr().write_all(
        format!(
            "SKIPPED {test}: shared vector directory {} (with keys/) is absent; set VCON_VECTORS_DIR to run it\n",
            dir.display()
        )
        .as_bytes(),
    );
    None
}

/// A generated test PKI in a temporary directory.
pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        vcon()
            .args(["keys", "generate", "--out-dir"])
            .arg(dir.path())
            .assert()
            .code(0)
            .stderr(predicate::str::contains("for testing only"));
        Self { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Signs [`VALID`] with the leaf key and chain; returns the signed file.
    pub fn signed(&self) -> PathBuf {
        let input = write(self.dir.path(), "call.vcon", VALID);
        let out = self.path("signed.vcon");
        vcon()
            .arg("sign")
            .arg(&input)
            .arg("--key")
            .arg(self.path("leaf.key"))
            .arg("--cert")
            .arg(self.path("chain.pem"))
            .arg("-o")
            .arg(&out)
            .assert()
            .code(0);
        out
    }
}

/// Changes one base64url character of `member` in the top-level object.
pub fn tamper(path: &Path, member: &str) {
    let mut v = json(&std::fs::read(path).unwrap());
    let s = v[member].as_str().unwrap().to_owned();
    let mid = s.len() / 2;
    let c = s.as_bytes()[mid];
    let replacement = if c == b'A' { "B" } else { "A" };
    v[member] = format!("{}{replacement}{}", &s[..mid], &s[mid + 1..]).into();
    std::fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}
