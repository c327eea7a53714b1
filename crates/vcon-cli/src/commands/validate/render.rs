//! Rendering of validation reports: a text block or one JSON line per input,
//! built in the worker thread, and the summary line.

use std::io::Write;
use std::time::Duration;

use serde::Serialize;
use vcon_core::form::Form;
use vcon_core::validate::{Finding, Report, Severity};

use super::batch::Settings;
use crate::input::Input;
use crate::output::{Format, Painter, Style};

/// What checking one input produced.
pub enum Checked<'a> {
    /// The bytes were validated (possibly failing to parse: `parsed` is false).
    Report {
        /// The input (its name is only made when something is printed).
        input: &'a Input,
        /// Whether the bytes were gzip.
        gzip: bool,
        /// Whether the bytes were a JSON object (so form and version mean something).
        parsed: bool,
        /// The validation report.
        report: Report,
    },
    /// The input could not be read.
    Unreadable {
        /// Input name.
        name: String,
        /// What went wrong, with the path.
        message: String,
    },
}

/// The verdict on one rendered input.
pub struct Outcome {
    /// `Some(valid)`, or `None` when unreadable.
    pub valid: Option<bool>,
    /// Finding counts: errors, warnings, infos.
    pub counts: [usize; 3],
}

/// Totals over a batch.
#[derive(Debug, Default)]
pub struct Tally {
    /// Inputs seen.
    pub files: usize,
    /// Valid inputs.
    pub valid: usize,
    /// Invalid inputs.
    pub invalid: usize,
    /// Unreadable inputs.
    pub unreadable: usize,
    /// Findings by severity: errors, warnings, infos.
    pub counts: [usize; 3],
}

impl Tally {
    /// Adds one outcome.
    pub fn add(&mut self, o: &Outcome) {
        self.files += 1;
        match o.valid {
            Some(true) => self.valid += 1,
            Some(false) => self.invalid += 1,
            None => self.unreadable += 1,
        }
        for (t, c) in self.counts.iter_mut().zip(o.counts) {
            *t += c;
        }
    }

    /// Adds the totals of another part of the batch.
    pub fn merge(&mut self, other: &Self) {
        self.files += other.files;
        self.valid += other.valid;
        self.invalid += other.invalid;
        self.unreadable += other.unreadable;
        for (t, c) in self.counts.iter_mut().zip(other.counts) {
            *t += c;
        }
    }
}

fn counts(report: &Report) -> [usize; 3] {
    let mut c = [0; 3];
    for f in &report.findings {
        c[match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }] += 1;
    }
    c
}

/// Renders one checked input according to `settings`, appending what is to
/// be written on standard output (nothing when quiet and valid) to `output`.
pub fn render(output: &mut Vec<u8>, checked: &Checked<'_>, settings: &Settings) -> Outcome {
    let (valid, counts) = match checked {
        Checked::Report { report, .. } => (Some(report.is_valid()), counts(report)),
        Checked::Unreadable { .. } => (None, [0; 3]),
    };
    if !(settings.quiet && valid == Some(true)) {
        // Writing to a Vec cannot fail.
        let _ = match settings.format {
            Format::Text => text(output, checked, counts, settings).is_ok(),
            Format::Json => json(output, checked, counts, settings).is_ok(),
        };
    }
    Outcome { valid, counts }
}

fn shown<'a>(report: &'a Report, settings: &'a Settings) -> impl Iterator<Item = &'a Finding> {
    report
        .findings
        .iter()
        .filter(move |f| !settings.errors_only || f.severity == Severity::Error)
}

#[derive(Serialize)]
struct JsonReport<'a> {
    path: &'a str,
    form: Option<Form>,
    version: Option<&'static str>,
    declared_version: Option<&'a str>,
    gzip: bool,
    valid: bool,
    errors: usize,
    warnings: usize,
    infos: usize,
    findings: Vec<&'a Finding>,
}

#[derive(Serialize)]
struct JsonUnreadable<'a> {
    path: &'a str,
    valid: Option<bool>,
    error: &'a str,
}

fn json(
    out: &mut Vec<u8>,
    checked: &Checked<'_>,
    counts: [usize; 3],
    settings: &Settings,
) -> anyhow::Result<()> {
    match checked {
        Checked::Report {
            input,
            gzip,
            parsed,
            report,
        } => crate::output::json_line(
            out,
            &JsonReport {
                path: &input.name(),
                form: report.form,
                version: shows_version(*parsed, report).then(|| report.version.detected.as_str()),
                declared_version: report.version.declared.as_deref(),
                gzip: *gzip,
                valid: report.is_valid(),
                errors: counts[0],
                warnings: counts[1],
                infos: counts[2],
                findings: shown(report, settings).collect(),
            },
        ),
        Checked::Unreadable { name, message } => crate::output::json_line(
            out,
            &JsonUnreadable {
                path: name,
                valid: None,
                error: message,
            },
        ),
    }
}

