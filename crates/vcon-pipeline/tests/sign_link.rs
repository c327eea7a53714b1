//! The `sign` link (feature `sign`) with a generated test PKI.
#![cfg(feature = "sign")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::json;
use vcon_core::Form;
use vcon_pipeline::Flow;
use vcon_pipeline::registry::{BuildContext, build_link};
use vcon_trust::keys::{TestPki, TestPkiOptions};
use vcon_trust::{VerifyOptions, verify};

#[tokio::test]
async fn sign_turns_an_unsigned_vcon_into_a_verifiable_jws() {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    pki.write_to(dir.path()).unwrap();
    let options =
        json!({"key": dir.path().join("leaf.key"), "chain": dir.path().join("chain.pem")});
    let link = build_link("signer", "sign", &options, &BuildContext::new(None)).unwrap();
    let mut doc = support::doc(5);
    assert_eq!(
        link.process(&mut doc, &support::ctx()).await.unwrap(),
        Flow::Continue
    );
    assert_eq!(doc.form(), Form::Signed);
    assert_eq!(doc.uuid(), support::uuid(5));
    let verified = verify(
        &doc.to_bytes(),
        &VerifyOptions::with_anchors(vec![pki.root_cert.clone()]),
    )
    .unwrap();
    assert_eq!(verified.uuid.as_deref(), Some(support::uuid(5).as_str()));
    // Already signed: the link does not take it.
    assert!(!link.handles(Form::Signed));
}

#[test]
fn a_missing_key_file_is_a_start_up_error_naming_the_link() {
    let err = build_link(
        "signer",
        "sign",
        &json!({"key": "/nonexistent/key.pem"}),
        &BuildContext::new(None),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("links.signer (sign)") && text.contains("/nonexistent/key.pem"),
        "{text}"
    );
}
