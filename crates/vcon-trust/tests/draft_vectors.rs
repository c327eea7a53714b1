//! The draft's own signed (A.6) and encrypted (A.7) examples and the legacy
//! container-00/-02 ones, read from the shared vectors.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{key_file, vector};
use vcon_trust::keys::{PrivateKey, PublicKey};
use vcon_trust::x509::{ChainError, ChainPolicy, read_certificates};
use vcon_trust::{SignerTrust, VerifyError, VerifyOptions, verify};

const A6: &str = "core03-A6-signed-jws-general.vcon";
const A6_UUID: &str = "019f15a6-a752-826f-b9a2-279e0d16bc46";

fn root() -> Option<Vec<vcon_trust::x509::Certificate>> {
    key_file("fake_ca_root.crt").map(|b| read_certificates(&b).unwrap())
}

fn lenient(anchors: Vec<vcon_trust::x509::Certificate>) -> VerifyOptions {
    VerifyOptions {
        allow_v1_intermediates: true,
        ..VerifyOptions::with_anchors(anchors)
    }
}

#[test]
fn a6_verifies_under_the_opt_in_policy_with_a_warning() {
    let a6 = need!(vector(A6));
    let anchors = need!(root());
    let v = verify(&a6, &lenient(anchors)).unwrap();
    assert_eq!(v.uuid.as_deref(), Some(A6_UUID));
    assert_eq!(v.layers.len(), 1);
    let s = &v.layers[0].signers[0];
    assert_eq!(s.alg, vcon_trust::SignAlg::RS256);
    assert_eq!(s.header_uuid.as_deref(), Some(A6_UUID));
    assert!(
        s.leaf_subject().unwrap().contains("CN=grp.div.fakevcon.io"),
        "{s:?}"
    );
    let SignerTrust::Chain {
        chain_subjects,
        anchor_subject,
        policy,
    } = &s.trust
    else {
        panic!("{s:?}")
    };
    assert_eq!(*policy, ChainPolicy::AllowV1Intermediates);
    assert_eq!(
        chain_subjects.len(),
        3,
        "leaf, intermediate and the root carried in x5c"
    );
    assert!(anchor_subject.contains("CN=fakevcon.io"));
    // The v1 intermediate is accepted only with a warning, and so are A.6's repeated headers.
    let text: Vec<String> = v.warnings.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|w| w.contains("certificate 1") && w.contains("X.509 v1")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|w| w.contains("/signatures/0/header/alg") && w.contains("repeats")),
        "{text:#?}"
    );
    // The inner vCon is the A.4 example: its bytes parse back to the same object.
    let again: serde_json::Value = serde_json::from_slice(&v.vcon_bytes).unwrap();
    assert_eq!(again.as_object().unwrap(), v.vcon());
    assert!(v.vcon().contains_key("dialog"));
}

