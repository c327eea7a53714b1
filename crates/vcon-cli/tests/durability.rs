//! `vcon serve` as a real process: durability across `kill -9`, and
//! exactly-once processing under concurrent load.
//!
//! * `kill_9_mid_stream_loses_no_acknowledged_vcon`: 8 clients post 2,000
//!   vCons (every other one queued on a chain's ingress list); once 600 are
//!   acknowledged the server gets SIGKILL with requests in flight. Restarted
//!   on the same data directory, every vCon that got a 2xx is there (the
//!   unqueued ones byte for byte), every queued one is processed (tagged,
//!   on the egress list) and the dead-letter list is empty.
//! * `concurrent_load_processes_each_vcon_exactly_once`: 8 clients post
//!   2,000 vCons onto a chain of a tag and a webhook to a counting receiver
//!   run by the test, 8 workers; every vCon reaches the webhook once, the
//!   egress list once, and is stored tagged.
//! * `bench_server_drives_vcon_serve`: `vcon bench-server` ingest, reads and
//!   a chain drain against it, checked through the JSON report.
//!
//! No timed assertions: waits poll with generous deadlines that only
//! protect against a hang.
#![cfg(all(unix, feature = "server"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod durability_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use durability_support::{Http, Serve, deadline, vcon_body};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// vCons posted by each test.
const TOTAL: u64 = 2_000;
/// Client tasks.
const CLIENTS: u64 = 8;

/// What the clients saw: uuid → (body, queued) for every 2xx.
type Acked = Arc<Mutex<BTreeMap<String, (Bytes, bool)>>>;

