//! The storages: one file each, registered in [`crate::registry::STORAGES`].

pub mod directory;
pub mod embedded;
pub mod webhook;
