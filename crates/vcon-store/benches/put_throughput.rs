//! Put throughput with 8 concurrent producers, each `put_and_enqueue`-ing
//! distinct ~1.5 KB vCons (two parties, a text dialog, a transcript, tags)
//! onto one ingress list, for both durability levels.
//!
//! ```sh
//! cargo bench -p vcon-store --bench put_throughput
//! ```
//!
//! After criterion's numbers it prints a fixed run per durability level with
//! throughput and per-put latency percentiles (p50, p99), the figures the
//! `vcon serve` targets are stated in.

// A bench fails loudly on any error: there is no caller to hand it to.
#![allow(missing_docs, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use vcon_store::{
    Durability, ListName, Queue, RecordOptions, SqliteConfig, SqliteStore, Store, VconRecord,
};

const PRODUCERS: u64 = 8;

/// A time-ordered UUIDv8 as core-03 recommends (one per millisecond from a
/// fixed start), and a caller number spread over ten million.
fn vcon_bytes(n: u64) -> Vec<u8> {
    let uuid = uuid_of(n).to_string();
    let caller = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) % 10_000_000;
    serde_json::to_vec(&json!({
        "uuid": uuid, "vcon": "0.4.0", "created_at": "2026-01-02T03:04:05Z",
        "subject": format!("Call {n} about an order"),
        "parties": [{"tel": format!("+1555{caller:07}"), "name": format!("Caller {caller}")},
                    {"mailto": "agent@example.com", "name": "Agent"}],
        "dialog": [{"type": "text", "start": "2026-01-02T03:04:05Z", "parties": [0, 1],
                    "mediatype": "text/plain", "encoding": "none",
                    "body": "Hello, I would like to ask about my order, it has not arrived yet."}],
        "analysis": [{"type": "transcript", "dialog": 0, "vendor": "bench", "encoding": "json",
                      "body": "{\"transcript\": \"hello I would like to ask about my order it has not arrived yet and I am worried about the delivery date\", \"confidence\": 0.93}"}],
        "attachments": [{"purpose": "tags", "encoding": "json", "body": ["category:support", "priority:normal"],
                         "start": "2026-01-02T03:04:05Z", "party": 0, "dialog": 0}]
    }))
    .unwrap_or_default()
}

fn uuid_of(n: u64) -> vcon_store::VconUuid {
    vcon_core::id::uuid8_from_parts(1_780_000_000_000 + n, 0, 0x9dd8_dd37_220d_739c).into()
}

fn record(n: u64) -> VconRecord {
    VconRecord::from_bytes(vcon_bytes(n), &RecordOptions::default())
        .unwrap_or_else(|e| panic!("bench vCon {n}: {e}"))
}

fn open(durability: Durability) -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let cfg = SqliteConfig {
        durability,
        ..SqliteConfig::in_dir(dir.path())
    };
    let store = SqliteStore::open(cfg).unwrap_or_else(|e| panic!("open: {e}"));
    (dir, store)
}

/// Puts `total` new vCons from 8 producers; returns elapsed time and sorted latencies.
async fn run(
    store: &Arc<SqliteStore>,
    next: &Arc<AtomicU64>,
    total: u64,
) -> (Duration, Vec<Duration>) {
    let list = ListName::new("ingress").unwrap_or_else(|e| panic!("{e}"));
    let per = total.div_ceil(PRODUCERS);
    // Records are made before timing: parsing belongs to the request handler.
    let batches: Vec<Vec<VconRecord>> = (0..PRODUCERS)
        .map(|_| {
            (0..per)
                .map(|_| record(next.fetch_add(1, Ordering::Relaxed)))
                .collect()
        })
        .collect();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for batch in batches {
        let store = Arc::clone(store);
        let list = list.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(batch.len());
            for r in batch {
                let t = Instant::now();
                store
                    .put_and_enqueue(r, std::slice::from_ref(&list))
                    .await
                    .unwrap_or_else(|e| panic!("put: {e}"));
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap_or_else(|e| panic!("{e}")));
    }
    let elapsed = start.elapsed();
    lat.sort();
    (elapsed, lat)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
}

fn bench_puts(c: &mut Criterion) {
    let rt = runtime();
    if std::env::var_os("VCON_STORE_BENCH_FIXED_ONLY").is_none() {
        criterion_part(&rt, c);
    }
    fixed_runs(&rt);
}

fn criterion_part(rt: &tokio::runtime::Runtime, c: &mut Criterion) {
    let mut group = c.benchmark_group("put_and_enqueue_8_producers");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for durability in [Durability::Full, Durability::Process] {
        let (_dir, store) = open(durability);
        let next = Arc::new(AtomicU64::new(0));
        group.bench_function(format!("{durability:?}"), |b| {
            b.iter_custom(|iters| rt.block_on(run(&store, &next, iters.max(PRODUCERS))).0);
        });
        rt.block_on(async { store.shutdown().await.unwrap_or_else(|e| panic!("{e}")) });
    }
    group.finish();
}

