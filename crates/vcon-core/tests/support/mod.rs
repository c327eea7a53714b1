//! Helpers shared by integration tests: include with `mod support;`.
#![allow(dead_code)]

pub mod r#gen;
