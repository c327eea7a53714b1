//! Helpers shared by integration tests: include with `mod support;`.
//!
//! * [`any`]: structurally well-typed random vCon objects (round-trip tests).
//! * [`r#gen`]: valid vCons (strict validation passes).
#![allow(dead_code)]

pub mod any;
pub mod r#gen;
