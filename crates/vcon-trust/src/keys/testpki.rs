//! A throw-away three-level PKI (root CA, intermediate CA, signer leaf) for
//! people and tests without one. Certificates are X.509 v3 with
//! basicConstraints and keyUsage set as RFC 5280 wants, so the chain passes
//! the strict policy. Never trust these outside tests.

use std::path::{Path, PathBuf};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509NameBuilder};

use super::{KeyError, KeyKind, PrivateKey, backend};
use crate::x509::Certificate;

/// What [`TestPki::generate`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPkiOptions {
    /// Key type of all three keys (default RSA-2048).
    pub key_kind: KeyKind,
    /// DNS name of the leaf (default `signer.vcon.example`); the CAs are
    /// named after it.
    pub domain: String,
    /// Validity of every certificate, in days from now (default 365).
    pub days: u32,
}

impl Default for TestPkiOptions {
    fn default() -> Self {
        Self {
            key_kind: KeyKind::RSA2048,
            domain: "signer.vcon.example".into(),
            days: 365,
        }
    }
}

/// A generated root → intermediate → leaf hierarchy, in memory.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// Self-signed root CA (`CA:TRUE, pathlen:1`): the trust anchor.
    pub root_cert: Certificate,
    /// The root's key.
    pub root_key: PrivateKey,
    /// Intermediate CA (`CA:TRUE, pathlen:0`), issued by the root.
    pub intermediate_cert: Certificate,
    /// The intermediate's key.
    pub intermediate_key: PrivateKey,
    /// End-entity signer certificate (`CA:FALSE`, digitalSignature,
    /// nonRepudiation, and keyEncipherment or keyAgreement), issued by the intermediate.
    pub leaf_cert: Certificate,
    /// The leaf's key: sign with it, or decrypt with it.
    pub leaf_key: PrivateKey,
}

enum Role<'a> {
    Root,
    Intermediate,
    Leaf(&'a str),
}

impl TestPki {
    /// Generates the three keys and certificates.
    pub fn generate(options: &TestPkiOptions) -> Result<Self, KeyError> {
        let root_key = PrivateKey::generate(options.key_kind)?;
        let intermediate_key = PrivateKey::generate(options.key_kind)?;
        let leaf_key = PrivateKey::generate(options.key_kind)?;
        let cn_root = format!("vconkit test root CA for {}", options.domain);
        let cn_int = format!("vconkit test intermediate CA for {}", options.domain);
        let root = issue(&cn_root, &root_key, None, Role::Root, options)?;
        let int = issue(
            &cn_int,
            &intermediate_key,
            Some((&root, &root_key)),
            Role::Intermediate,
            options,
        )?;
        let leaf = issue(
            &options.domain,
            &leaf_key,
            Some((&int, &intermediate_key)),
            Role::Leaf(&options.domain),
            options,
        )?;
        let cert = |x: &X509| {
            x.to_der()
                .map_err(backend)
                .and_then(|der| Certificate::from_der(&der))
        };
        Ok(Self {
            root_cert: cert(&root)?,
            root_key,
            intermediate_cert: cert(&int)?,
            intermediate_key,
            leaf_cert: cert(&leaf)?,
            leaf_key,
        })
    }

    /// The signer's `x5c` chain: leaf, then intermediate (the root is the anchor).
    pub fn chain(&self) -> Vec<Certificate> {
        vec![self.leaf_cert.clone(), self.intermediate_cert.clone()]
    }

