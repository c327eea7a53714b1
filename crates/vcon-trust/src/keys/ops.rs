//! What a key keeps ready for its signatures: the JWS primitives run on
//! these instead of setting OpenSSL up again for every signature.
//!
//! * ECDSA (ES256, ES384): the key's `EC_KEY`, taken out of the `EVP_PKEY`
//!   once; a signature is `ECDSA_do_sign` / `ECDSA_do_verify` on the digest,
//!   with R and S as numbers (no DER round trip, no provider look-up).
//! * RSA PKCS#1 v1.5 (RS256): the key's `RSA`; a signature is the PKCS#1
//!   type-1 block over `DigestInfo || SHA-256(input)` (what `RSA_sign`
//!   does), checked by the public operation and a byte comparison.
//! * RSASSA-PSS (PS256), RSA-OAEP key wrapping (JWE) and Ed25519 (EdDSA):
//!   an OpenSSL context initialised once and used again. Contexts are not shared between threads: one
//!   waits in a `Mutex`; a caller that finds it busy builds its own.
//!
//! The RFC 7638 thumbprint of a public key is computed once too.

use std::sync::{Arc, Mutex, OnceLock};

use openssl::ec::EcKey;
use openssl::error::ErrorStack;
use openssl::md_ctx::MdCtx;
use openssl::pkey::{HasPrivate, HasPublic, PKey};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Rsa;

/// Ready-made state of one key (shared by its clones).
pub(crate) struct Ops<T> {
    /// The `EC_KEY` of an EC key.
    pub ec: Option<EcKey<T>>,
    /// The `RSA` of an RSA key.
    pub rsa: Option<Rsa<T>>,
    /// An initialised PS256 context (RSA keys).
    pub pss: Mutex<Option<PkeyCtx<T>>>,
    /// An initialised RSA-OAEP (SHA-1) encryption context (RSA public keys).
    pub oaep: Mutex<Option<PkeyCtx<T>>>,
    /// An initialised one-shot EdDSA context (Ed25519 keys).
    pub ed: Mutex<Option<MdCtx>>,
    /// The RFC 7638 thumbprint, once computed (of the public half, for a
    /// private key).
    pub thumbprint: OnceLock<String>,
}

impl<T> Ops<T> {
    /// Takes the EC or RSA structure out of `pkey` (no copy when the key was
    /// built from one; OpenSSL 3.0 keeps the copy it makes otherwise).
    pub fn new(pkey: &PKey<T>) -> Arc<Self> {
        let id = pkey.id();
        Arc::new(Self {
            ec: (id == openssl::pkey::Id::EC)
                .then(|| pkey.ec_key().ok())
                .flatten(),
            rsa: (id == openssl::pkey::Id::RSA)
                .then(|| pkey.rsa().ok())
                .flatten(),
            pss: Mutex::new(None),
            oaep: Mutex::new(None),
            ed: Mutex::new(None),
            thumbprint: OnceLock::new(),
        })
    }
}

/// Runs `work` on the context kept in `slot` (made by `make` the first
/// time), or on a fresh one when another thread holds it. A context that
/// saw an error is dropped.
pub(crate) fn with_context<C, R>(
    slot: &Mutex<Option<C>>,
    make: impl FnOnce() -> Result<C, ErrorStack>,
    work: impl FnOnce(&mut C) -> Result<R, ErrorStack>,
) -> Result<R, ErrorStack> {
    let Ok(mut guard) = slot.try_lock() else {
        return work(&mut make()?);
    };
    let ctx = match guard.take() {
        Some(ctx) => ctx,
        None => make()?,
    };
    let mut ctx = ctx;
    let out = work(&mut ctx);
    if out.is_ok() {
        *guard = Some(ctx);
    }
    out
}

/// A one-shot Ed25519 signing context for `pkey`.
pub(crate) fn ed_sign_ctx<T: HasPrivate>(pkey: &PKey<T>) -> Result<MdCtx, ErrorStack> {
    let mut ctx = MdCtx::new()?;
    ctx.digest_sign_init(None, pkey)?;
    Ok(ctx)
}

/// A one-shot Ed25519 verification context for `pkey`.
pub(crate) fn ed_verify_ctx<T: HasPublic>(pkey: &PKey<T>) -> Result<MdCtx, ErrorStack> {
    let mut ctx = MdCtx::new()?;
    ctx.digest_verify_init(None, pkey)?;
    Ok(ctx)
}
