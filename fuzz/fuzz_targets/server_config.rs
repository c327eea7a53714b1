//! The configuration readers of `vcon serve`, on arbitrary text: the TOML
//! file (`ServerConfig::from_toml`: parse, environment-free checks, errors
//! located by key), then the plan of its pipeline with a conserver
//! `config.yml` (`pipeline_setup::plan_with_text` and `check_build`: the
//! YAML import, name clashes, every link and storage built), and the YAML
//! key locator (`yaml_place::line_of`). The input is the TOML text, a NUL,
//! then the YAML text (without a NUL, both are the whole input). `POST
//! /config` runs the YAML part on what a client sends.
//!
//! Properties checked (beyond "no panic, no hang, no OOM"):
//! * an error located in the TOML names a line of the text;
//! * an import warning's line is a line of the YAML that holds the last
//!   key of the warning's path; `line_of` only answers lines of the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vcon_pipeline::conserver::from_conserver_yaml;
use vcon_pipeline::yaml_place::line_of;
use vcon_server::config::{ConfigError, ServerConfig};
use vcon_server::pipeline_setup;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (toml, yaml) = text.split_once('\0').unwrap_or((text, text));
    match ServerConfig::from_toml(toml, "vcon.toml".as_ref()) {
        Err(ConfigError::At { line, .. }) => {
            assert!(line >= 1 && line <= toml.lines().count().max(1), "line {line}");
        }
        Ok(mut config) => {
            config.conserver.config_file = Some("config.yml".into());
            if let Ok(plan) = pipeline_setup::plan_with_text(&config, Some(yaml)) {
                let _ = pipeline_setup::check_build(&plan);
            }
        }
        Err(_) => {}
    }
    if let Ok(import) = from_conserver_yaml(yaml) {
        for w in &import.warnings {
            let Some(line) = w.line else { continue };
            let held = yaml.lines().nth(line - 1).unwrap_or_else(|| panic!("no line {line}"));
            let last = w.at.rsplit('.').next().unwrap_or(&w.at);
            let last = last.split('[').next().unwrap_or(last);
            assert!(held.contains(last), "line {line} {held:?} for {}", w.at);
        }
    }
    let path: String = yaml.lines().next().unwrap_or("").chars().take(64).collect();
    if let Some(line) = line_of(yaml, &path) {
        assert!(line >= 1 && line <= yaml.lines().count(), "line {line}");
    }
});
