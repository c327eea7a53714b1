//! Writes a deterministic benchmark corpus, one vCon per file.
//!
//! ```text
//! cargo run --release -p vcon-core --example gen_corpus -- --out DIR --count 30000 [--seed N] [--inline-mib 2,8] [--legacy N]
//! ```
//!
//! * `--count N`: realistic call vCons (about 2.2 KB each), `call-000000.vcon` …
//! * `--seed N`: corpus seed (default 1); the same seed always gives the same bytes.
//! * `--inline-mib A,B,…`: also write one vCon per size with an inline base64url
//!   recording body of that many MiB (`inline-2mib.vcon`, …).
//! * `--legacy N`: also write N realistic vCons rewritten in legacy 0.0.1 syntax
//!   (`legacy-000000.vcon` …), input for `migrate`.
//!
//! The generator is `benches/support/corpus.rs`, shared with the criterion benches.

#![allow(missing_docs)]

#[path = "../benches/support/corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    out: PathBuf,
    count: u64,
    seed: u64,
    inline_mib: Vec<usize>,
    legacy: u64,
}

const USAGE: &str = "usage: gen_corpus --out DIR [--count N (default 30000)] [--seed N (default 1)] [--inline-mib A,B,...] [--legacy N]";

fn parse_args() -> Result<Args, String> {
    let mut out = None;
    let mut count = 30_000;
    let mut seed = 1;
    let mut inline_mib = Vec::new();
    let mut legacy = 0;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--count" => count = value()?.parse().map_err(|e| format!("--count: {e}"))?,
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--inline-mib" => {
                for part in value()?.split(',').filter(|s| !s.is_empty()) {
                    inline_mib.push(part.parse().map_err(|e| format!("--inline-mib: {e}"))?);
                }
            }
            "--legacy" => legacy = value()?.parse().map_err(|e| format!("--legacy: {e}"))?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let out = out.ok_or_else(|| format!("--out is required\n{USAGE}"))?;
    Ok(Args {
        out,
        count,
        seed,
        inline_mib,
        legacy,
    })
}

fn run(args: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut total = 0usize;
    for i in 0..args.count {
        let bytes = corpus::realistic_bytes(args.seed, i);
        total += bytes.len();
        let path = args.out.join(format!("call-{i:06}.vcon"));
        std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if args.count > 0 {
        eprintln!(
            "wrote {} realistic vCons to {} ({} bytes, {} bytes average)",
            args.count,
            args.out.display(),
            total,
            total as u64 / args.count
        );
    }
    for i in 0..args.legacy {
        let path = args.out.join(format!("legacy-{i:06}.vcon"));
        std::fs::write(&path, corpus::legacy_bytes(args.seed, i))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if args.legacy > 0 {
        eprintln!(
            "wrote {} legacy 0.0.1 vCons to {}",
            args.legacy,
            args.out.display()
        );
    }
    for &mib in &args.inline_mib {
        let bytes = corpus::inline_recording_bytes(args.seed, mib * corpus::MIB);
        let path = args.out.join(format!("inline-{mib}mib.vcon"));
        std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
