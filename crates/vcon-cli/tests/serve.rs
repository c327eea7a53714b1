//! `vcon serve`: --print-config, --check-config (line numbers, exit 0/2),
//! and a first start that prints the admin token once and stores its hash.
#![cfg(feature = "server")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt as _;
use predicates::prelude::*;

fn vcon() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("vcon").unwrap()
}

#[test]
fn print_config_is_a_valid_commented_config() {
    let out = vcon().args(["serve", "--print-config"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("# Address and port to listen on"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vcon.toml");
    std::fs::write(&file, &text).unwrap();
    vcon()
        .args(["serve", "--check-config", "--config"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("OK"));
}

#[test]
fn check_config_reports_the_line_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:8000\"\n[limits]\nmax_bodie = 3\n",
    )
    .unwrap();
    vcon()
        .args(["serve", "--check-config", "--config"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.toml:3:1: unknown field `max_bodie`",
        ));

    std::fs::write(
        &file,
        "[pipeline.chains.main]\ningress = [\"a\"]\nlinks = [\"nope\"]\n",
    )
    .unwrap();
    vcon()
        .args(["serve", "--check-config", "--config"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.toml:1:1: pipeline: chains.main: link `nope` is not defined",
        ));

    vcon()
        .args(["serve", "--check-config"])
        .env("VCON_LISTEN", "not-an-address")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("VCON_LISTEN"));
}

/// Starts `vcon serve` on a free port, reads standard error up to the
/// "listening" line, stops it with SIGTERM; returns what it printed.
#[cfg(unix)]
fn start_and_stop(data: &std::path::Path) -> String {
    let mut child = Command::cargo_bin("vcon")
        .unwrap()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env_remove("VCON_ADMIN_TOKEN")
        .env("VCON_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        printed.push_str(&line);
        if line.contains("listening on") {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "graceful stop: {printed}");
    printed
}

#[cfg(unix)]
#[test]
fn first_start_prints_the_admin_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("vcon-data");
    let first = start_and_stop(&data);
    let token = first
        .split_whitespace()
        .find(|w| w.starts_with("vcon_"))
        .unwrap_or_else(|| panic!("no token in: {first}"))
        .to_owned();
    let stored = std::fs::read_to_string(data.join("admin-token.sha256")).unwrap();
    assert!(stored.starts_with("sha256:"));
    assert!(!stored.contains(&token[5..]), "only the hash is kept");
    let second = start_and_stop(&data);
    assert!(!second.contains("vcon_"), "printed once: {second}");
    assert!(second.contains("listening on http://127.0.0.1:"));
}
