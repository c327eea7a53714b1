//! Backends. Adding one is one module here plus one line in its registration.

pub(crate) mod sqlite;
