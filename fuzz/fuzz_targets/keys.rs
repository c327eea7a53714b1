//! vcon-trust's key and certificate readers on arbitrary bytes: private and
//! public keys as PEM, DER or JWK (found by sniffing), and X.509
//! certificates as DER, PEM and `x5c` entries. These read files that
//! `vcon sign|verify|encrypt|decrypt` are given and the `x5c` of any vCon.
//!
//! Properties checked (beyond "no panic, no hang, no OOM"):
//! * a private key that reads has a public half, and that public half read
//!   back from its PEM and from its JWK has the same RFC 7638 thumbprint;
//! * a public key that reads survives PEM and JWK round trips (same thumbprint);
//! * a certificate that reads from DER reads back equal from its `x5c` text.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use vcon_trust::keys::{PrivateKey, PublicKey};
use vcon_trust::x509::Certificate;

fn same_public(key: &PublicKey) {
    let thumbprint = key.thumbprint();
    let pem = key.to_pem().expect("a read public key exports as PEM");
    let from_pem = PublicKey::from_pem(&pem).expect("exported PEM reads back");
    assert_eq!(from_pem.thumbprint(), thumbprint, "PEM round trip");
    if let Ok(jwk) = key.to_jwk() {
        let text = serde_json::to_vec(&jwk).expect("a JWK map serialises");
        let from_jwk = PublicKey::from_jwk(&text).expect("exported JWK reads back");
        assert_eq!(from_jwk.thumbprint(), thumbprint, "JWK round trip");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(private) = PrivateKey::from_bytes(data) {
        let public = private
            .public_key()
            .expect("a read private key has a public half");
        same_public(&public);
    }
    if let Ok(public) = PublicKey::from_bytes(data) {
        same_public(&public);
    }
    if let Ok(cert) = Certificate::from_der(data) {
        let again = Certificate::from_x5c(&STANDARD.encode(data), 0)
            .expect("a DER certificate reads back from its x5c text");
        assert_eq!(again, cert, "x5c round trip");
    }
    let _ = Certificate::from_pem(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Certificate::from_x5c(text, 0);
    }
});
