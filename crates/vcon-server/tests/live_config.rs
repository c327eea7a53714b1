//! `POST /config` takes effect without a restart, as the conserver's
//! re-reading of `config.yml` does: new `ingress_auth` keys open
//! `/vcon/external-ingress` at once, new chains process their ingress
//! lists, an invalid configuration is refused (422) and nothing written,
//! and shutdown after a reload stops the pool then running.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};
use support::mock::{Rng, mock_vcon};
use support::*;

fn bare(method: Method, uri: &str) -> Request<Body> {
    conserver(method, uri).body(Body::empty()).unwrap()
}

fn public(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post_config(config: &Value) -> Request<Body> {
    conserver(Method::POST, "/config")
        .header("content-type", "application/json")
        .body(Body::from(config.to_string()))
        .unwrap()
}

fn external(list: &str, key: &str, vcon: &Value) -> Request<Body> {
    Request::post(format!("/vcon/external-ingress?ingress_list={list}"))
        .header("content-type", "application/json")
        .header(HEADER, key)
        .body(Body::from(vcon.to_string()))
        .unwrap()
}

/// A server with a conserver `config.yml` holding `initial`, and a
/// `[pipeline]` of its own that polls quickly and has no chains.
async fn with_file(initial: &Value) -> (TestServer, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    std::fs::write(&file, serde_norway::to_string(initial).unwrap()).unwrap();
    let path = file.clone();
    let t = start_in(dir, move |c| {
        c.conserver.config_file = Some(path);
        c.pipeline = vcon_pipeline::PipelineConfig::from_toml(
            "idle_poll_ms = 10\nshutdown_grace_secs = 5.0\n\
             [links.toml_tag]\ntype = \"tag\"\noptions = { tags = [\"toml\"] }\n",
        )
        .unwrap();
    })
    .await;
    (t, file)
}

/// The conserver-shaped configuration of one chain tagging what enters
/// `ingress` and pushing it to `egress`.
fn tag_chain(ingress: &str, egress: &str) -> Value {
    json!({
        "links": {"tagit": {"module": "links.tag", "options": {"tags": ["live"]}}},
        "chains": {"main": {
            "links": ["tagit"],
            "ingress_lists": [ingress],
            "egress_lists": [egress],
            "enabled": 1
        }}
    })
}

/// Pops `list` until it yields something (bounded: about 10 s).
async fn pop_eventually(app: &axum::Router, list: &str) -> Value {
    for _ in 0..1000 {
        let r = send(
            app,
            bare(Method::GET, &format!("/vcon/egress?egress_list={list}")),
        )
        .await;
        let popped = r.json();
        if popped != json!([]) {
            return popped;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    json!([])
}

/// Posts the vCon `uuid` (tel, text) onto `ingress` and asserts that the
/// chain pushes it to `egress`.
async fn post_through(
    app: &axum::Router,
    ingress: &str,
    egress: &str,
    uuid: &str,
    tel: &str,
    text: &str,
) {
    let post = native(Method::POST, &format!("/v1/vcons?ingress={ingress}"))
        .header("content-type", "application/vcon")
        .body(Body::from(strict_vcon(uuid, tel, text)))
        .unwrap();
    assert_eq!(send(app, post).await.status, 201);
    assert_eq!(pop_eventually(app, egress).await, json!([uuid]));
}

#[tokio::test]
async fn a_new_ingress_key_opens_external_ingress_at_once() {
    let (t, _file) = with_file(&json!({"ingress_auth": {"old_list": "old-key"}})).await;
    let app = t.server.router();
    let vcon = mock_vcon(&mut Rng(21));

    let before = send(&app, external("partner", "new-key", &vcon)).await;
    assert_eq!(
        before.problem(403)["detail"],
        "Ingress list 'partner' not configured"
    );

    let r = send(
        &app,
        post_config(&json!({"ingress_auth": {"partner": ["other", "new-key"]}})),
    )
    .await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));

    let after = send(&app, external("partner", "new-key", &vcon)).await;
    assert_eq!(
        after.status,
        204,
        "{}",
        String::from_utf8_lossy(&after.body)
    );
    assert_eq!(pop_eventually(&app, "partner").await, json!([vcon["uuid"]]));
    // The keys were replaced, not added to: the old list is gone.
    let old = send(
        &app,
        external("old_list", "old-key", &mock_vcon(&mut Rng(22))),
    )
    .await;
    assert_eq!(
        old.problem(403)["detail"],
        "Ingress list 'old_list' not configured"
    );
}

#[tokio::test]
async fn toml_ingress_keys_still_win_after_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    let path = file.clone();
    let t = start_in(dir, move |c| {
        c.conserver.config_file = Some(path);
        c.conserver.ingress_auth.insert(
            "partner".into(),
            vcon_server::config::OneOrMany::One("toml-key".into()),
        );
    })
    .await;
    let app = t.server.router();
    let r = send(
        &app,
        post_config(&json!({"ingress_auth": {"partner": "file-key"}})),
    )
    .await;
    assert_eq!(r.status, 204);
    let vcon = mock_vcon(&mut Rng(23));
    assert_eq!(
        send(&app, external("partner", "toml-key", &vcon))
            .await
            .status,
        204
    );
    let file_key = send(&app, external("partner", "file-key", &vcon)).await;
    assert_eq!(
        file_key.problem(403)["detail"],
        "Invalid API Key for ingress list 'partner'"
    );
    assert!(file.exists(), "the file was written");
}

