//! vcon-trust's envelope readers on arbitrary bytes: JWS (signed) and JWE
//! (encrypted) General JSON parsing, header normalisation, payload and
//! plaintext decoding, x5c certificate parsing, and the sign/encrypt entry
//! points that read an existing envelope.
//!
//! Every call uses a fixed throw-away P-256 key (below; never trust it), so
//! seeds signed with it or encrypted to it reach the paths after the
//! cryptography. Properties checked (beyond "no panic, no hang, no OOM"):
//! * `verify` with no trust anchors: an `x5c`-only signature is never trusted;
//!   whatever verifies was signed by the dummy key;
//! * `encrypt` then `decrypt` with the dummy key gives back the input bytes;
//! * `sign_bytes` (keeping `updated_at`) then `verify` with the dummy key gives
//!   back the input vCon unchanged;
//! * `add_signatures` and `wrap` results still read as signed vCons.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vcon_trust::keys::{PrivateKey, PublicKey};
use vcon_trust::{
    DecryptOptions, EncryptOptions, Recipient, SignOptions, Signer, SignerTrust, UpdatedAt,
    VerifyOptions, add_signatures, decrypt, encrypt, sign_bytes, verify, wrap,
};

/// A throw-away P-256 key made for this fuzz target only.
const DUMMY_KEY: &[u8] = b"-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwhgCUh4Kv/SJjI2D
P9zWr7jf9SkURrvRldUvDtkgWJqhRANCAARGLQODkP7+TIgJemuc7u9xkgpU5m4p
VmOp5A1K17nDt3+f7hwi1J6oTgDmIr4Tx7K4Mu4AY5WMDZ9K+950JAda
-----END PRIVATE KEY-----
";

struct Keys {
    private: PrivateKey,
    public: PublicKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let private = PrivateKey::from_pem(DUMMY_KEY).expect("the dummy key reads");
        let public = private
            .public_key()
            .expect("the dummy key has a public half");
        Keys { private, public }
    })
}

fuzz_target!(|data: &[u8]| {
    let k = keys();

    // Verification: no anchors, the dummy public key.
    let by_key = VerifyOptions::with_public_keys(vec![k.public.clone()]);
    if let Ok(v) = verify(data, &by_key) {
        for layer in &v.layers {
            for s in &layer.signers {
                assert!(
                    matches!(s.trust, SignerTrust::PublicKey { key_index: 0, .. }),
                    "trusted otherwise than by the only key given: {s:?}"
                );
            }
        }
    }
    // Nothing at all to trust: never verified.
    assert!(verify(data, &VerifyOptions::default()).is_err());

    // Decryption with the dummy key (plaintext required signed, then not).
    let _ = decrypt(data, &k.private, &DecryptOptions::default());
    let lenient = DecryptOptions {
        require_signed: false,
        ..DecryptOptions::default()
    };
    let _ = decrypt(data, &k.private, &lenient);

    // Encryption reads the signed envelope; what it makes must decrypt back.
    let to = [Recipient::new(k.public.clone())];
    if let Ok(sealed) = encrypt(data, &to, &EncryptOptions::default()) {
        let opened = decrypt(&sealed.bytes, &k.private, &DecryptOptions::default())
            .expect("our own encryption decrypts");
        assert_eq!(opened.signed_bytes, data);
    }

    // Signing an unsigned vCon, keeping updated_at: verifies back to the same vCon.
    let signer = [Signer::new(k.private.clone())];
    let keep = SignOptions {
        updated_at: UpdatedAt::Keep,
        ..SignOptions::default()
    };
    if let Ok(signed) = sign_bytes(data, &signer, &keep) {
        let v = verify(&signed.bytes, &by_key).expect("our own signature verifies");
        let doc = vcon_core::read::read(data, &Default::default()).expect("sign_bytes read it");
        assert_eq!(v.vcon(), &doc.object);
    }

    // Co-signing and wrapping read an existing signed envelope.
    for result in [
        add_signatures(data, &signer, &keep),
        wrap(data, &signer, &keep),
    ] {
        if let Ok(signed) = result {
            let doc = vcon_core::read::read(&signed.bytes, &Default::default())
                .expect("a signed vCon we wrote reads");
            assert_eq!(doc.form, Some(vcon_core::Form::Signed));
        }
    }
});
