//! The floor under `vcon serve`'s ingest rate on a given machine: the same
//! HTTP stack (tokio, axum, hyper, one worker per core) answering
//! `POST /v1/vcons` with a 201 and doing no vCon work at all.
//!
//! ```sh
//! cargo run --release -p vcon-server --example http_floor -- 127.0.0.1:8099          # answer only
//! cargo run --release -p vcon-server --example http_floor -- 127.0.0.1:8099 /tmp/f   # + group fsync
//! vcon bench-server --url http://127.0.0.1:8099 --token x --duration 20s --warmup 3s
//! ```
//!
//! With a second argument (a directory), every body is appended to one
//! file there by a writer thread that calls `fdatasync` once for everything
//! written since the last one and only then lets the requests answer: the
//! cheapest durable acknowledgement (group commit, no parse, no index, no
//! SQLite). docs/BENCHMARKS.md ("The floor") compares both with the server.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::mpsc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::sync::oneshot;

/// Where the log file wraps around.
const WRAP: u64 = 64 << 20;

/// One body to make durable, and who to tell when it is.
type Job = (Bytes, oneshot::Sender<()>);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8099".into());
    let log = match args.next() {
        Some(dir) => Some(start_writer(PathBuf::from(dir).join("http-floor.log"))?),
        None => None,
    };
    let app = Router::new()
        .route("/v1/vcons", post(ingest))
        .with_state(log);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            eprintln!("http_floor listening on {addr}");
            axum::serve(listener, app).await
        })?;
    Ok(())
}

/// Answers 201 once the body is durable (or at once without a writer).
async fn ingest(State(log): State<Option<mpsc::Sender<Job>>>, body: Bytes) -> StatusCode {
    if let Some(log) = log {
        let (tx, rx) = oneshot::channel();
        if log.send((body, tx)).is_err() || rx.await.is_err() {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    StatusCode::CREATED
}

/// Starts the group-commit writer on `path`.
fn start_writer(path: PathBuf) -> std::io::Result<mpsc::Sender<Job>> {
    // 64 MiB written and synced first, so that bodies overwrite allocated
    // blocks (as the server's recycled WAL does) instead of growing the file.
    let mut file = File::create(&path)?;
    file.write_all(&vec![0; WRAP as usize])?;
    file.sync_all()?;
    file.seek(SeekFrom::Start(0))?;
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::spawn(move || {
        let mut written = 0u64;
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            batch.extend(rx.try_iter());
            for (body, _) in &batch {
                if file.write_all(body).is_err() {
                    return;
                }
                written += body.len() as u64;
            }
            // Start over at 64 MiB, as the server's WAL does, so the file
            // is overwritten in place rather than grown.
            if written > WRAP - (1 << 20) {
                if file.seek(SeekFrom::Start(0)).is_err() {
                    return;
                }
                written = 0;
            }
            if file.sync_data().is_err() {
                return;
            }
            for (_, done) in batch {
                let _ = done.send(());
            }
        }
    });
    Ok(tx)
}