    /// Writes the PEM files into `dir` (created if needed) and returns their
    /// paths: `root.crt`, `root.key`, `intermediate.crt`, `intermediate.key`,
    /// `leaf.crt`, `leaf.key`, and `chain.pem` (leaf + intermediate, the
    /// bundle to sign with).
    pub fn write_to(&self, dir: &Path) -> Result<Vec<PathBuf>, KeyError> {
        let io = |path: &Path, e: std::io::Error| KeyError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let chain = format!(
            "{}{}",
            self.leaf_cert.to_pem(),
            self.intermediate_cert.to_pem()
        );
        let files: [(&str, Vec<u8>); 7] = [
            ("root.crt", self.root_cert.to_pem().into_bytes()),
            ("root.key", self.root_key.to_pem()?),
            (
                "intermediate.crt",
                self.intermediate_cert.to_pem().into_bytes(),
            ),
            ("intermediate.key", self.intermediate_key.to_pem()?),
            ("leaf.crt", self.leaf_cert.to_pem().into_bytes()),
            ("leaf.key", self.leaf_key.to_pem()?),
            ("chain.pem", chain.into_bytes()),
        ];
        let mut written = Vec::with_capacity(files.len());
        for (name, bytes) in files {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Generates a test PKI with `options` and writes it into `out_dir`
/// (see [`TestPki::write_to`] for the files). Returns the paths written.
pub fn generate_test_pki(
    out_dir: impl AsRef<Path>,
    options: &TestPkiOptions,
) -> Result<Vec<PathBuf>, KeyError> {
    TestPki::generate(options)?.write_to(out_dir.as_ref())
}

fn digest(kind: KeyKind) -> MessageDigest {
    match kind {
        KeyKind::Ed25519 => MessageDigest::null(),
        KeyKind::P384 => MessageDigest::sha384(),
        KeyKind::Rsa { .. } | KeyKind::P256 => MessageDigest::sha256(),
    }
}

fn issue(
    cn: &str,
    key: &PrivateKey,
    issuer: Option<(&X509, &PrivateKey)>,
    role: Role<'_>,
    options: &TestPkiOptions,
) -> Result<X509, KeyError> {
    let mut name = X509NameBuilder::new().map_err(backend)?;
    name.append_entry_by_text("O", "vconkit test PKI (never trust)")
        .map_err(backend)?;
    name.append_entry_by_text("CN", cn).map_err(backend)?;
    let name = name.build();

    let mut b = X509Builder::new().map_err(backend)?;
    b.set_version(2).map_err(backend)?;
    let mut serial = BigNum::new().map_err(backend)?;
    serial
        .rand(127, MsbOption::MAYBE_ZERO, false)
        .map_err(backend)?;
    let serial = Asn1Integer::from_bn(&serial).map_err(backend)?;
    b.set_serial_number(&serial).map_err(backend)?;
    b.set_subject_name(&name).map_err(backend)?;
    match issuer {
        Some((cert, _)) => b.set_issuer_name(cert.subject_name()),
        None => b.set_issuer_name(&name),
    }
    .map_err(backend)?;
    let now = chrono::Utc::now().timestamp();
    let not_before = Asn1Time::from_unix(now - 3600).map_err(backend)?;
    let not_after = Asn1Time::days_from_now(options.days).map_err(backend)?;
    b.set_not_before(&not_before).map_err(backend)?;
    b.set_not_after(&not_after).map_err(backend)?;
    b.set_pubkey(key.pkey()).map_err(backend)?;

    let mut ku = KeyUsage::new();
    ku.critical();
    let mut bc = BasicConstraints::new();
    bc.critical();
    match role {
        Role::Root => {
            bc.ca().pathlen(1);
            ku.key_cert_sign().crl_sign();
        }
        Role::Intermediate => {
            bc.ca().pathlen(0);
            ku.key_cert_sign().crl_sign();
        }
        Role::Leaf(_) => {
            ku.digital_signature().non_repudiation();
            match key.kind() {
                KeyKind::Rsa { .. } => ku.key_encipherment(),
                KeyKind::P256 | KeyKind::P384 => ku.key_agreement(),
                KeyKind::Ed25519 => &mut ku,
            };
        }
    }
    b.append_extension(bc.build().map_err(backend)?)
        .map_err(backend)?;
    b.append_extension(ku.build().map_err(backend)?)
        .map_err(backend)?;
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None))
        .map_err(backend)?;
    b.append_extension(ski).map_err(backend)?;
    if let Some((cert, _)) = issuer {
        let aki = AuthorityKeyIdentifier::new()
            .keyid(false)
            .build(&b.x509v3_context(Some(cert), None))
            .map_err(backend)?;
        b.append_extension(aki).map_err(backend)?;
    }
    if let Role::Leaf(domain) = role {
        let san = SubjectAlternativeName::new()
            .dns(domain)
            .build(&b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None))
            .map_err(backend)?;
        b.append_extension(san).map_err(backend)?;
    }
    let signer = issuer.map_or(key, |(_, k)| k);
    b.sign(signer.pkey(), digest(signer.kind()))
        .map_err(backend)?;
    Ok(b.build())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::x509::{ChainOptions, validate_chain};

    #[test]
    fn generated_chains_pass_the_strict_policy_for_every_key_kind() {
        for key_kind in [
            KeyKind::RSA2048,
            KeyKind::P256,
            KeyKind::P384,
            KeyKind::Ed25519,
        ] {
            let pki = TestPki::generate(&TestPkiOptions {
                key_kind,
                ..TestPkiOptions::default()
            })
            .unwrap();
            let ok = validate_chain(
                &pki.chain(),
                std::slice::from_ref(&pki.root_cert),
                &ChainOptions::default(),
            );
            let ok = ok.unwrap_or_else(|e| panic!("{key_kind}: {e}"));
            assert_eq!(ok.subjects.len(), 2);
            assert!(
                ok.anchor_subject.contains("test root CA"),
                "{}",
                ok.anchor_subject
            );
            assert!(ok.warnings.is_empty());
            assert_eq!(pki.leaf_cert.version(), 3);
            assert_eq!(
                pki.leaf_cert.public_key().unwrap(),
                pki.leaf_key.public_key().unwrap()
            );
        }
    }

    #[test]
    fn a_root_carried_in_x5c_or_an_intermediate_anchor_both_end_the_path() {
        let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
        let mut with_root = pki.chain();
        with_root.push(pki.root_cert.clone());
        let anchors = std::slice::from_ref(&pki.root_cert);
        let ok = validate_chain(&with_root, anchors, &ChainOptions::default()).unwrap();
        assert_eq!(ok.subjects.len(), 3);
        let int = std::slice::from_ref(&pki.intermediate_cert);
        let ok = validate_chain(&pki.chain(), int, &ChainOptions::default()).unwrap();
        assert_eq!(ok.subjects.len(), 2);
        assert!(ok.anchor_subject.contains("intermediate"));
        let leaf_only = validate_chain(&pki.chain()[..1], int, &ChainOptions::default()).unwrap();
        assert_eq!(leaf_only.subjects.len(), 1);
        let too_long = ChainOptions {
            max_len: 2,
            ..ChainOptions::default()
        };
        let e = validate_chain(&with_root, anchors, &too_long).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x5c holds 3 certificates, over the limit of 2"
        );
        assert_eq!(
            validate_chain(&with_root, &[], &ChainOptions::default()).unwrap_err(),
            crate::x509::ChainError::NoAnchors
        );
    }

    #[test]
    fn files_are_written_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let written = generate_test_pki(dir.path(), &TestPkiOptions::default()).unwrap();
        assert_eq!(written.len(), 7);
        let chain = crate::x509::load_certificates(dir.path().join("chain.pem")).unwrap();
        assert_eq!(chain.len(), 2);
        let key = PrivateKey::load(dir.path().join("leaf.key")).unwrap();
        assert_eq!(chain[0].public_key().unwrap(), key.public_key().unwrap());
    }
}
