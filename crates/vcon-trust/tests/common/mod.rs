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
            // Straight to the process's stderr: libtest captures eprintln!, and a
            // skip must be seen in a normal `cargo test` run.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
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

use serde_json::{Map, Value, json};
use vcon_trust::keys::{KeyKind, PrivateKey, TestPki, TestPkiOptions};
use vcon_trust::x509::Certificate;

/// The uuid of [`unsigned`].
pub const UUID: &str = "019f15a6-a752-826f-b9a2-279e0d16bc46";

/// A small unsigned vCon.
pub fn unsigned() -> Map<String, Value> {
    json!({
        "uuid": UUID,
        "created_at": "2026-06-29T23:11:19Z",
        "parties": [{"tel": "+12345678901", "name": "Alice"}, {"mailto": "bob@example.com", "name": "Bob"}],
        "dialog": [{"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [0, 1],
                    "mediatype": "text/plain", "encoding": "none", "body": "Hello Bob"}]
    })
    .as_object()
    .unwrap()
    .clone()
}

/// A generated v3 test PKI with keys of `kind`.
pub fn pki(kind: KeyKind) -> TestPki {
    TestPki::generate(&TestPkiOptions {
        key_kind: kind,
        ..TestPkiOptions::default()
    })
    .unwrap()
}

/// How [`issue`] shapes a certificate.
#[derive(Clone, Copy, Default)]
pub struct Shape {
    /// Write an X.509 v1 certificate (no extensions at all).
    pub v1: bool,
    /// basicConstraints CA flag; `None` = no basicConstraints extension.
    pub ca: Option<bool>,
    /// keyUsage: `Some(true)` keyCertSign only, `Some(false)` digitalSignature only.
    pub cert_sign_only: Option<bool>,
    /// Validity in days from now; negative = expired that many days ago.
    pub days: i64,
}

/// Issues a certificate for `subject_key` named `cn`, signed by `issuer`
/// (or self-signed), shaped as asked. Uses OpenSSL directly, like an outside CA.
pub fn issue(
    cn: &str,
    subject_key: &PrivateKey,
    issuer: Option<(&Certificate, &PrivateKey)>,
    shape: Shape,
) -> Certificate {
    use openssl::asn1::{Asn1Integer, Asn1Time};
    use openssl::bn::BigNum;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::x509::extension::{BasicConstraints, KeyUsage};
    use openssl::x509::{X509, X509Builder, X509NameBuilder};

    let pkey = PKey::private_key_from_pem(&subject_key.to_pem().unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(if shape.v1 { 0 } else { 2 }).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&BigNum::from_u32(7).unwrap()).unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    let issuer_x509 = issuer.map(|(c, _)| X509::from_der(c.der()).unwrap());
    match &issuer_x509 {
        Some(x) => b.set_issuer_name(x.subject_name()).unwrap(),
        None => b.set_issuer_name(&name).unwrap(),
    }
    let now = chrono::Utc::now().timestamp();
    let days = if shape.days == 0 { 30 } else { shape.days };
    let (nb, na) = if days > 0 {
        (now - 3600, now + days * 86_400)
    } else {
        (now + (days - 30) * 86_400, now + days * 86_400)
    };
    b.set_not_before(&Asn1Time::from_unix(nb).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::from_unix(na).unwrap()).unwrap();
    b.set_pubkey(&pkey).unwrap();
    if !shape.v1 {
        if let Some(ca) = shape.ca {
            let mut bc = BasicConstraints::new();
            bc.critical();
            if ca {
                bc.ca();
            }
            b.append_extension(bc.build().unwrap()).unwrap();
        }
        if let Some(cert_sign) = shape.cert_sign_only {
            let mut ku = KeyUsage::new();
            ku.critical();
            if cert_sign {
                ku.key_cert_sign();
            } else {
                ku.digital_signature();
            }
            b.append_extension(ku.build().unwrap()).unwrap();
        }
    }
    let signer = issuer.map_or(subject_key, |(_, k)| k);
    let signer = PKey::private_key_from_pem(&signer.to_pem().unwrap()).unwrap();
    let md = if signer.id() == openssl::pkey::Id::ED25519 {
        MessageDigest::null()
    } else {
        MessageDigest::sha256()
    };
    b.sign(&signer, md).unwrap();
    Certificate::from_der(&b.build().to_der().unwrap()).unwrap()
}

/// The key kind each signature algorithm needs.
pub fn kind_for(alg: vcon_trust::SignAlg) -> KeyKind {
    use vcon_trust::SignAlg as A;
    match alg {
        A::RS256 | A::PS256 => KeyKind::RSA2048,
        A::ES256 => KeyKind::P256,
        A::ES384 => KeyKind::P384,
        A::EdDSA => KeyKind::Ed25519,
    }
}
