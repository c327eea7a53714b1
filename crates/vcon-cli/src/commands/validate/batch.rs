//! Runs a batch: expand the operands once, check inputs in parallel chunks
//! (reading each file in the worker), write the reports in input order.

use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;
use vcon_core::read::{ReadError, is_gzip};
use vcon_core::validate::{Finding, Options, Report, Severity, validate_bytes};
use vcon_core::version::VersionInfo;

use super::render::{self, Checked, Tally};
use crate::cli::{Ctx, Status};
use crate::input::{self, Input, ListError};
use crate::output::{Format, Painter};

/// Inputs checked between two writes: bounds memory and keeps output streaming.
const CHUNK: usize = 2048;

/// Inputs a worker checks and renders into one buffer (one allocation and one
/// write for all of them); small, so that the last block of a chunk keeps the
/// other workers waiting for little.
const BLOCK: usize = 16;

/// The rendered reports of a block of inputs, in input order, and their totals.
struct Block {
    output: Vec<u8>,
    tally: Tally,
}

/// How to report.
pub struct Settings {
    /// Text or JSON Lines.
    pub format: Format,
    /// Styles for standard output.
    pub painter: Painter,
    /// Nothing for valid inputs.
    pub quiet: bool,
    /// Only error findings.
    pub errors_only: bool,
    /// Whether a progress bar may be drawn.
    pub progress: bool,
}

/// Validates every input named by `paths`, writing reports to standard output.
pub fn run(paths: &[PathBuf], options: &Options, settings: &Settings, ctx: &Ctx) -> Result<Status> {
    let start = Instant::now();
    let inputs = input::expand(paths)?;
    let bar = crate::progress::bar(inputs.len(), settings.progress);
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut tally = Tally::default();
    for chunk in inputs.chunks(CHUNK) {
        let blocks: Vec<Block> = chunk
            .par_chunks(BLOCK)
            .map(|items| {
                // A valid input's report line, a path of ~100 bytes included, fits in 192.
                let capacity = if settings.quiet { 0 } else { items.len() * 192 };
                let mut block = Block {
                    output: Vec::with_capacity(capacity),
                    tally: Tally::default(),
                };
                for item in items {
                    let checked = check(item, options);
                    block
                        .tally
                        .add(&render::render(&mut block.output, &checked, settings));
                }
                block
            })
            .collect();
        bar.inc(chunk.len() as u64);
        bar.suspend(|| -> std::io::Result<()> {
            for block in &blocks {
                out.write_all(&block.output)?;
                tally.merge(&block.tally);
            }
            out.flush()
        })?;
    }
    bar.finish_and_clear();
    out.flush()?;
    drop(out);
    let elapsed = start.elapsed();
    match settings.format {
        Format::Text => {
            let mut stdout = std::io::stdout().lock();
            render::summary(&mut stdout, &tally, elapsed, &settings.painter)?;
            stdout.flush()?;
        }
        Format::Json if !settings.quiet => {
            render::summary(&mut std::io::stderr().lock(), &tally, elapsed, &ctx.err)?;
        }
        Format::Json => {}
    }
    Ok(if tally.unreadable > 0 {
        Status::IoError
    } else if tally.invalid > 0 {
        Status::Failed
    } else {
        Status::Ok
    })
}

/// Reads and validates one input.
fn check<'a>(item: &'a Result<Input, ListError>, options: &Options) -> Checked<'a> {
    let input = match item {
        Ok(input) => input,
        Err(e) => {
            return Checked::Unreadable {
                name: e.path.clone(),
                message: format!("cannot list {}: {}", e.path, e.message),
            };
        }
    };
    super::open::with_bytes(input, options.limits.max_bytes, |read| match read {
        Ok(Ok(bytes)) => {
            let report = validate_bytes(bytes, options);
            let parsed = !is_read_failure(&report);
            Checked::Report {
                input,
                gzip: is_gzip(bytes),
                parsed,
                report,
            }
        }
        Ok(Err(size)) => Checked::Report {
            input,
            gzip: false,
            parsed: false,
            report: too_large(size, options.limits.max_bytes),
        },
        Err(e) => Checked::Unreadable {
            name: input.name(),
            message: format!("{e:#}"),
        },
    })
}

/// Whether the report is the single finding `validate_bytes` makes when the
/// bytes are not a JSON object (then form and version mean nothing).
fn is_read_failure(report: &Report) -> bool {
    report.form.is_none()
        && matches!(report.findings.as_slice(), [f] if f.pointer.is_empty() && matches!(f.rule, "R-42" | "R-45"))
}

fn too_large(size: u64, limit: usize) -> Report {
    let e = ReadError::TooLarge {
        size: usize::try_from(size).unwrap_or(usize::MAX),
        limit,
    };
    Report {
        form: None,
        version: VersionInfo::unknown(),
        findings: vec![Finding {
            rule: e.rule(),
            severity: Severity::Error,
            pointer: String::new(),
            message: e.to_string(),
        }],
    }
}
