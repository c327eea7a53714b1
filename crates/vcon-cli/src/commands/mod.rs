//! The subcommands. To add one: write `commands/NAME.rs` (or `commands/NAME/mod.rs`)
//! with an argument struct implementing [`crate::cli::Command`] and a
//! `pub const SPEC: Spec = spec::<Args>("NAME");`, then add `NAME,` below.

use crate::cli::Spec;

macro_rules! register {
    ($($name:ident),* $(,)?) => {
        $(pub mod $name;)*
        /// Every subcommand, in the order `vcon --help` lists them.
        pub const ALL: &[Spec] = &[$($name::SPEC),*];
    };
}

register! {
    validate,
    hash,
    migrate,
    show,
    new,
}