/// Posts vCons `0..TOTAL` from [`CLIENTS`] tasks (`queue(i)`: onto
/// `list`), until done or `stop` is set. Returns the acknowledged vCons and
/// the number of non-2xx answers received before `stop`.
async fn post_all(
    addr: String,
    list: &'static str,
    queue: fn(u64) -> bool,
    stop: Arc<AtomicBool>,
    acked_count: Arc<AtomicU64>,
) -> (BTreeMap<String, (Bytes, bool)>, u64) {
    let next = Arc::new(AtomicU64::new(0));
    let acked: Acked = Arc::default();
    let refused = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (next, acked, refused, stop, acked_count) = (
            Arc::clone(&next),
            Arc::clone(&acked),
            Arc::clone(&refused),
            Arc::clone(&stop),
            Arc::clone(&acked_count),
        );
        let mut http = Http::new(&addr);
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= TOTAL || stop.load(Ordering::Acquire) {
                    return;
                }
                let (uuid, body) = vcon_body(i);
                let queued = queue(i);
                let path = if queued {
                    format!("/v1/vcons?ingress={list}")
                } else {
                    "/v1/vcons".to_owned()
                };
                match http.post(&path, body.clone()).await {
                    Ok((status, _)) if (200..300).contains(&status) => {
                        acked.lock().unwrap().insert(uuid, (body, queued));
                        acked_count.fetch_add(1, Ordering::AcqRel);
                    }
                    Ok((status, answer)) => {
                        if !stop.load(Ordering::Acquire) {
                            refused.fetch_add(1, Ordering::Relaxed);
                            eprintln!("vCon {i}: {status} {}", String::from_utf8_lossy(&answer));
                        }
                    }
                    // No answer: the server was killed (checked by the caller).
                    Err(_) => {
                        if stop.load(Ordering::Acquire) {
                            return;
                        }
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    (acked, refused.load(Ordering::Relaxed))
}

/// Waits until `list` and its dead letters are empty; returns the dead letters.
async fn drained(http: &mut Http, list: &str, what: &str) -> u64 {
    let until = deadline(Duration::from_secs(300));
    loop {
        if http.depth(list).await == 0 {
            return http.depth(&format!("DLQ:{list}")).await;
        }
        assert!(
            std::time::Instant::now() < until,
            "hang protection: {what}: {list} not drained after 300 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Pops every uuid of `list`, with repeats.
async fn pop_all(http: &mut Http, list: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let (status, body) = http
            .get_conserver(&format!("/vcon/egress?egress_list={list}&limit=1000"))
            .await
            .unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let batch: Vec<String> = serde_json::from_slice(&body).unwrap();
        if batch.is_empty() {
            return out;
        }
        out.extend(batch);
    }
}

fn tagged(stored: &[u8], tag: &str) -> bool {
    let needle = format!("\"{tag}:");
    stored.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_stream_loses_no_acknowledged_vcon() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("vcon.toml");
    std::fs::write(
        &config,
        r#"
[pipeline]
idle_poll_ms = 20
[pipeline.retry]
initial_backoff_ms = 10
[pipeline.links.mark]
type = "tag"
options = { tags = ["durable"] }
[pipeline.chains.durable]
ingress = ["durable_in"]
links = ["mark"]
egress = ["durable_out"]
concurrency = 4
"#,
    )
    .unwrap();

    let mut serve = Serve::start(&data, &config, dir.path().join("first.log"));
    let stop = Arc::new(AtomicBool::new(false));
    let acked_count = Arc::new(AtomicU64::new(0));
    let posting = tokio::spawn(post_all(
        serve.addr.clone(),
        "durable_in",
        |i| i % 2 == 0,
        Arc::clone(&stop),
        Arc::clone(&acked_count),
    ));
    // Kill once 600 are acknowledged, with requests in flight.
    let until = deadline(Duration::from_secs(300));
    while acked_count.load(Ordering::Acquire) < 600 && !posting.is_finished() {
        assert!(
            std::time::Instant::now() < until,
            "hang protection: posting"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    stop.store(true, Ordering::Release);
    let killed = serve.kill9();
    assert!(killed, "the server must still run when killed");
    let (acked, refused) = posting.await.unwrap();
    assert_eq!(refused, 0, "requests refused before the kill");
    assert!(
        acked.len() >= 600 && (acked.len() as u64) < TOTAL,
        "{}",
        acked.len()
    );

    let serve = Serve::start(&data, &config, dir.path().join("second.log"));
    let mut http = Http::new(&serve.addr);
    let dead = drained(&mut http, "durable_in", "after restart").await;
    assert_eq!(dead, 0, "dead letters after restart");

    let mut queued = BTreeSet::new();
    for (uuid, (body, was_queued)) in &acked {
        let (status, stored) = http.get(&format!("/v1/vcons/{uuid}")).await.unwrap();
        assert_eq!(status, 200, "acknowledged vCon {uuid} lost");
        if *was_queued {
            assert!(
                tagged(&stored, "durable"),
                "queued vCon {uuid} not processed"
            );
            queued.insert(uuid.clone());
        } else {
            assert_eq!(&stored[..], &body[..], "vCon {uuid} changed");
        }
    }
    let egressed: BTreeSet<String> = pop_all(&mut http, "durable_out")
        .await
        .into_iter()
        .collect();
    let missing: Vec<_> = queued.difference(&egressed).collect();
    assert!(
        missing.is_empty(),
        "processed but not on the egress list: {missing:?}"
    );
    eprintln!(
        "kill -9 after {} acknowledged ({} queued); all there after restart, {} on the egress list",
        acked.len(),
        queued.len(),
        egressed.len()
    );
    serve.stop();
}

/// A webhook receiver counting deliveries per vCon uuid (HTTP/1.1,
/// keep-alive, `Content-Length` bodies, as the webhook link sends).
async fn counting_receiver() -> (String, Arc<Mutex<HashMap<String, u32>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let counts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let shared = Arc::clone(&counts);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let counts = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        let mut chunk = [0u8; 8192];
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    while buf.len() < end + 4 + length {
                        let mut chunk = [0u8; 8192];
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body: serde_json::Value =
                        serde_json::from_slice(&buf[end + 4..end + 4 + length]).unwrap();
                    let uuid = body["uuid"].as_str().unwrap().to_owned();
                    *counts.lock().unwrap().entry(uuid).or_default() += 1;
                    buf.drain(..end + 4 + length);
                    let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if socket.write_all(ok).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_load_processes_each_vcon_exactly_once() {
    let (hook, counts) = counting_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("vcon.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[pipeline]
idle_poll_ms = 20
[pipeline.links.mark]
type = "tag"
options = {{ tags = ["once"] }}
[pipeline.links.hook]
type = "webhook"
options = {{ urls = ["{hook}"] }}
[pipeline.chains.once]
ingress = ["once_in"]
links = ["mark", "hook"]
egress = ["once_out"]
concurrency = 8
"#
        ),
    )
    .unwrap();
    let serve = Serve::start(&data, &config, dir.path().join("serve.log"));
    let (acked, refused) = post_all(
        serve.addr.clone(),
        "once_in",
        |_| true,
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    )
    .await;
    assert_eq!(refused, 0, "requests refused");
    assert_eq!(acked.len() as u64, TOTAL);

    let mut http = Http::new(&serve.addr);
    let dead = drained(&mut http, "once_in", "concurrent load").await;
    assert_eq!(dead, 0, "dead letters");

    let counts = counts.lock().unwrap().clone();
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "delivered other than once: {twice:?}");
    let delivered: BTreeSet<&String> = counts.keys().collect();
    let posted: BTreeSet<&String> = acked.keys().collect();
    assert_eq!(
        delivered, posted,
        "webhook deliveries differ from the vCons posted"
    );

    let mut egressed = pop_all(&mut http, "once_out").await;
    egressed.sort();
    let before = egressed.len();
    egressed.dedup();
    assert_eq!(before, egressed.len(), "a uuid is on the egress list twice");
    assert_eq!(egressed.len() as u64, TOTAL);

    for uuid in acked.keys() {
        let (status, stored) = http.get(&format!("/v1/vcons/{uuid}")).await.unwrap();
        assert_eq!(status, 200);
        assert!(tagged(&stored, "once"), "vCon {uuid} not tagged");
    }
    serve.stop();
}

/// `vcon bench-server` against a real `vcon serve`: ingest on the native
/// API, reads on the conserver routes, and a chain drain, as JSON reports.
#[test]
fn bench_server_drives_vcon_serve() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("vcon.toml");
    std::fs::write(
        &config,
        r#"
[pipeline]
idle_poll_ms = 20
[pipeline.links.mark]
type = "tag"
options = { tags = ["bench"] }
[pipeline.chains.bench]
ingress = ["bench_in"]
links = ["mark"]
egress = ["bench_out"]
concurrency = 4
"#,
    )
    .unwrap();
    let serve = Serve::start(
        &dir.path().join("data"),
        &config,
        dir.path().join("serve.log"),
    );
    let url = format!("http://{}", serve.addr);
    let bench = |args: &[&str]| -> serde_json::Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vcon"))
            .args(["bench-server", "--format", "json", "--url"])
            .arg(&url)
            .args(["--token", durability_support::TOKEN, "--concurrency", "4"])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&text).unwrap()
    };

    let ingest = bench(&["--requests", "300"]);
    assert_eq!(ingest["phases"][0]["phase"], "ingest");
    assert_eq!(ingest["phases"][0]["successes"], 300);
    assert_eq!(ingest["phases"][0]["statuses"]["201"], 300);

    let read = bench(&[
        "--api",
        "conserver",
        "--mode",
        "read",
        "--read-set",
        "50",
        "--requests",
        "200",
    ]);
    assert_eq!(read["phases"][0]["phase"], "seed");
    assert_eq!(read["phases"][1]["statuses"]["200"], 200);

    let drain = bench(&[
        "--chain-drain",
        "--ingress",
        "bench_in",
        "--egress",
        "bench_out",
        "--requests",
        "200",
    ]);
    let d = &drain["drain"];
    assert_eq!(d["queued"], 200);
    assert_eq!(d["egressed"], 200);
    assert_eq!(d["left"], 0);
    assert_eq!(d["dead_letters"], 0);
    assert_eq!(d["complete"], true);
    serve.stop();
}
