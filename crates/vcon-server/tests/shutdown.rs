//! Shutdown of a serving server with a chain at work: the workers stop
//! within `[pipeline] shutdown_grace_secs`, at the same time as requests
//! drain (within `limits.shutdown_grace_secs`), not after them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::Method;
use support::*;
use vcon_server::Server;
use vcon_server::auth::TokenSources;
use vcon_server::config::ServerConfig;

/// A webhook target that accepts connections and never answers; reports
/// each connection on the returned channel.
async fn silent_hook() -> (String, tokio::sync::mpsc::Receiver<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
            let _ = tx.send(()).await;
        }
    });
    (url, rx)
}

#[tokio::test]
async fn workers_stop_within_the_pipeline_grace_and_requeue() {
    let (url, mut connected) = silent_hook().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    // Requests may take ten minutes to drain; the workers get 0.2 s. The
    // webhook would hang for 100 s.
    config.limits.shutdown_grace_secs = 600.0;
    config.pipeline = vcon_pipeline::PipelineConfig::from_toml(&format!(
        "idle_poll_ms = 10\nshutdown_grace_secs = 0.2\n\
         [links.hook]\ntype = \"webhook\"\n\
         options = {{ urls = [\"{url}\"], timeout_secs = 100.0, max_attempts = 1 }}\n\
         [chains.main]\ningress = [\"default\"]\nlinks = [\"hook\"]\ntimeout_secs = 200.0\n"
    ))
    .unwrap();
    let tokens = TokenSources {
        admin_token: Some(ADMIN.into()),
        conserver_api_token: Some(CONSERVER.into()),
        ..TokenSources::default()
    };
    let server = Server::start(config.clone(), tokens.clone()).await.unwrap();
    let app = server.router();
    let listener = server.bind().await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(listener, async {
        let _ = stopped.await;
    }));

    let uuid = new_uuid();
    let post = native(Method::POST, "/v1/vcons?ingress=default")
        .header("content-type", "application/vcon")
        .body(Body::from(strict_vcon(&uuid, "+12345678901", "hold me")))
        .unwrap();
    assert_eq!(send(&app, post).await.status, 201);
    // The vCon is in flight: its webhook call is waiting for an answer.
    tokio::time::timeout(Duration::from_secs(60), connected.recv())
        .await
        .expect("the chain calls the webhook")
        .unwrap();

    stop.send(()).unwrap();
    // Far less than the webhook's 100 s or the requests' 600 s: the
    // pipeline's own grace bounds the workers.
    tokio::time::timeout(Duration::from_secs(60), serving)
        .await
        .expect("shutdown within the pipeline grace")
        .unwrap()
        .unwrap();

    // Handed back to its list, not lost.
    config.pipeline = vcon_pipeline::PipelineConfig::default();
    let again = Server::start(config, tokens).await.unwrap();
    let count = conserver(Method::GET, "/vcon/count?egress_list=default")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&again.router(), count).await.json(), 1);
    again.state().store.shutdown().await.unwrap();
}