/// Fixed runs that print throughput and latency percentiles, and a 3-link chain.
fn fixed_runs(rt: &tokio::runtime::Runtime) {
    let t = Instant::now();
    let n = 20_000;
    for i in 0..n {
        std::hint::black_box(record(i));
    }
    eprintln!(
        "\nVconRecord::from_bytes: {:.1} µs per vCon",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    for durability in [Durability::Full, Durability::Process] {
        let (_dir, store) = open(durability);
        let next = Arc::new(AtomicU64::new(0));
        let (elapsed, lat) = rt.block_on(run(&store, &next, 40_000));
        let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
        eprintln!(
            "{durability:?}: {} puts by {PRODUCERS} producers in {:.2} s = {:.0} vCons/s; latency p50 {:.2} ms, p99 {:.2} ms",
            lat.len(),
            elapsed.as_secs_f64(),
            lat.len() as f64 / elapsed.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
        );
        if durability == Durability::Process {
            let (elapsed, reads) = rt.block_on(read_run(&store, 40_000, 160_000));
            eprintln!(
                "{durability:?}: {reads} gets by {PRODUCERS} readers in {:.2} s = {:.0} reads/s",
                elapsed.as_secs_f64(),
                reads as f64 / elapsed.as_secs_f64()
            );
        }
        rt.block_on(async { store.shutdown().await.unwrap_or_else(|e| panic!("{e}")) });
    }
    for durability in [Durability::Full, Durability::Process] {
        let (_dir, store) = open(durability);
        let n = 30_000;
        let (elapsed, moved) = rt.block_on(chain(&store, n));
        eprintln!(
            "{durability:?}: 3-link chain (lease 100, get each, ack_and_forward) moved {moved} vCons in {:.2} s = {:.0} vCons/s",
            elapsed.as_secs_f64(),
            moved as f64 / elapsed.as_secs_f64()
        );
        rt.block_on(async { store.shutdown().await.unwrap_or_else(|e| panic!("{e}")) });
    }
}

/// `total` gets of the first `stored` vCons by 8 concurrent readers.
async fn read_run(store: &Arc<SqliteStore>, stored: u64, total: u64) -> (Duration, u64) {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..PRODUCERS {
        let store = Arc::clone(store);
        tasks.push(tokio::spawn(async move {
            for i in 0..total / PRODUCERS {
                let n = (i * PRODUCERS + p).wrapping_mul(7919) % stored;
                let got = store
                    .get(&uuid_of(n))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(got.is_some(), "vCon {n} missing");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap_or_else(|e| panic!("{e}"));
    }
    (start.elapsed(), total / PRODUCERS * PRODUCERS)
}

/// Loads `n` vCons on `link0`, then times three links (two workers each)
/// that lease batches, read every vCon and forward to the next list.
async fn chain(store: &Arc<SqliteStore>, n: u64) -> (Duration, u64) {
    let name = |s: &str| ListName::new(s).unwrap_or_else(|e| panic!("{e}"));
    let lists = [name("link0"), name("link1"), name("link2"), name("egress")];
    let next = Arc::new(AtomicU64::new(1_000_000_000));
    let mut loaders = Vec::new();
    for _ in 0..PRODUCERS {
        let store = Arc::clone(store);
        let first = lists[0].clone();
        let next = Arc::clone(&next);
        loaders.push(tokio::spawn(async move {
            for _ in 0..n / PRODUCERS {
                let r = record(next.fetch_add(1, Ordering::Relaxed));
                store
                    .put_and_enqueue(r, std::slice::from_ref(&first))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }));
    }
    for l in loaders {
        l.await.unwrap_or_else(|e| panic!("{e}"));
    }
    let total = n / PRODUCERS * PRODUCERS;
    let start = Instant::now();
    let mut workers = Vec::new();
    for link in 0..3 {
        for _ in 0..2 {
            let store = Arc::clone(store);
            let (from, to) = (lists[link].clone(), lists[link + 1].clone());
            workers.push(tokio::spawn(async move {
                let mut idle = 0;
                while idle < 200 {
                    let leases = store
                        .lease(&from, 100, Duration::from_secs(60))
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    if leases.is_empty() {
                        idle += 1;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        continue;
                    }
                    idle = 0;
                    let uuids: Vec<_> = leases.iter().map(|l| l.uuid.clone()).collect();
                    let got = store
                        .get_many(&uuids)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    assert!(got.iter().all(Option::is_some));
                    let ids: Vec<_> = leases.iter().map(|l| l.id).collect();
                    store
                        .ack_and_forward(&ids, std::slice::from_ref(&to))
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }));
        }
    }
    let egress = lists[3].clone();
    loop {
        let s = store.stats(&egress).await.unwrap_or_else(|e| panic!("{e}"));
        if s.depth() >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = start.elapsed();
    for w in workers {
        w.abort();
    }
    (elapsed, total)
}

criterion_group!(benches, bench_puts);
criterion_main!(benches);
