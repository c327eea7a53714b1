//! Output helpers: the `--format` and `--color` choices, ANSI styles that are
//! only emitted on a terminal (and never when NO_COLOR is set), JSON writing
//! and error reporting.

use std::io::{IsTerminal as _, Write};

use clap::ValueEnum;
use serde::Serialize;

/// The `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Plain text for people (coloured on a terminal).
    Text,
    /// JSON for programs: one document, or one per line (JSON Lines) for batches.
    Json,
}

/// The `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal, NO_COLOR is unset and TERM is not `dumb`.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// A text style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Success.
    Green,
    /// Failure, errors.
    Red,
    /// Warnings.
    Yellow,
    /// Informational, secondary text.
    Dim,
    /// Identifiers (rule ids, pointers).
    Cyan,
    /// Headings.
    Bold,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Self::Green => "\x1b[32m",
            Self::Red => "\x1b[31m",
            Self::Yellow => "\x1b[33m",
            Self::Dim => "\x1b[2m",
            Self::Cyan => "\x1b[36m",
            Self::Bold => "\x1b[1m",
        }
    }
}

/// Writes styled text to one stream, or plain text when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    enabled: bool,
}

impl Painter {
    fn resolve(choice: ColorChoice, is_terminal: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let enabled = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color && !dumb,
        };
        Self { enabled }
    }

    /// Styles for standard output.
    pub fn stdout(choice: ColorChoice) -> Self {
        Self::resolve(choice, std::io::stdout().is_terminal())
    }

    /// Styles for standard error.
    pub fn stderr(choice: ColorChoice) -> Self {
        Self::resolve(choice, std::io::stderr().is_terminal())
    }

    /// A painter that never colours.
    #[cfg(test)]
    pub fn plain() -> Self {
        Self { enabled: false }
    }

    /// Writes `text` in `style` to `out`.
    pub fn write(&self, out: &mut impl Write, style: Style, text: &str) -> std::io::Result<()> {
        if self.enabled {
            write!(out, "{}{text}\x1b[0m", style.code())
        } else {
            out.write_all(text.as_bytes())
        }
    }

    /// Returns `text` in `style`, for use inside `format!`.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.enabled {
            format!("{}{text}\x1b[0m", style.code())
        } else {
            text.to_owned()
        }
    }
}

/// Writes `value` as one line of JSON.
pub fn json_line(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Prints a fatal error on standard error: `vcon: error: ...` in text,
/// `{"error": "..."}` in JSON.
pub fn print_error(ctx: &crate::cli::Ctx, e: &anyhow::Error) {
    let message = format!("{e:#}");
    let mut err = std::io::stderr().lock();
    // Nothing sensible is left to do if standard error is gone.
    let _ = match ctx.format {
        Format::Json => {
            json_line(&mut err, &serde_json::json!({ "error": message })).map_err(|_| ())
        }
        Format::Text => writeln!(
            err,
            "vcon: {} {message}",
            ctx.err.paint(Style::Red, "error:")
        )
        .map_err(|_| ()),
    };
}

/// Formats a byte count for people: `812 B`, `2.2 KiB`, `33.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    // Display only: precision loss does not matter.
    #[allow(clippy::cast_precision_loss)]
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_bytes(2253), "2.2 KiB");
        assert_eq!(human_bytes(33_537), "32.8 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn plain_painter_writes_plain_text() {
        let mut v = Vec::new();
        Painter::plain().write(&mut v, Style::Red, "x").unwrap();
        assert_eq!(v, b"x");
        assert_eq!(Painter::plain().paint(Style::Green, "ok"), "ok");
    }
}
