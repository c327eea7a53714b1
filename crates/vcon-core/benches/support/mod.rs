//! Helpers shared by the benches (not a bench target: cargo only discovers
//! `benches/*.rs` and `benches/*/main.rs`).

pub mod borrowed;
pub mod corpus;
pub mod cputime;
