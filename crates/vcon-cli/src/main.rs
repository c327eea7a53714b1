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

fn main() -> ExitCode {
    cli::main(commands::ALL)
}
