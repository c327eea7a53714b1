//! Interop with the Python reference library (PyPI `vcon` 0.10.0): its
//! signed output verifies here with its bare public key. (The other way, our
//! default layout verifies with that library's `Vcon.verify`: it checks the
//! first signature as a compact JWS; see the crate docs.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vcon_trust::keys::PublicKey;
use vcon_trust::{SignAlg, SignerTrust, VerifyError, VerifyOptions, verify};

const SIGNED: &[u8] = include_bytes!("data/pypi-vcon-0.10.0-signed.vcon");
const PUBLIC: &[u8] = include_bytes!("data/pypi-vcon-0.10.0-signed.pub.pem");

#[test]
fn pypi_vcon_signature_verifies_with_its_bare_public_key() {
    let key = PublicKey::from_bytes(PUBLIC).unwrap();
    let v = verify(SIGNED, &VerifyOptions::with_public_keys(vec![key])).unwrap();
    let s = &v.layers[0].signers[0];
    assert_eq!(s.alg, SignAlg::RS256);
    assert!(matches!(
        s.trust,
        SignerTrust::PublicKey { key_index: 0, .. }
    ));
    let outer: serde_json::Value = serde_json::from_slice(SIGNED).unwrap();
    assert_eq!(
        v.uuid.as_deref(),
        outer["uuid"].as_str(),
        "the payload is the same vCon as the members beside it"
    );
    let text: Vec<String> = v.warnings.iter().map(ToString::to_string).collect();
    for expected in [
        "no `header` member",
        "covered by no signature",
        "neither x5c nor x5u",
        "no `uuid` header member",
    ] {
        assert!(
            text.iter().any(|w| w.contains(expected)),
            "{expected}: {text:#?}"
        );
    }
}

#[test]
fn pypi_vcon_signature_needs_a_key_to_be_trusted() {
    let e = verify(SIGNED, &VerifyOptions::default()).unwrap_err();
    assert!(matches!(e, VerifyError::NoTrust { index: 0, .. }), "{e}");
}
