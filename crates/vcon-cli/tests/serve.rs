//! `vcon serve`: --print-config, --check-config (line numbers, exit 0/2,
//! unmapped conserver links, strict import),
//! and a first start that prints the admin token once and stores its hash.
#![cfg(feature = "server")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead as _, BufReader, Read as _};
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
            "bad.toml:3:1: pipeline: chains.main: link `nope` is not defined",
        ));

    vcon()
        .args(["serve", "--check-config"])
        .env("VCON_LISTEN", "not-an-address")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("VCON_LISTEN"));
}

/// Runs `--check-config` on `text` (extra `env`), expects exit 2 and
/// returns standard error.
fn check_fails(text: &str, env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vcon.toml");
    std::fs::write(&file, text).unwrap();
    let mut cmd = vcon();
    cmd.args(["serve", "--check-config", "--config"]).arg(&file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.assert().code(2);
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

#[test]
fn check_config_gives_every_key_error_its_line() {
    // A value out of range.
    let e = check_fails("[limits]\n\nmax_body_bytes = 0\n", &[]);
    assert!(
        e.contains("vcon.toml:3:1: limits.max_body_bytes: must be at least 1"),
        "{e}"
    );
    // A link's options, found when the chains are built.
    let e = check_fails(
        "[pipeline.links.t]\ntype = \"tag\"\noptions = { tagz = [\"a\"] }\n",
        &[],
    );
    assert!(
        e.contains("vcon.toml:3:1: pipeline: links.t (tag): "),
        "{e}"
    );
    // A storage's options.
    let e = check_fails(
        "[pipeline.storages.s]\ntype = \"directory\"\n\noptions = { path = \"/tmp/x\", compression = 3 }\n",
        &[],
    );
    assert!(
        e.contains("vcon.toml:4:1: pipeline: storages.s (directory): "),
        "{e}"
    );
    // Retries, the lease, a list feeding two chains, a chain's timeout.
    let e = check_fails("[pipeline.retry]\nmax_attempts = 0\n", &[]);
    assert!(
        e.contains("vcon.toml:2:1: pipeline: retry.max_attempts"),
        "{e}"
    );
    let e = check_fails("[pipeline]\nlease_secs = -1\n", &[]);
    assert!(e.contains("vcon.toml:2:1: pipeline: lease_secs"), "{e}");
    let chains =
        "[pipeline.chains.a]\ningress = [\"in\"]\n[pipeline.chains.b]\ningress = [\"in\"]\n";
    let e = check_fails(chains, &[]);
    assert!(
        e.contains("vcon.toml:4:1: pipeline: list `in` feeds both"),
        "{e}"
    );
    let e = check_fails(
        "[pipeline.chains.a]\ningress = [\"in\"]\ntimeout_secs = 0\n",
        &[],
    );
    assert!(
        e.contains("vcon.toml:3:1: pipeline: chains.a.timeout_secs"),
        "{e}"
    );
    // From the environment: the variable, not a line.
    let e = check_fails("", &[("VCON_MAX_BODY_BYTES", "0")]);
    assert!(
        e.contains("environment variable VCON_MAX_BODY_BYTES=\"0\": limits.max_body_bytes"),
        "{e}"
    );
}

#[test]
fn check_config_lists_unmapped_conserver_links_and_strict_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let yml = dir.path().join("config.yml");
    std::fs::write(
        &yml,
        "links:\n  transcribe:\n    module: links.deepgram_link\n\
         chains:\n  main:\n    links: [transcribe]\n    ingress_lists: [default]\n",
    )
    .unwrap();
    let file = dir.path().join("vcon.toml");
    let toml = format!(
        "[conserver]\nconfig_file = {:?}\n",
        yml.display().to_string()
    );
    std::fs::write(&file, &toml).unwrap();
    vcon()
        .args(["serve", "--check-config", "--config"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 not mapped"))
        .stderr(predicate::str::contains(
            "config.yml:6: chains.main.links[0]: link `transcribe` is not available",
        ))
        .stderr(predicate::str::contains("1 link(s)/storage(s) of"))
        .stderr(predicate::str::contains(
            "  line 2: links.transcribe: module `links.deepgram_link` is not implemented; left out",
        ));
    std::fs::write(&file, format!("{toml}strict_import = true\n")).unwrap();
    vcon()
        .args(["serve", "--check-config", "--config"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "not everything could be mapped (strict import)",
        ))
        .stderr(predicate::str::contains("links.transcribe"));
    // The variable turns it on too, and a start refuses it as --check-config does.
    std::fs::write(&file, &toml).unwrap();
    vcon()
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("VCON_CONSERVER_STRICT", "on")
        .env("VCON_ADMIN_TOKEN", "t")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("links.transcribe"));
}

/// Starts `vcon serve` on a free port, reads standard error up to the
/// "listening" line, stops it with SIGTERM; returns what it printed.
#[cfg(unix)]
fn start_and_stop(data: &std::path::Path) -> String {
    let mut cmd = Command::cargo_bin("vcon").unwrap();
    cmd.env_remove("VCON_ADMIN_TOKEN").env("VCON_LOG", "warn");
    start_and_stop_with(cmd, data)
}

/// [`start_and_stop`] with the command's own flags and environment; the
/// rest of standard error, after the stop, is returned too.
#[cfg(unix)]
fn start_and_stop_with(mut cmd: Command, data: &std::path::Path) -> String {
    let mut child = cmd
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
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
        // The text line, or the JSON event "vcon serve listening".
        if line.contains("listening") {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    stderr.read_to_string(&mut printed).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "graceful stop: {printed}");
    printed
}

#[cfg(unix)]
#[test]
fn json_logs_are_one_json_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("vcon").unwrap();
    cmd.env("VCON_ADMIN_TOKEN", "t")
        .env("VCON_LOG", "info")
        .env("VCON_LOG_FORMAT", "json");
    let printed = start_and_stop_with(cmd, &dir.path().join("data"));
    let events: Vec<serde_json::Value> = printed
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    for e in &events {
        assert!(e["timestamp"].is_string() && e["level"].is_string(), "{e}");
    }
    let listening = events
        .iter()
        .find(|e| e["message"] == "vcon serve listening")
        .unwrap_or_else(|| panic!("no listening event in {printed}"));
    assert_eq!(listening["level"], "INFO");
    assert!(
        listening["address"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
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
