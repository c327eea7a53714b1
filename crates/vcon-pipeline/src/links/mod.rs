//! The links: one file each, registered in [`crate::registry::LINKS`].

pub mod diet;
pub mod expire;
pub mod jq;
pub mod sampler;
#[cfg(feature = "sign")]
pub mod sign;
pub mod tag;
pub mod tag_router;
pub mod validate;
pub mod webhook;
