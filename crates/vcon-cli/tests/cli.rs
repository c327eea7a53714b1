//! The command line as a whole: help that teaches, `--format` everywhere, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::vcon;
use predicates::prelude::*;

/// Subcommand names listed by `vcon --help`.
fn commands() -> Vec<String> {
    let out = vcon().arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let section = text.split("Commands:").nth(1).unwrap();
    section
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A long about text wraps onto lines indented past the names.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        // Wrapped about text never looks like a command name.
        .filter(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn root_help_lists_commands_and_exit_codes() {
    vcon()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Exit status"))
        .stdout(predicate::str::contains("validate"))
        .stdout(predicate::str::contains("hash"));
    let cmds = commands();
    assert!(cmds.len() >= 2, "{cmds:?}");
}

#[test]
fn every_command_teaches_and_takes_format() {
    for cmd in commands() {
        let out = vcon().args([cmd.as_str(), "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{cmd} --help");
        let help = String::from_utf8(out.stdout).unwrap();
        for needle in [
            "Examples:",
            "Exit status:",
            "--format <FORMAT>",
            "--color <WHEN>",
        ] {
            assert!(
                help.contains(needle),
                "`vcon {cmd} --help` lacks {needle}:\n{help}"
            );
        }
    }
}

#[test]
fn version_and_unknown_flags() {
    vcon()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("vcon "));
    vcon()
        .args(["validate", "--no-such-flag", "x"])
        .assert()
        .code(2);
}
