//! `sign` (cargo feature `sign`): signs unsigned vCons with `vcon-trust`
//! (JWS General JSON, core-03 §Signed Form): the key file (PEM, DER or JWK)
//! and, for an `x5c` header, a PEM chain file (leaf first). The key is
//! loaded when the pipeline is built, so a bad path fails at start-up.
//! Signed and encrypted vCons pass by unchanged.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vcon_trust::{HeaderLayout, SignAlg, SignOptions, Signer, sign};

use crate::document::VconDoc;
use crate::error::ConfigError;
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::registry::{BuildContext, LinkKind, example_of, link_options, option_error};

/// Registration.
pub const KIND: LinkKind = LinkKind {
    name: "sign",
    about: "signs unsigned vCons (JWS, x5c chain) with vcon-trust",
    build,
    example,
};

/// Options of the `sign` link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignLinkOptions {
    /// The private key file: PEM, DER or JWK.
    pub key: PathBuf,
    /// The certificate chain (PEM, leaf first), written as `x5c`. Without
    /// it verifiers need the public key itself.
    #[serde(default)]
    pub chain: Option<PathBuf>,
    /// The JWS algorithm (`RS256`, `ES256`, ...); default: the key's usual one.
    #[serde(default)]
    pub alg: Option<String>,
    /// Gzip the payload.
    #[serde(default)]
    pub gzip: bool,
    /// Write the draft's Appendix A.6 header layout (for older py-vcon
    /// readers) instead of the RFC 7515 one.
    #[serde(default)]
    pub draft_a6_headers: bool,
}

/// The `sign` link.
#[derive(Debug)]
pub struct SignLink {
    signers: Arc<[Signer]>,
    options: SignOptions,
}

impl SignLink {
    /// Loads the key (and chain) named by the options.
    pub fn new(options: &SignLinkOptions) -> Result<Self, String> {
        let mut signer = Signer::load(&options.key, options.chain.as_deref())
            .map_err(|e| format!("loading the key: {e}"))?;
        if let Some(alg) = &options.alg {
            let alg: SignAlg = alg.parse().map_err(|e| format!("alg: {e}"))?;
            signer = signer.alg(alg);
        }
        Ok(Self {
            signers: Arc::from(vec![signer]),
            options: SignOptions {
                gzip: options.gzip,
                layout: if options.draft_a6_headers {
                    HeaderLayout::DraftA6
                } else {
                    HeaderLayout::Rfc7515
                },
                ..SignOptions::default()
            },
        })
    }
}

fn build(name: &str, options: &Value, _: &BuildContext) -> Result<Arc<dyn Link>, ConfigError> {
    let options: SignLinkOptions = link_options(KIND.name, name, options)?;
    let link = SignLink::new(&options).map_err(|m| option_error("links", KIND.name, name, m))?;
    Ok(Arc::new(link))
}

fn example() -> Value {
    example_of(&SignLinkOptions {
        key: "/etc/vcon/signing-key.pem".into(),
        chain: Some("/etc/vcon/signing-chain.pem".into()),
        alg: None,
        gzip: false,
        draft_a6_headers: false,
    })
}

#[async_trait]
impl Link for SignLink {
    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        let object = doc.object().clone();
        let signers = Arc::clone(&self.signers);
        let options = self.options.clone();
        // RSA signing is CPU work: keep it off the async workers.
        let signed = tokio::task::spawn_blocking(move || sign(&object, &signers, &options))
            .await
            .map_err(|e| LinkError::Sign(format!("signing task failed: {e}")))?
            .map_err(|e| LinkError::Sign(e.to_string()))?;
        doc.replace_object(signed.object)
            .map_err(|e| LinkError::Sign(e.to_string()))?;
        Ok(Flow::Continue)
    }
}
