//! `vcon`: validate, migrate, show, build and hash vCons (draft-ietf-vcon-vcon-core-03).
//!
//! Every subcommand lives in one file (or folder) under `commands/` and is
//! registered with one line in `commands/mod.rs`. See `cli.rs` for the
//! plumbing (global options, dispatch, exit codes).

mod cli;
mod commands;
mod input;
mod output;
mod progress;

use std::process::ExitCode;

/// mimalloc instead of the system allocator: parsing and validating a vCon
/// allocates many small nodes and vectors, freed soon after, in every worker
/// thread; glibc's malloc spent ~15% of `vcon validate DIR`'s time on them
/// (docs/BENCHMARKS.md, "Side by side").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main(commands::ALL)
}