fn text(
    out: &mut Vec<u8>,
    checked: &Checked<'_>,
    counts: [usize; 3],
    settings: &Settings,
) -> std::io::Result<()> {
    let p = &settings.painter;
    match checked {
        Checked::Unreadable { name, message } => {
            p.write(out, Style::Red, "ERROR  ")?;
            writeln!(out, " {}: {message}", display_name(name))
        }
        Checked::Report {
            input,
            gzip,
            parsed,
            report,
        } => {
            if report.is_valid() {
                p.write(out, Style::Green, "OK     ")?;
            } else {
                p.write(out, Style::Red, "INVALID")?;
            }
            out.push(b' ');
            write_name(out, input);
            let mut detail = String::with_capacity(64);
            detail.push('(');
            if *parsed {
                detail.push_str(report.form.map_or("no form", Form::as_str));
                if shows_version(*parsed, report) {
                    detail.push(' ');
                    if report.version.is_legacy() {
                        detail.push_str("legacy ");
                    }
                    detail.push_str(report.version.detected.as_str());
                }
            } else {
                detail.push_str("not a JSON object");
            }
            if *gzip {
                detail.push_str(", gzip");
            }
            if counts.iter().any(|&n| n > 0) {
                detail.push_str("; ");
                push_counts(&mut detail, counts);
            }
            detail.push(')');
            out.extend_from_slice(b"  ");
            p.write(out, Style::Dim, &detail)?;
            out.push(b'\n');
            for f in shown(report, settings) {
                finding(out, f, p)?;
            }
            Ok(())
        }
    }
}

/// Writes the name of `input` as text reports show it (`<stdin>` for `-`),
/// without making a `String` of it when the path is UTF-8.
fn write_name(out: &mut Vec<u8>, input: &Input) {
    match input {
        Input::Stdin => out.extend_from_slice(display_name("-").as_bytes()),
        Input::File(path) => match path.to_str() {
            Some(s) => out.extend_from_slice(display_name(s).as_bytes()),
            None => out.extend_from_slice(display_name(&input.name()).as_bytes()),
        },
    }
}

/// The syntax version is detected from the members of an unsigned vCon (for a
/// signed one, of its payload); for ciphertext and unreadable inputs it means nothing.
fn shows_version(parsed: bool, report: &Report) -> bool {
    parsed && matches!(report.form, Some(Form::Unsigned | Form::Signed))
}

/// `-` reads better as `<stdin>` in text.
fn display_name(name: &str) -> &str {
    if name == "-" { "<stdin>" } else { name }
}

fn finding(out: &mut Vec<u8>, f: &Finding, p: &Painter) -> std::io::Result<()> {
    let (style, label) = match f.severity {
        Severity::Error => (Style::Red, "error  "),
        Severity::Warning => (Style::Yellow, "warning"),
        Severity::Info => (Style::Dim, "info   "),
    };
    write!(out, "  ")?;
    p.write(out, style, label)?;
    write!(out, " ")?;
    p.write(out, Style::Cyan, &format!("{:<5}", f.rule))?;
    let pointer = if f.pointer.is_empty() {
        "(document)"
    } else {
        f.pointer.as_str()
    };
    writeln!(out, " {pointer}: {}", f.message)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Appends the non-zero counts, such as `1 error, 2 warnings`.
fn push_counts(out: &mut String, c: [usize; 3]) {
    use std::fmt::Write as _;
    let mut first = true;
    for (n, word) in [(c[0], "error"), (c[1], "warning"), (c[2], "info")] {
        if n == 0 {
            continue;
        }
        if !first {
            out.push_str(", ");
        }
        first = false;
        // Writing to a String cannot fail.
        let _ = write!(out, "{n} {word}");
        if n != 1 {
            out.push('s');
        }
    }
}

/// Writes the summary line.
pub fn summary(
    out: &mut impl Write,
    t: &Tally,
    elapsed: Duration,
    p: &Painter,
) -> std::io::Result<()> {
    let secs = elapsed.as_secs_f64();
    // Display only: precision loss on huge counts does not matter.
    #[allow(clippy::cast_precision_loss)]
    let rate = if secs > 0.0 {
        t.files as f64 / secs
    } else {
        0.0
    };
    let verdict = if t.unreadable > 0 {
        p.paint(Style::Red, &format!("{} unreadable", t.unreadable))
    } else {
        "0 unreadable".to_owned()
    };
    let invalid = if t.invalid > 0 {
        p.paint(Style::Red, &format!("{} invalid", t.invalid))
    } else {
        "0 invalid".to_owned()
    };
    writeln!(
        out,
        "{}: {} valid, {invalid}, {verdict}; {}, {}, {}; {secs:.2} s ({rate:.0} files/s)",
        plural(t.files, "file"),
        t.valid,
        plural(t.counts[0], "error"),
        plural(t.counts[1], "warning"),
        plural(t.counts[2], "info"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn counts_text(c: [usize; 3]) -> String {
        let mut s = String::new();
        push_counts(&mut s, c);
        s
    }

    #[test]
    fn counts_read_well() {
        assert_eq!(counts_text([0, 0, 0]), "");
        assert_eq!(counts_text([1, 2, 0]), "1 error, 2 warnings");
        assert_eq!(counts_text([0, 0, 3]), "3 infos");
        assert_eq!(counts_text([2, 1, 1]), "2 errors, 1 warning, 1 info");
    }

    #[test]
    fn summary_line() {
        let t = Tally {
            files: 3,
            valid: 2,
            invalid: 1,
            unreadable: 0,
            counts: [1, 0, 0],
        };
        let mut v = Vec::new();
        summary(&mut v, &t, Duration::from_millis(500), &Painter::plain()).unwrap();
        let s = String::from_utf8(v).unwrap();
        assert_eq!(
            s,
            "3 files: 2 valid, 1 invalid, 0 unreadable; 1 error, 0 warnings, 0 infos; 0.50 s (6 files/s)\n"
        );
    }
}