#[test]
fn a6_fails_under_the_strict_policy_naming_the_v1_intermediate() {
    let a6 = need!(vector(A6));
    let anchors = need!(root());
    let e = verify(&a6, &VerifyOptions::with_anchors(anchors)).unwrap_err();
    let VerifyError::Chain {
        index: 0,
        source:
            ChainError::NotACa {
                index: 1,
                subject,
                reason,
            },
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(subject.contains("CN=div.fakevcon.io"), "{subject}");
    assert!(reason.contains("X.509 v1"), "{reason}");
    let msg = e.to_string();
    assert!(msg.contains("allow_v1_intermediates"), "{msg}");
    assert!(msg.starts_with("/signatures/0/x5c: certificate 1"), "{msg}");
}

#[test]
fn a6_fails_against_the_wrong_root_of_the_same_name() {
    let a6 = need!(vector(A6));
    let wrong = read_certificates(&need!(key_file("fake_ca2_root.crt"))).unwrap();
    let e = verify(&a6, &lenient(wrong)).unwrap_err();
    let VerifyError::Chain {
        source: ChainError::NotAnchored {
            index: 2, detail, ..
        },
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert!(
        detail.contains("has the issuer's name but its key did not sign it"),
        "{detail}"
    );
}

#[test]
fn a6_verifies_with_the_bare_leaf_key_and_fails_with_another() {
    let a6 = need!(vector(A6));
    let grp = PublicKey::from_bytes(&need!(key_file("fake_grp.crt"))).unwrap();
    let v = verify(&a6, &VerifyOptions::with_public_keys(vec![grp])).unwrap();
    assert!(matches!(
        v.layers[0].signers[0].trust,
        SignerTrust::PublicKey { key_index: 0, .. }
    ));
    assert!(
        v.warnings
            .iter()
            .any(|w| w.message.contains("x5c not validated"))
    );
    let div = PrivateKey::from_bytes(&need!(key_file("fake_div.key")))
        .unwrap()
        .public_key()
        .unwrap();
    let e = verify(&a6, &VerifyOptions::with_public_keys(vec![div])).unwrap_err();
    assert!(
        matches!(e, VerifyError::BadSignature { index: 0, .. }),
        "{e:?}"
    );
}

#[test]
fn a6_expired_at_a_later_verification_time_and_valid_earlier() {
    let a6 = need!(vector(A6));
    let anchors = need!(root());
    let mut o = lenient(anchors);
    o.time = Some("2033-01-01T00:00:00Z".parse().unwrap());
    let e = verify(&a6, &o).unwrap_err();
    assert!(
        matches!(
            e,
            VerifyError::Chain {
                source: ChainError::Expired { index: 0, .. },
                ..
            }
        ),
        "{e:?}"
    );
    o.time = Some("2022-06-01T00:00:00Z".parse().unwrap());
    let e = verify(&a6, &o).unwrap_err();
    assert!(
        e.to_string().contains("is not valid before 2022-06-04"),
        "{e}"
    );
}

#[test]
fn legacy_0_0_1_signed_example_verifies_under_the_opt_in_policy_only() {
    let legacy = need!(vector("legacy-0.0.1-container00-signed-jws.vcon"));
    let anchors = need!(root());
    let v = verify(&legacy, &lenient(anchors.clone())).unwrap();
    assert_eq!(v.vcon().get("vcon").and_then(|v| v.as_str()), Some("0.0.1"));
    // Its header has no uuid: a warning, not an error.
    assert!(
        v.warnings
            .iter()
            .any(|w| w.message.contains("no `uuid` header member")),
        "{:?}",
        v.warnings
    );
    // Same v1 chain as A.6.
    let e = verify(&legacy, &VerifyOptions::with_anchors(anchors)).unwrap_err();
    assert!(
        matches!(
            e,
            VerifyError::Chain {
                source: ChainError::NotACa { index: 1, .. },
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn a7_decrypts_with_fake_grp_key_to_the_a6_vcon() {
    let a7 = need!(vector("core03-A7-encrypted-jwe-general.vcon"));
    let a6 = need!(vector(A6));
    let key = PrivateKey::from_bytes(&need!(key_file("fake_grp.key"))).unwrap();
    let d = vcon_trust::decrypt(&a7, &key, &vcon_trust::DecryptOptions::default()).unwrap();
    // The plaintext is Python's json.dumps of the signed vCon; the A.6 file is the same
    // JSON re-indented by the py-vcon CLI. So: the same JSON value with the same member
    // order, hence the same payload, protected and signature strings (all a signature
    // covers), but not the same whitespace.
    let plain: serde_json::Value = serde_json::from_slice(&d.signed_bytes).unwrap();
    let file: serde_json::Value = serde_json::from_slice(&a6).unwrap();
    assert_eq!(plain, file, "the plaintext is the A.6 vCon");
    assert_eq!(
        serde_json::to_string(&plain).unwrap(),
        serde_json::to_string(&file).unwrap(),
        "same member order too"
    );
    assert_eq!(
        d.signed_bytes.len(),
        13_118,
        "`json.dumps` text: A.6 without its indentation"
    );
    assert_eq!(d.uuid.as_deref(), Some(A6_UUID));
    assert_eq!(
        (d.recipient, d.alg, d.enc),
        (
            0,
            vcon_trust::KeyAlg::RsaOaep,
            vcon_trust::ContentEnc::A256CbcHs512
        )
    );
    // A.7 repeats enc three times and uses the legacy cty: warnings, not errors.
    let text: Vec<String> = d.warnings.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|w| w.starts_with("/unprotected/enc: repeats /protected/enc")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|w| w.starts_with("/recipients/0/header/enc: repeats")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|w| w.contains("application/vcon+json")),
        "{text:#?}"
    );
    // And the decrypted A.6 then verifies.
    let v = verify(&d.signed_bytes, &lenient(need!(root()))).unwrap();
    assert_eq!(v.uuid.as_deref(), Some(A6_UUID));
}

#[test]
fn a7_does_not_open_with_another_key() {
    let a7 = need!(vector("core03-A7-encrypted-jwe-general.vcon"));
    let key = PrivateKey::from_bytes(&need!(key_file("fake_div.key"))).unwrap();
    let e = vcon_trust::decrypt(&a7, &key, &vcon_trust::DecryptOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, vcon_trust::DecryptError::NoRecipientForKey { .. }),
        "{e:?}"
    );
    assert!(
        msg.contains("recipient 0 (RSA-OAEP): the key does not unwrap"),
        "{msg}"
    );
}

#[test]
fn legacy_0_0_2_encrypted_example_decrypts_to_a_signed_vcon() {
    let jwe = need!(vector("legacy-0.0.2-container02-encrypted-jwe.vcon"));
    let key = PrivateKey::from_bytes(&need!(key_file("fake_grp.key"))).unwrap();
    let d = vcon_trust::decrypt(&jwe, &key, &vcon_trust::DecryptOptions::default()).unwrap();
    assert_eq!(
        d.uuid.as_deref(),
        Some("0195544a-b9b1-8ee4-b9a2-279e0d16bc46")
    );
    let v = verify(&d.signed_bytes, &lenient(need!(root()))).unwrap();
    assert_eq!(v.vcon().get("vcon").and_then(|v| v.as_str()), Some("0.0.2"));
}
