//! # vcon-trust
//!
//! The trust layer of vconkit: sign, verify, encrypt and decrypt vCons as
//! draft-ietf-vcon-vcon-core-03 describes (§Signed Form, §Encrypted Form;
//! rules R-39 to R-42 of the implementers' digest), read keys and
//! certificates, and validate X.509 chains. OpenSSL (through the `openssl`
//! crate) lives in this crate only; `vcon-core` never builds it. josekit is a
//! test dependency: every JOSE primitive is cross-checked against it both ways.
//!
//! ```
//! use vcon_trust::keys::{TestPki, TestPkiOptions};
//! use vcon_trust::{sign, verify, SignOptions, Signer, VerifyOptions};
//!
//! let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
//! let unsigned = serde_json::json!({
//!     "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
//!     "created_at": "2026-06-29T23:11:19Z",
//!     "parties": [{"name": "Alice"}]
//! });
//! let signer = Signer::with_chain(pki.leaf_key.clone(), pki.chain());
//! let signed = sign(unsigned.as_object().unwrap(), &[signer], &SignOptions::default()).unwrap();
//!
//! let verified = verify(&signed.bytes, &VerifyOptions::with_anchors(vec![pki.root_cert.clone()])).unwrap();
//! assert_eq!(verified.uuid.as_deref(), Some("019f15a6-a752-826f-b9a2-279e0d16bc46"));
//! assert!(verified.vcon().contains_key("updated_at"));
//! let who = verified.layers[0].signers[0].leaf_subject().unwrap();
//! assert!(who.contains("signer.vcon.example"));
//! ```
//!
//! ## Operations
//!
//! | CLI | library call |
//! |---|---|
//! | `vcon sign` | [`sign`] / [`sign_bytes`]; [`add_signatures`] co-signs; [`wrap`] re-signs a signed vCon as a nested JWS |
//! | `vcon verify` | [`verify`] with [`VerifyOptions`] |
//! | `vcon encrypt` | [`encrypt`] with [`Recipient`]s |
//! | `vcon decrypt` | [`decrypt`] with a [`keys::PrivateKey`] |
//! | `vcon keys` | [`keys::KeyMaterial::load`] (private key, public key or certificates from PEM/DER/JWK), [`keys::PublicKey::to_jwk`], [`keys::PublicKey::thumbprint`], [`keys::generate_test_pki`] |
//!
//! File helpers for the CLI: [`Signer::load`] (key + PEM chain), [`Recipient::load`],
//! [`keys::PrivateKey::load`], [`keys::PublicKey::load`], [`x509::load_certificates`]
//! (trust anchors). The algorithm enums implement `FromStr` with the JOSE names.
//!
//! ## Signed form: header layout
//!
//! The draft's A.6 example repeats `alg` and `x5c` in both the protected and
//! the unprotected header, which RFC 7515 §7.2.1 forbids and strict JOSE
//! libraries (josekit) refuse. By default ([`HeaderLayout::Rfc7515`]) each
//! signature is written with disjoint headers, following the draft's text:
//!
//! ```text
//! "protected": b64url({"alg":"RS256"})            (+ "kid" when the key has one)
//! "header":    {"x5c":[leaf, intermediate…], "uuid":"<vCon uuid>"}   (or "x5u")
//! ```
//!
//! `alg` is integrity-protected. `x5c` sits in the unprotected header as the
//! draft says; it is not signed, but the signature only verifies with the
//! leaf's key, so swapping the chain cannot make a forgery verify. (It could
//! at most swap in another certificate for the *same* key.) `typ` is omitted:
//! the example's `"JWT"` is wrong for a vCon.
//!
//! Interoperability, as checked when this was written:
//!
//! * josekit's own `JwsContext::deserialize_json` accepts the default layout
//!   as is and refuses the A.6 layout (a test keeps this true).
//! * The PyPI `vcon` library (0.10.0) verifies both layouts: its
//!   `Vcon.verify` checks `signatures[0]` as a compact JWS
//!   (`protected.payload.signature`) and reads nothing else. Its own output
//!   (RS256, no `header`, no `x5c`, the unsigned members left beside
//!   `payload`) verifies here with its public key (tests/interop.rs).
//!
//! **Interop policy for the PyPI library's signed vCons.** They break
//! core-03 §Signed Form, digest rule **R-39**, twice: each signature object
//! has no unprotected `header` (so neither `x5c` nor `x5u`, which R-39
//! requires, and no `uuid`), and the unsigned vCon's members (`uuid`,
//! `parties`, `dialog`, ...) are left beside `payload` and `signatures`,
//! covered by no signature. Both are accepted with warnings naming R-39 and
//! a JSON pointer: [`verify`] (`vcon verify --public-key`) ignores the
//! members beside the JWS and warns for each missing piece, and
//! `vcon validate` (vcon-core's envelope rules) reports a warning at
//! `/signatures/N/header` and at each member beside the JWS (`/uuid`,
//! `/parties`, ...). Only a given public key can verify such a signature;
//! with trust anchors alone it is refused (no certificate). A signature
//! that *has* a `header` without `x5c` or `x5u` stays an R-39 error for
//! `vcon validate`: the tolerance covers exactly the library's layout.
//! * The older py-vcon (PyPI `python-vcon`, which produced the draft's
//!   examples) reads `header.alg` and `header.x5c` only, so it needs
//!   [`HeaderLayout::DraftA6`]; it also expects a `vcon` member in the
//!   payload. Its decryption rebuilds a compact JWE from `protected` and the
//!   first recipient, which works with this crate's single-recipient output.
//!
//! When verifying, the headers are normalised: a member repeated with the
//! same value is ignored with a warning (so A.6 verifies), a member repeated
//! with a different value is an error. A missing `header` (the PyPI `vcon`
//! library writes none) is a warning. `updated_at` is set before signing
//! ([`UpdatedAt`]). Payloads may be gzip ([`SignOptions::gzip`]); nested JWS
//! layers are unwrapped up to [`VerifyOptions::max_nesting`].
//!
//! ## X.509 policy
//!
//! A signature is trusted through its `x5c` chain when trust anchors are
//! given, otherwise through a given public key (PEM, DER or JWK), which is
//! also how signatures without a certificate are verified. `x5u` is never
//! fetched (no network). Chains:
//!
//! * **Strict (default):** RFC 5280 path validation by rustls-webpki (any
//!   extended key usage accepted; it verifies the certificate signatures,
//!   once), after link-by-link checks that name the failing certificate
//!   (when webpki refuses a signature, the link checks run again with
//!   signatures to name it): validity at the verification time
//!   ([`VerifyOptions::time`]), issuer/subject chaining and signatures,
//!   `CA:TRUE` and `keyCertSign` on issuers, pathLenConstraint, the leaf's
//!   keyUsage allowing digitalSignature or nonRepudiation, the chain length
//!   limit, and the anchor. X.509 v1 issuers are refused.
//! * **`allow_v1_intermediates` (explicit opt-in):** the same link-by-link
//!   checks (x509-parser), but an issuer that is X.509 v1 or has no
//!   basicConstraints is accepted with a warning. The draft's A.6 chain
//!   (v1 leaf and intermediate under a v3 root) needs it.
//!
//! In both, anchors are trusted as given (their dates are not checked), and
//! revocation is not checked. See [`x509::chain`].
//!
//! **Chain cache.** [`VerifyOptions::chain_cache`] keeps up to 256 chains
//! that passed (shared by clones of the options), keyed by the exact `x5c`
//! text, the exact anchors, the policy and the length limit, with the
//! leaf's key ready: a repeated signer then costs one signature
//! verification, as in TLS stacks' certificate caches. The validity
//! periods are checked again on every call at the verification time (the
//! only check that depends on anything but those bytes); failures are not
//! kept; an entry can only be found by the very bytes it was computed
//! from. [`x509::ChainCache::disabled`] turns it off. See [`x509::cache`].
//!
//! ## Encrypted form
//!
//! JWE General JSON: `protected` = `{"enc"}` plus `"alg"` when every
//! recipient uses the same one (so single-recipient output is also readable
//! as a compact JWE, as py-vcon does); `unprotected` = `{"uuid", "cty":
//! "application/vcon"}`; each recipient's `header` carries `alg` when
//! recipients differ, `kid` when known and the ECDH `epk`. The plaintext must
//! be a signed vCon: [`encrypt`] refuses anything else. [`decrypt`] checks
//! the unprotected `uuid` against the decrypted vCon.

pub mod alg;
mod decrypt;
mod encrypt;
pub mod error;
mod jose;
pub mod keys;
mod sign;
mod verify;
pub mod x509;

pub use alg::{ContentEnc, KeyAlg, SignAlg};
pub use decrypt::{DecryptOptions, Decrypted, decrypt};
pub use encrypt::{EncryptOptions, EncryptedVcon, Recipient, encrypt};
pub use error::{DecryptError, EncryptError, EnvelopeError, SignError, VerifyError, Warning};
pub use sign::{
    HeaderLayout, Identity, SignOptions, SignedVcon, Signer, UpdatedAt, add_signatures, sign,
    sign_bytes, wrap,
};
pub use verify::{Layer, SignerInfo, SignerTrust, Verified, VerifyOptions, verify, verify_object};
