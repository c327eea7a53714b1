//! The embedded SQLite backend.

pub(crate) mod config;