#[tokio::test]
async fn a_new_chain_processes_its_ingress_list_without_a_restart() {
    let (t, file) = with_file(&json!({})).await;
    let app = t.server.router();
    assert_eq!(
        send(&app, public("/ready")).await.json()["workers"],
        Value::Null
    );

    let config = tag_chain("inbox", "outbox");
    let r = send(&app, post_config(&config)).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    let ready = send(&app, public("/ready")).await;
    assert_eq!(
        ready.status,
        200,
        "{}",
        String::from_utf8_lossy(&ready.body)
    );
    assert_eq!(ready.json()["workers"], true);
    assert_eq!(
        send(&app, bare(Method::GET, "/config")).await.json(),
        config
    );
    let written: Value = serde_norway::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, config);

    let uuid = new_uuid();
    post_through(&app, "inbox", "outbox", &uuid, "+12345678901", "tag me").await;
    let tagged = send(
        &app,
        native(Method::GET, "/v1/search?tag=live")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(tagged.json()["items"][0]["uuid"], uuid);

    // A second reload moves the chain to other lists: the old pool stops,
    // the new one serves the new list.
    let r = send(&app, post_config(&tag_chain("inbox2", "outbox2"))).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    let second = new_uuid();
    post_through(&app, "inbox2", "outbox2", &second, "+12345678902", "again").await;

    // Removing every chain stops the workers: `/ready` says none run.
    let r = send(&app, post_config(&json!({}))).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        send(&app, public("/ready")).await.json()["workers"],
        Value::Null
    );
}

#[tokio::test]
async fn an_invalid_config_is_refused_and_nothing_written() {
    let initial = tag_chain("inbox", "outbox");
    let (t, file) = with_file(&initial).await;
    let app = t.server.router();
    let before = std::fs::read(&file).unwrap();

    // `chains` that is not a mapping (the conserver would write it and
    // fail on its next loop).
    let mut bad_shape = tag_chain("inbox", "outbox");
    bad_shape["chains"] = json!(["main"]);
    bad_shape["ingress_auth"] = json!({"partner": "new-key"});
    let p = send(&app, post_config(&bad_shape)).await.problem(422);
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("nothing written"), "{detail}");
    assert!(detail.contains("`chains` must be a mapping"), "{detail}");
    assert!(detail.contains("config.yml"), "{detail}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "file unchanged");
    // Nor were the keys taken.
    let vcon = mock_vcon(&mut Rng(24));
    assert_eq!(
        send(&app, external("partner", "new-key", &vcon))
            .await
            .status,
        403
    );

    // A link named as one of the TOML's.
    let clash = json!({"links": {"toml_tag": {"module": "links.tag", "options": {"tags": ["x"]}}}});
    let p = send(&app, post_config(&clash)).await.problem(422);
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("links.toml_tag"), "{detail}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "file unchanged");

    // The chain configured at start still runs.
    let uuid = new_uuid();
    post_through(&app, "inbox", "outbox", &uuid, "+12345678901", "still").await;
    assert_eq!(send(&app, public("/ready")).await.json()["workers"], true);
    let metrics = send(&app, public("/metrics")).await;
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.contains("vcon_config_reloads_total{outcome=\"refused\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn shutdown_after_a_reload_stops_the_new_pool() {
    let (t, _file) = with_file(&json!({})).await;
    let TestServer { dir: _dir, server } = t;
    let app = server.router();
    let state = server.state().clone();
    let r = send(&app, post_config(&tag_chain("inbox", "outbox"))).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(listener, async {
        let _ = stopped.await;
    }));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(60), serving)
        .await
        .expect("shutdown completes")
        .unwrap()
        .unwrap();
    assert_eq!(send(&app, public("/ready")).await.status, 503);
    // A reload after shutdown is refused.
    let late = serde_json::Map::new();
    assert!(matches!(
        vcon_server::live::reload(&state, late).await,
        Err(vcon_server::live::ReloadError::ShuttingDown)
    ));
}

