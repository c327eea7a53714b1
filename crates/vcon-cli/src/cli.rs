//! Command-line plumbing: the root command, the global options, the command
//! registry type and the mapping of outcomes to exit codes.

use anyhow::Result;
use clap::{ArgMatches, Args, FromArgMatches, Parser};

use crate::output::{ColorChoice, Format, Painter};

/// Exit status section shared by the root help and the README.
pub const EXIT_CODES: &str = "\
Exit status (every command; see each command's help for details):
  0  success: every input is valid, the check holds
  1  an input is invalid or cannot be taken as a vCon, or a check failed
  2  usage error (bad flag or value) or I/O error (unreadable input, unwritable output)";

const ROOT_ABOUT: &str = "Validate, migrate, show, build and hash vCons (IETF draft-ietf-vcon-vcon-core-03, syntax 0.4.0)";

const ROOT_LONG_ABOUT: &str = "\
Validate, migrate, show, build and hash vCons (IETF draft-ietf-vcon-vcon-core-03, syntax \"0.4.0\").

A vCon is a JSON container for one conversation: its parties, dialog (recordings, messages),
analysis and attachments; unsigned, signed (JWS) or encrypted (JWE). Findings cite the numbered
rules (R-n) of the implementers' digest, a JSON pointer and the reason.

Examples:
  vcon validate call.vcon
  vcon validate --profile lenient --format json ./archive/ > report.jsonl
  vcon show call.vcon
  vcon migrate old.vcon -o new.vcon
  vcon hash recording.mp3
  vcon new --party 'tel=+15551230001,name=Alice' --text '0:Hello' -o chat.vcon

Run `vcon help COMMAND` or `vcon COMMAND --help` for a command's options and examples.";

/// Options every command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Output format: `text` for people, `json` for programs (see each command's help).
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
    /// When to colour text output: `auto` colours only a terminal and honours NO_COLOR.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// What a command needs from the environment.
pub struct Ctx {
    /// Output format chosen with `--format`.
    pub format: Format,
    /// Styles for standard output.
    pub out: Painter,
    /// Styles for standard error.
    pub err: Painter,
    /// The subcommand's parsed arguments, for commands that need the order
    /// in which repeated flags were given ([`clap::ArgMatches::indices_of`]).
    pub matches: ArgMatches,
}

/// How a command ended, when it did not fail with an error (exit code 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit code 0: valid, check holds.
    Ok,
    /// Exit code 1: an input is invalid or a check failed.
    Failed,
    /// Exit code 2: some inputs could not be read; the rest were reported.
    IoError,
}

impl Status {
    fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Failed => 1,
            Self::IoError => 2,
        }
    }
}

/// One subcommand: its arguments (a clap derive struct) and what it does.
pub trait Command: Parser {
    /// Runs the command. An `Err` is a usage or I/O error (exit code 2).
    fn run(self, ctx: &Ctx) -> Result<Status>;
}

/// A registered subcommand, built from a [`Command`] by [`spec`].
pub struct Spec {
    /// The subcommand name, such as `validate`.
    pub name: &'static str,
    build: fn() -> clap::Command,
    run: fn(&ArgMatches, &Ctx) -> Result<Status>,
}

/// Registers `C` under `name`.
pub const fn spec<C: Command>(name: &'static str) -> Spec {
    Spec {
        name,
        build: C::command,
        run: run_with::<C>,
    }
}

fn run_with<C: Command>(matches: &ArgMatches, ctx: &Ctx) -> Result<Status> {
    let args = C::from_arg_matches(matches).map_err(|e| UsageError(e.to_string()))?;
    args.run(ctx)
}

/// A usage error found after parsing (printed like clap's, exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn root(commands: &[Spec]) -> clap::Command {
    // The global arguments first: `augment_args` also sets about texts, which ours replace.
    let mut cmd = GlobalArgs::augment_args(clap::Command::new("vcon"))
        .version(env!("CARGO_PKG_VERSION"))
        .about(ROOT_ABOUT)
        .long_about(ROOT_LONG_ABOUT)
        .after_help(EXIT_CODES)
        .subcommand_required(true)
        .arg_required_else_help(true);
    for spec in commands {
        cmd = cmd.subcommand((spec.build)().name(spec.name));
    }
    cmd
}

/// Parses the command line, runs the chosen command and returns its exit code.
pub fn main(commands: &[Spec]) -> std::process::ExitCode {
    // clap prints usage errors and exits with code 2 itself (help and version: 0).
    let matches = root(commands).get_matches();
    let Some((name, sub)) = matches.subcommand() else {
        return std::process::ExitCode::from(2);
    };
    let global = match GlobalArgs::from_arg_matches(sub) {
        Ok(g) => g,
        Err(e) => e.exit(),
    };
    let ctx = Ctx {
        format: global.format,
        out: Painter::stdout(global.color),
        err: Painter::stderr(global.color),
        matches: sub.clone(),
    };
    let result = match commands.iter().find(|s| s.name == name) {
        Some(spec) => (spec.run)(sub, &ctx),
        None => Err(anyhow::anyhow!("unknown command `{name}`")),
    };
    let status = match result {
        Ok(status) => status,
        Err(e) if is_broken_pipe(&e) => Status::Ok,
        Err(e) => {
            crate::output::print_error(&ctx, &e);
            Status::IoError
        }
    };
    std::process::ExitCode::from(status.code())
}

/// Whether the error is a closed standard output (`vcon ... | head`): not worth a message.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