#[tokio::test]
async fn a_pipeline_failing_its_health_check_is_refused() {
    let initial = tag_chain("inbox", "outbox");
    let (t, file) = with_file(&initial).await;
    let app = t.server.router();
    let before = std::fs::read(&file).unwrap();
    // A directory storage under a regular file: it cannot write there.
    let blocker = t.dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let mut unhealthy = tag_chain("inbox", "outbox");
    unhealthy["storages"] = json!({"files": {
        "module": "storage.file",
        "options": {"path": blocker.join("vcons").display().to_string()}
    }});
    unhealthy["chains"]["main"]["storages"] = json!(["files"]);
    let p = send(&app, post_config(&unhealthy)).await.problem(422);
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("health check"), "{detail}");
    assert!(detail.contains("nothing written"), "{detail}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "file unchanged");

    // The pool started with the server still processes.
    let uuid = new_uuid();
    post_through(&app, "inbox", "outbox", &uuid, "+12345678901", "still").await;
}

#[tokio::test]
async fn strict_import_refuses_what_it_cannot_map() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    let path = file.clone();
    let t = start_in(dir, move |c| {
        c.conserver.config_file = Some(path);
        c.conserver.strict_import = true;
    })
    .await;
    let app = t.server.router();
    let mut unmapped = tag_chain("inbox", "outbox");
    unmapped["links"]["transcribe"] = json!({"module": "links.deepgram_link"});
    let p = send(&app, post_config(&unmapped)).await.problem(422);
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("links.transcribe"), "{detail}");
    assert!(!file.exists(), "nothing written");
    // Without it, the same chain is applied.
    let r = send(&app, post_config(&tag_chain("inbox", "outbox"))).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert!(file.exists());
}

/// Files under `dir` (recursively) whose name holds `uuid`.
fn files_of(dir: &std::path::Path, uuid: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_of(&p, uuid));
        } else if p.file_name().unwrap().to_string_lossy().contains(uuid) {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn deletes_reach_the_storages_of_the_reloaded_chains() {
    let (t, _file) = with_file(&json!({})).await;
    let app = t.server.router();
    let archive = t.dir.path().join("archive");
    let mut config = tag_chain("inbox", "outbox");
    config["storages"] = json!({"files": {
        "module": "storage.file",
        "options": {"path": archive.display().to_string()}
    }});
    config["chains"]["main"]["storages"] = json!(["files"]);
    let r = send(&app, post_config(&config)).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        t.server.state().storages.load().names().collect::<Vec<_>>(),
        vec!["files"]
    );

    let uuid = new_uuid();
    post_through(&app, "inbox", "outbox", &uuid, "+12345678901", "archive me").await;
    assert_eq!(
        files_of(&archive, &uuid).len(),
        1,
        "stored by the new chain"
    );

    let d = send(&app, bare(Method::DELETE, &format!("/vcon/{uuid}"))).await;
    assert_eq!(d.status, 204);
    assert_eq!(d.header("x-vcon-storage-delete-failed"), None);
    assert!(
        files_of(&archive, &uuid).is_empty(),
        "deleted from the new storage"
    );
}
